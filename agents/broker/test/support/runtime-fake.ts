import * as http from "node:http";
import type { Socket } from "node:net";
import { sha256Of } from "@globalgrid/common";
import { siteLoadSchema, type SiteLoad } from "@globalgrid/runtime/src/contract";

/**
 * A runtime pod for the broker's tests, on its own loopback address (each pod has its IP): the
 * runtime side of agents/runtime/src/contract.ts that the broker uses (PUT /v1/site loads a site
 * once, 409 for another: the body is checked with the runtime's own `siteLoadSchema` (400 if it
 * fails), then `code.url` is fetched and its sha256 checked (422 if either fails), as the reference
 * runtime does; GET /v1/status; GET /healthz; the site's requests at
 * /v1/sites/{siteId}/invoke/..., 421 for another site, 503 before a load), answered with its pod
 * name and site after `?delay=<ms>`. `kill()` is what deleting the pod does to connections: cut.
 */
export interface RuntimeFake {
    pod: string;
    address: string;
    site?: string;
    /** the last accepted PUT /v1/site body, as the runtime parsed it */
    release?: SiteLoad;
    /** the code it fetched from the broker's code port */
    code?: Buffer;
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
                const parsed = siteLoadSchema.safeParse(JSON.parse(body));
                if (!parsed.success) return json(400, { error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), code: "bad_request" });
                const release = parsed.data;
                if (state.site && state.site !== release.siteId) return json(409, { error: `serving ${state.site}`, code: "site_loaded" });
                if (!state.site) {
                    state.site = release.siteId;
                    state.loads++;
                    loading = fetchCode(release).then(async (code) => {
                        await new Promise((r) => setTimeout(r, loadDelayMs));
                        Object.assign(state, { code, release });
                    });
                }
                try {
                    await loading;
                } catch (e) {
                    state.site = undefined;
                    return json(422, { error: (e as Error).message, code: "code_rejected" });
                }
                return json(200, { siteId: release.siteId, loadedAt: new Date().toISOString(), loadMs: loadDelayMs });
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
            json(200, { pod, site: state.site, codeSha256: state.release?.code.sha256, path: invoke[2], site_header: req.headers["x-globalgrid-site"] });
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

/** The runtime's download of a release: the URL must answer 200 with bytes of the announced sha256. */
async function fetchCode(release: SiteLoad): Promise<Buffer> {
    const res = await fetch(release.code.url);
    if (res.status !== 200) throw new Error(`code ${release.code.url} answered ${res.status}`);
    const code = Buffer.from(await res.arrayBuffer());
    if (sha256Of(code) !== release.code.sha256) throw new Error(`code ${release.code.url}: sha256 ${sha256Of(code)} does not match ${release.code.sha256}`);
    return code;
}
