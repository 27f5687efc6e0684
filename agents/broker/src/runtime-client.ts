import * as http from "node:http";

/**
 * The broker's side of the runtime pod's REST contract: load a site into a pod, ask a pod how
 * long it has been idle. (Forwarding the site's requests is the router's.)
 */

export interface IdleReport {
    idleSeconds: number;
    inFlight: number;
}

export class RuntimeClient {
    private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

    constructor(private readonly port: number) {}

    /** Installs the site's code; idempotent for the site the pod already serves. */
    async load(address: string, siteId: string, timeoutMs: number): Promise<void> {
        const { status, body } = await this.call(address, "PUT", "/v1/site", { siteId }, timeoutMs);
        if (status < 200 || status > 299) throw new Error(`runtime ${address}: loading site ${siteId} answered ${status} ${body.slice(0, 200)}`);
    }

    async idle(address: string, timeoutMs = 2000): Promise<IdleReport> {
        const { status, body } = await this.call(address, "GET", "/v1/idle", undefined, timeoutMs);
        if (status !== 200) throw new Error(`runtime ${address}: idle report answered ${status}`);
        return JSON.parse(body) as IdleReport;
    }

    async healthy(address: string, timeoutMs = 2000): Promise<boolean> {
        return this.call(address, "GET", "/healthz", undefined, timeoutMs).then(
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
