import type * as http from "node:http";
import * as prom from "prom-client";

/** The broker's Prometheus metrics, in a registry of their own (served on the metrics port). */
export function createMetrics() {
    const registry = new prom.Registry();
    prom.collectDefaultMetrics({ register: registry });
    const m = {
        registry,
        assignments: new prom.Counter({
            name: "broker_assignments_total",
            help: "Pod assignment steps by outcome: assigned (a pooled pod taken for a site), adopted (the site's pod found), conflict (resourceVersion refused), yielded (a rival claim won)",
            labelNames: ["outcome"] as const,
            registers: [registry],
        }),
        poolEmpty: new prom.Counter({ name: "broker_pool_empty_total", help: "Requests answered 503 because no pooled pod was ready", registers: [registry] }),
        requests: new prom.Counter({ name: "broker_requests_total", help: "Requests by status code", labelNames: ["code"] as const, registers: [registry] }),
        latency: new prom.Histogram({
            name: "broker_request_duration_seconds",
            help: "Time from request to the end of the answer; path=assign when the request had to wait for a pod assignment, hot otherwise",
            labelNames: ["path"] as const,
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
            registers: [registry],
        }),
        inFlight: new prom.Gauge({ name: "broker_in_flight_requests", help: "Requests being forwarded now", registers: [registry] }),
        sitePods: new prom.Gauge({ name: "broker_site_pods", help: "Site pods in this broker's routing table", registers: [registry] }),
        recycled: new prom.Counter({ name: "broker_recycled_pods_total", help: "Pods deleted by recycling, by reason: idle or age (site pods, counted when draining starts), pooled-age (pooled pods)", labelNames: ["reason"] as const, registers: [registry] }),
        consul: new prom.Counter({ name: "broker_consul_operations_total", help: "Consul catalog operations by kind and result", labelNames: ["op", "result"] as const, registers: [registry] }),
        codeDownloads: new prom.Counter({
            name: "broker_code_downloads_total",
            help: "Site code objects downloaded from the code bucket, by result: verified, missing, digest-mismatch, error (network, 5xx, credentials)",
            labelNames: ["result"] as const,
            registers: [registry],
        }),
        repairs: new prom.Counter({ name: "broker_repairs_total", help: "State repaired after a broker died mid-way, by kind", labelNames: ["kind"] as const, registers: [registry] }),
    };
    return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The metrics port: `GET /metrics` in Prometheus' text format, 404 for anything else. */
export function metricsListener(metrics: Metrics): http.RequestListener {
    return (req, res) => {
        if (req.url !== "/metrics") return void res.writeHead(404).end();
        metrics.registry.metrics().then(
            (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
            () => res.writeHead(500).end(),
        );
    };
}
