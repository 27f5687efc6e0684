import * as http from "node:http";
import type { Socket } from "node:net";

/**
 * A runtime pod for the broker's tests, on its own loopback address (each pod has its IP): the
 * runtime side of agents/runtime/src/contract.ts that the broker uses (PUT /v1/site loads a site
 * once, 409 for another; GET /v1/status; GET /healthz; the site's requests at
 * /v1/sites/{siteId}/invoke/..., 421 for another site, 503 before a load), answered with its pod
 * name and site after `?delay=<ms>`. `kill()` is what deleting the pod does to connections: cut.
 */
export interface RuntimeFake {
    pod: string;
    address: string;
    site?: string;
    loads: number;
    served: number;
    inFlight: number;
    lastRequest: number;
    kill(): void;
}

export async function startRuntimeFake(pod: string, address: string, port: number, loadDelayMs = 5): Promise<RuntimeFake> {
    const sockets = new Set<Socket>();
    const state: RuntimeFake = { pod, address, loads: 0, served: 0, inFlight: 0, lastRequest: Date.now(), kill: () => undefined };
    let loading: Promise<void> | undefined;
    const started = Date.now();
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", async () => {
            const url = new URL(req.url ?? "/", "http://pod");
            const json = (code: number, value: unknown) => {
                res.writeHead(code, { "content-type": "application/json" });
                res.end(JSON.stringify(value));
            };
            if (url.pathname === "/healthz") return json(200, { ok: true });
            if (url.pathname === "/v1/status") {
                return json(200, {
                    state: state.site ? "serving" : "pooled",
                    ...(state.site ? { siteId: state.site } : {}),
                    inFlight: state.inFlight,
                    served: state.served,
                    idleSeconds: state.inFlight > 0 ? 0 : (Date.now() - state.lastRequest) / 1000,
                    startedAt: new Date(started).toISOString(),
                });
            }
            if (url.pathname === "/v1/site" && req.method === "PUT") {
                const { siteId } = JSON.parse(body) as { siteId: string };
                if (state.site && state.site !== siteId) return json(409, { error: `serving ${state.site}` });
                if (!state.site) {
                    state.site = siteId;
                    state.loads++;
                    loading = new Promise((r) => setTimeout(r, loadDelayMs));
                }
                await loading;
                return json(200, { site: siteId });
            }
            const invoke = url.pathname.match(/^\/v1\/sites\/([^/]+)\/invoke(\/.*)$/);
            if (!invoke) return json(404, { error: "no such route", code: "not_found" });
            if (!state.site) return json(503, { error: "no site loaded", code: "no_site" });
            if (decodeURIComponent(invoke[1]) !== state.site) return json(421, { error: `serving ${state.site}`, code: "misdirected" });
            state.inFlight++;
            state.lastRequest = Date.now();
            await new Promise((r) => setTimeout(r, Number(url.searchParams.get("delay") ?? 0)));
            state.inFlight--;
            state.served++;
            state.lastRequest = Date.now();
            json(200, { pod, site: state.site, path: invoke[2], site_header: req.headers["x-globalgrid-site"] });
        });
    });
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, address, resolve));
    state.kill = () => {
        server.close();
        for (const s of sockets) s.destroy();
    };
    return state;
}
