import type { Storage } from "@google-cloud/storage";
import * as k8s from "@kubernetes/client-node";
import { apiStatus, CodeArtifactError, type KubeClients, type Logger } from "../../common/src";
import { jobRequestSchema, jobResultSchema, RUNTIME_PATHS, type CodeRef, type JobRequest, type JobResult } from "../../runtime/src/contract";
import { stageCode } from "./code";
import type { SupervisorConfig } from "./config";
import type { SupervisorMetrics } from "./metrics";
import type { Subscriber } from "./subscriber";

/**
 * The job supervisor, one job per pod (Wix's async grid):
 *
 *   read own pod -> pull one message -> detach the pod (relabel, with its resourceVersion) ->
 *   stage the job's code (the release the message names, from the code bucket, verified, into the
 *   volume shared with the app) -> run the job on the app container (keeping the lease) -> ack if it
 *   succeeded, nack otherwise -> delete the pod -> exit.
 *
 * The code is fetched after the detach, so the Deployment's replacement pod starts meanwhile. A
 * release that cannot be loaded (object missing, digest mismatch) is `code_rejected`: nacked like
 * every failure, so it reaches the dead-letter topic after the maximum delivery attempts.
 *
 * Message safety: a message is acked only after the app reported success; every other path ends
 * in a nack (ModifyAckDeadline 0, so the subscription's retry backoff and dead-letter policy
 * apply) or, if the process dies, in the lease running out, after which Pub/Sub redelivers it.
 * Pub/Sub is at-least-once, so a job can run again after a lost ack: the jobId is the handler's
 * idempotency key.
 *
 * A supervisor that starts in a pod that is already detached (its container was restarted after
 * a crash) takes no new job: the Deployment has already replaced the pod, so it deletes it.
 */

export interface SupervisorDeps {
    config: SupervisorConfig;
    kube: KubeClients;
    subscriber: Subscriber;
    /** the Cloud Storage client job code is downloaded with */
    storage: Storage;
    podName: string;
    logger: Logger;
    metrics: SupervisorMetrics;
    /** aborted on SIGTERM: stop pulling; a running job continues up to its soft limit */
    terminate: AbortSignal;
    /** multiplies every duration (tests run the lease and the soft limit in fast time) */
    timeScale?: number;
}

export type SupervisorOutcome =
    | "succeeded"
    | "failed"
    | "timed_out"
    | "app_error"
    | "bad_message"
    | "code_rejected"
    | "code_unavailable"
    | "not_detached"
    | "drained"
    | "already_detached";

interface Pulled {
    ackId: string;
    messageId: string;
    attempt: number;
    data: Buffer;
}

const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
            clearTimeout(t);
            resolve();
        });
    });

export class Supervisor {
    private readonly scale: number;
    state: "starting" | "pulling" | "detaching" | "staging" | "running" | "acking" | "cleaning" | "done" = "starting";

    constructor(private readonly d: SupervisorDeps) {
        this.scale = d.timeScale ?? 1;
    }

    private setState(s: Supervisor["state"]): void {
        this.d.metrics.state.reset();
        this.d.metrics.state.set({ state: s }, 1);
        this.state = s;
    }

    /** Runs to the end of one job (or to SIGTERM while idle) and says how it ended. */
    async run(): Promise<SupervisorOutcome> {
        const { config, logger } = this.d;
        const pod = await this.readPod();
        const label = pod.metadata?.labels?.[config.detach.label];
        if (label !== config.detach.from) {
            logger.warn("pod.already_detached", { pod: this.d.podName, label });
            await this.deletePod(pod);
            return "already_detached";
        }
        logger.info("supervisor.started", { pod: this.d.podName, subscription: config.subscription, endpoint: config.pubsubEndpoint });

        const message = await this.pullOne();
        if (!message) {
            logger.info("supervisor.drained", { pod: this.d.podName });
            this.d.metrics.jobs.inc({ outcome: "drained" });
            this.setState("done");
            return "drained";
        }
        const log = logger.child({ messageId: message.messageId, attempt: message.attempt });
        if (this.d.terminate.aborted) {
            // SIGTERM arrived while the pull was in flight: hand the message back at once.
            await this.nack(message, log);
            this.d.metrics.jobs.inc({ outcome: "drained" });
            return "drained";
        }
        const pulled = this.toJob(message);
        if (!pulled) {
            log.error("message.bad", { reason: "not a job of the jobs topic schema" });
            await this.nack(message, log);
            this.d.metrics.jobs.inc({ outcome: "bad_message" });
            await this.deletePod(pod);
            return "bad_message";
        }
        const { job, codeSha256 } = pulled;
        const jlog = log.child({ jobId: job.jobId, siteId: job.siteId, codeSha256 });
        jlog.info("message.pulled");

        this.setState("detaching");
        const detached = await this.detach(pod, jlog);
        if (!detached) {
            await this.nack(message, jlog);
            this.d.metrics.jobs.inc({ outcome: "not_detached" });
            return "not_detached";
        }

        // the lease is kept from here to the job's end, the code download included
        const stopLease = this.keepLease(message, jlog);
        let outcome: SupervisorOutcome;
        try {
            this.setState("staging");
            const code = await this.stage(job, codeSha256, jlog);
            this.setState("running");
            outcome = typeof code === "string" ? code : await this.runJob({ ...job, code }, jlog);
        } finally {
            stopLease();
        }
        this.setState("acking");
        if (outcome === "succeeded") await this.ack(message, jlog);
        else await this.nack(message, jlog);
        this.d.metrics.jobs.inc({ outcome });

        this.setState("cleaning");
        await this.deletePod(detached);
        this.setState("done");
        return outcome;
    }

    private async readPod(): Promise<k8s.V1Pod> {
        return this.d.kube.core.readNamespacedPod({ name: this.d.podName, namespace: this.d.kube.namespace });
    }

    /** One message, or undefined once SIGTERM arrives while nothing was pulled. */
    private async pullOne(): Promise<Pulled | undefined> {
        this.setState("pulling");
        let backoff = 500;
        while (!this.d.terminate.aborted) {
            try {
                const [res] = await this.d.subscriber.pull(
                    { subscription: this.d.config.subscription, maxMessages: this.d.config.maxOutstandingMessages },
                    { timeout: 30_000 },
                );
                const got = res.receivedMessages?.[0];
                backoff = 500;
                if (!got?.ackId || !got.message) {
                    this.d.metrics.pulls.inc({ result: "empty" });
                    continue;
                }
                this.d.metrics.pulls.inc({ result: "message" });
                return {
                    ackId: got.ackId,
                    messageId: got.message.messageId ?? "",
                    // delivery_attempt is 0 when the subscription has no dead-letter policy
                    attempt: Math.max(1, Number(got.deliveryAttempt ?? 0)),
                    data: Buffer.from(got.message.data ?? ""),
                };
            } catch (err) {
                this.d.metrics.pulls.inc({ result: "error" });
                this.d.logger.warn("pull.failed", { error: err });
                await sleep(backoff * this.scale, this.d.terminate);
                backoff = Math.min(backoff * 2, 30_000);
            }
        }
        return undefined;
    }

    /**
     * The message data as a job of the topic's schema (components/messaging/job-schema.ts), and the
     * release it names (`codeSha256`, 64 lowercase hex); the code itself is staged later.
     */
    private toJob(m: Pulled): { job: Omit<JobRequest, "code">; codeSha256: string } | undefined {
        try {
            const raw = JSON.parse(m.data.toString("utf8")) as Record<string, unknown>;
            const scheduledAt = new Date(Number(raw.scheduledAt)).toISOString();
            const deadline = new Date(Date.now() + this.d.config.softTimeLimitSeconds * 1000 * this.scale).toISOString();
            if (typeof raw.codeSha256 !== "string" || !/^[0-9a-f]{64}$/.test(raw.codeSha256)) return undefined;
            const parsed = jobRequestSchema.omit({ code: true }).safeParse({
                jobId: raw.jobId,
                messageId: m.messageId,
                attempt: m.attempt,
                siteId: raw.siteId,
                handler: raw.handler,
                payload: typeof raw.payload === "string" ? JSON.parse(raw.payload) : undefined,
                scheduledAt,
                deadline,
            });
            return parsed.success ? { job: parsed.data, codeSha256: raw.codeSha256 } : undefined;
        } catch {
            return undefined;
        }
    }

    /**
     * Takes the pod out of the Deployment's selector: a merge patch of the pool label carrying the
     * pod's resourceVersion, so it applies only to the pod as read. On 409 Conflict (the pod changed,
     * e.g. a status update) it re-reads and retries while the label is still the pool's.
     */
    private async detach(pod: k8s.V1Pod, log: Logger): Promise<k8s.V1Pod | undefined> {
        const { label, from, to } = this.d.config.detach;
        let current = pod;
        for (let i = 0; i < 5; i++) {
            if (current.metadata?.labels?.[label] !== from) {
                log.error("pod.detach_refused", { label: current.metadata?.labels?.[label] });
                return undefined;
            }
            try {
                const patched = await this.d.kube.core.patchNamespacedPod(
                    {
                        name: this.d.podName,
                        namespace: this.d.kube.namespace,
                        body: { metadata: { resourceVersion: current.metadata?.resourceVersion, labels: { [label]: to } } },
                    },
                    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
                );
                log.info("pod.detached", { pod: this.d.podName, label, value: to });
                return patched;
            } catch (err) {
                if (apiStatus(err) !== 409) {
                    log.error("pod.detach_failed", { error: err, status: apiStatus(err) });
                    return undefined;
                }
                this.d.metrics.detachConflicts.inc();
                current = await this.readPod();
            }
        }
        return undefined;
    }

    /** The job's code in the shared volume, or the outcome that ends the job when it cannot be had. */
    private async stage(job: Omit<JobRequest, "code">, sha256: string, log: Logger): Promise<CodeRef | SupervisorOutcome> {
        try {
            const code = await stageCode(this.d.storage, this.d.config.code, job.siteId, sha256, job.handler);
            log.info("code.staged", { url: code.url });
            return code;
        } catch (err) {
            if (err instanceof CodeArtifactError) {
                // the release is broken: every delivery fails the same way; the dead-letter topic keeps the message
                log.error("code.rejected", { object: `gs://${err.object}`, reason: err.reason, error: err.message });
                return "code_rejected";
            }
            log.warn("code.unavailable", { bucket: this.d.config.code.bucket, error: err });
            return "code_unavailable";
        }
    }

    /** POST the job to the app (the caller keeps the lease meanwhile); the soft limit aborts the call. */
    private async runJob(job: JobRequest, log: Logger): Promise<SupervisorOutcome> {
        const started = Date.now();
        const scheduled = Date.parse(job.scheduledAt);
        if (Number.isFinite(scheduled)) this.d.metrics.startDelay.observe(Math.max(0, (started - scheduled) / 1000));
        log.info("job.started", { deadline: job.deadline });
        const limit = AbortSignal.timeout(Math.max(1, Date.parse(job.deadline) - Date.now()));
        let outcome: SupervisorOutcome;
        let result: JobResult | undefined;
        try {
            const res = await fetch(new URL(RUNTIME_PATHS.jobs, this.d.config.appUrl), {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(job),
                signal: limit,
            });
            const parsed = jobResultSchema.safeParse(await res.json().catch(() => undefined));
            result = parsed.success ? parsed.data : undefined;
            outcome = res.status === 200 && result?.status === "succeeded" ? "succeeded" : result?.status === "failed" ? "failed" : "app_error";
        } catch (err) {
            outcome = limit.aborted ? "timed_out" : "app_error";
            if (outcome === "app_error") log.warn("job.app_unreachable", { error: err });
        }
        const durationMs = Date.now() - started;
        this.d.metrics.duration.observe(durationMs / 1000);
        const fields = { outcome, durationMs, ...(result?.status === "failed" ? { error: result.error, retryable: result.retryable } : {}) };
        if (outcome === "succeeded") log.info("job.finished", fields);
        else log.warn("job.finished", fields);
        return outcome;
    }

    /**
     * Extends the lease by the ack deadline every half deadline while the job runs
     * (https://cloud.google.com/pubsub/docs/lease-management), never past the soft limit plus
     * the grace the ack deadline rule leaves.
     */
    private keepLease(m: Pulled, log: Logger): () => void {
        const seconds = this.d.config.ackDeadlineSeconds;
        const every = (seconds * 1000 * this.scale) / 2;
        const timer = setInterval(() => {
            this.d.subscriber
                .modifyAckDeadline({ subscription: this.d.config.subscription, ackIds: [m.ackId], ackDeadlineSeconds: seconds })
                .then(() => this.d.metrics.leaseExtensions.inc())
                .catch((err: unknown) => log.warn("lease.extend_failed", { error: err }));
        }, every);
        return () => clearInterval(timer);
    }

    private async ack(m: Pulled, log: Logger): Promise<void> {
        try {
            await this.d.subscriber.acknowledge({ subscription: this.d.config.subscription, ackIds: [m.ackId] });
            this.d.metrics.acks.inc({ kind: "ack", result: "ok" });
            log.info("message.acked");
        } catch (err) {
            // The message will be redelivered when its lease ends: at-least-once, the job may run again.
            this.d.metrics.acks.inc({ kind: "ack", result: "error" });
            log.error("message.ack_failed", { error: err });
        }
    }

    /** ModifyAckDeadline 0: redelivery after the retry policy's backoff; dead-lettered after max attempts. */
    private async nack(m: Pulled, log: Logger): Promise<void> {
        try {
            await this.d.subscriber.modifyAckDeadline({ subscription: this.d.config.subscription, ackIds: [m.ackId], ackDeadlineSeconds: 0 });
            this.d.metrics.acks.inc({ kind: "nack", result: "ok" });
            log.info("message.nacked");
        } catch (err) {
            this.d.metrics.acks.inc({ kind: "nack", result: "error" });
            log.error("message.nack_failed", { error: err });
        }
    }

    /** Deletes its own pod, preconditioned on its uid (never a namesake). */
    private async deletePod(pod: k8s.V1Pod): Promise<void> {
        try {
            await this.d.kube.core.deleteNamespacedPod({ name: this.d.podName, namespace: this.d.kube.namespace, body: { preconditions: { uid: pod.metadata?.uid } } });
            this.d.logger.info("pod.deleted", { pod: this.d.podName });
        } catch (err) {
            this.d.logger.error("pod.delete_failed", { pod: this.d.podName, error: err, status: apiStatus(err) });
        }
    }
}
