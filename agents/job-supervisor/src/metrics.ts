import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The supervisor's Prometheus metrics (prefix `globalgrid_supervisor_`). */
export function supervisorMetrics(registry: Registry) {
    return {
        pulls: new Counter({ name: "globalgrid_supervisor_pulls_total", help: "Pull calls, by result (message, empty, error)", labelNames: ["result"], registers: [registry] }),
        jobs: new Counter({
            name: "globalgrid_supervisor_jobs_total",
            help: "Jobs ended, by outcome (succeeded, failed, timed_out, app_error, bad_message, code_rejected, code_unavailable, not_detached, drained)",
            labelNames: ["outcome"],
            registers: [registry],
        }),
        duration: new Histogram({
            name: "globalgrid_supervisor_job_duration_seconds",
            help: "Time from the job's start on the app to its end",
            buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800],
            registers: [registry],
        }),
        startDelay: new Histogram({
            name: "globalgrid_supervisor_job_start_delay_seconds",
            help: "Time from the job's scheduledAt to its start (the start SLA)",
            buckets: [1, 5, 15, 30, 60, 120, 300, 600],
            registers: [registry],
        }),
        leaseExtensions: new Counter({ name: "globalgrid_supervisor_lease_extensions_total", help: "ModifyAckDeadline calls keeping a running job's lease", registers: [registry] }),
        acks: new Counter({ name: "globalgrid_supervisor_acks_total", help: "Ack and nack calls, by kind and result", labelNames: ["kind", "result"], registers: [registry] }),
        detachConflicts: new Counter({ name: "globalgrid_supervisor_detach_conflicts_total", help: "409 Conflict answers to the detach patch (retried with a fresh resourceVersion)", registers: [registry] }),
        state: new Gauge({ name: "globalgrid_supervisor_state", help: "1 for the supervisor's current state", labelNames: ["state"], registers: [registry] }),
    };
}
export type SupervisorMetrics = ReturnType<typeof supervisorMetrics>;
