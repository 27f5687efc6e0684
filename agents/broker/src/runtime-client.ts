import * as http from "node:http";
import { RUNTIME_PATHS, runtimeStatusSchema, type RuntimeStatus, type SiteLoad } from "@globalgrid/runtime/src/contract";

/**
 * The broker's side of the runtime pod's REST contract (agents/runtime/src/contract.ts): load a
 * site into a pod (`PUT /v1/site`), read its status (`GET /v1/status`: idle time, requests in
 * flight), its health. Forwarding the site's requests (`/v1/sites/{siteId}/invoke/...`) is the router's.
 */

export class RuntimeClient {
    private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

    constructor(private readonly port: number) {}

    /** Installs the site's release (the runtime fetches `code.url` and checks its sha256); idempotent for the site the pod already serves. */
    async load(address: string, release: SiteLoad, timeoutMs: number): Promise<void> {
        const { status, body } = await this.call(address, "PUT", RUNTIME_PATHS.site, release, timeoutMs);
        if (status < 200 || status > 299) throw new Error(`runtime ${address}: loading site ${release.siteId} answered ${status} ${body.slice(0, 200)}`);
    }

    async status(address: string, timeoutMs = 2000): Promise<RuntimeStatus> {
        const { status, body } = await this.call(address, "GET", RUNTIME_PATHS.status, undefined, timeoutMs);
        if (status !== 200) throw new Error(`runtime ${address}: status answered ${status}`);
        return runtimeStatusSchema.parse(JSON.parse(body));
    }

    async healthy(address: string, timeoutMs = 2000): Promise<boolean> {
        return this.call(address, "GET", RUNTIME_PATHS.health, undefined, timeoutMs).then(
            (r) => r.status === 200,
            () => false,
        );
    }

    close(): void {
        this.agent.destroy();
    }

    private call(address: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: string }> {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        return new Promise((resolve, reject) => {
            const req = http.request(
                { agent: this.agent, host: address, port: this.port, method, path, timeout: timeoutMs, headers: payload ? { "content-type": "application/json", "content-length": payload.length } : {} },
                (res) => {
                    let text = "";
                    res.setEncoding("utf8");
                    res.on("data", (c: string) => (text += c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
                    res.on("error", reject);
                },
            );
            req.on("timeout", () => req.destroy(new Error(`runtime ${address}${path}: no answer within ${timeoutMs} ms`)));
            req.on("error", reject);
            req.end(payload);
        });
    }
}
