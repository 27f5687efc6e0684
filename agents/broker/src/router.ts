import * as http from "node:http";

/**
 * Forwards one request to a site pod's runtime and streams the answer back. Hop-by-hop headers
 * are dropped (RFC 9110 section 7.6.1); the client address goes on in X-Forwarded-For. A pod
 * that cannot be reached before it answers gives 502, one that does not answer in time 504.
 */

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection"]);

function forwardHeaders(h: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
    const out: http.OutgoingHttpHeaders = {};
    const listed = new Set(
        String(h.connection ?? "")
            .split(",")
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
    );
    for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k) && !listed.has(k)) out[k] = v;
    return out;
}

export interface ForwardResult {
    status: number;
    /** the pod could not be reached (connection refused or reset before an answer) */
    unreachable: boolean;
}

export class Forwarder {
    private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

    constructor(
        private readonly port: number,
        private readonly timeoutMs: number,
    ) {}

    /** Sends `req` to `address` at `path` (the runtime's invoke route for the site). */
    forward(req: http.IncomingMessage, res: http.ServerResponse, address: string, path: string): Promise<ForwardResult> {
        return new Promise((resolve) => {
            let done = false;
            const finish = (r: ForwardResult) => {
                if (!done) {
                    done = true;
                    resolve(r);
                }
            };
            const headers = forwardHeaders(req.headers);
            const client = req.socket.remoteAddress ?? "";
            headers["x-forwarded-for"] = req.headers["x-forwarded-for"] ? `${req.headers["x-forwarded-for"]}, ${client}` : client;
            const up = http.request({ agent: this.agent, host: address, port: this.port, method: req.method, path, headers, timeout: this.timeoutMs }, (answer) => {
                res.writeHead(answer.statusCode ?? 502, forwardHeaders(answer.headers));
                answer.pipe(res);
                answer.on("end", () => finish({ status: answer.statusCode ?? 502, unreachable: false }));
                answer.on("error", () => {
                    res.destroy();
                    finish({ status: 502, unreachable: false });
                });
            });
            up.on("timeout", () => up.destroy(Object.assign(new Error("upstream timeout"), { code: "ETIMEDOUT" })));
            up.on("error", (e: NodeJS.ErrnoException) => {
                const timeout = e.code === "ETIMEDOUT";
                const beforeAnswer = !res.headersSent;
                if (beforeAnswer) {
                    res.writeHead(timeout ? 504 : 502, { "content-type": "application/json" });
                    res.end(JSON.stringify({ error: timeout ? "the site did not answer in time" : "the site's pod could not be reached" }));
                } else res.destroy();
                finish({ status: timeout ? 504 : 502, unreachable: !timeout && beforeAnswer });
            });
            res.on("close", () => {
                if (!res.writableFinished) up.destroy();
            });
            req.pipe(up);
        });
    }

    close(): void {
        this.agent.destroy();
    }
}
