import * as http from "node:http";
import { AddressInfo } from "node:net";
import { Registry, collectDefaultMetrics } from "prom-client";

/**
 * Each agent keeps its own prom-client Registry (never the global one, so tests and several agents
 * in one process do not share counters) and serves it in the Prometheus text format on
 * `GET /metrics`, next to the `/healthz` and `/readyz` probes of the pod spec.
 */
export function createRegistry(agent: string, defaults = true): Registry {
    const registry = new Registry();
    registry.setDefaultLabels({ agent });
    if (defaults) collectDefaultMetrics({ register: registry });
    return registry;
}

export interface ProbeServerOptions {
    registry: Registry;
    port: number;
    host?: string;
    /** liveness: the process can make progress */
    healthy?: () => boolean;
    /** readiness: the agent is ready for its work */
    ready?: () => boolean;
}

export interface RunningServer {
    server: http.Server;
    port: number;
    close(): Promise<void>;
}

/** Starts `http.Server` on `port` (0 = any) and resolves once it listens. */
export async function listen(server: http.Server, port: number, host = "0.0.0.0"): Promise<RunningServer> {
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
            server.off("error", reject);
            resolve();
        });
    });
    return {
        server,
        port: (server.address() as AddressInfo).port,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

/** `/metrics`, `/healthz`, `/readyz` on one port. */
export function startProbeServer(options: ProbeServerOptions): Promise<RunningServer> {
    const server = http.createServer((req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (req.method !== "GET") {
            res.writeHead(405).end();
            return;
        }
        if (path === "/metrics") {
            options.registry
                .metrics()
                .then((body) => res.writeHead(200, { "content-type": options.registry.contentType }).end(body))
                .catch((err: unknown) => res.writeHead(500).end(String(err)));
            return;
        }
        if (path === "/healthz" || path === "/readyz") {
            const check = path === "/healthz" ? options.healthy : options.ready;
            const ok = check ? check() : true;
            res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not ready\n");
            return;
        }
        res.writeHead(404).end();
    });
    return listen(server, options.port, options.host);
}
