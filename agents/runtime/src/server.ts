import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../../common/src/logger";
import type { RuntimeConfig } from "./config";
import {
    jobRequestSchema,
    RUNTIME_PATHS,
    siteLoadSchema,
    type CodeRef,
    type Handler,
    type HandlerResponse,
    type JobResult,
    type RuntimeStatus,
} from "./contract";

/**
 * The reference runtime: serves the runtime contract (./contract.ts) by running a site's
 * CommonJS module, read from its code URL (http(s): the broker's code port; file: the job pod's
 * shared code volume), checked against its sha256, written to the scratch volume and required. One site per pod (warm mode), one job at a time
 * (job mode).
 */
export class Runtime {
    private state: RuntimeStatus["state"] = "pooled";
    private siteId?: string;
    private module?: Record<string, unknown>;
    private env: Record<string, string> = {};
    private entry = "handler";
    private loadedAt?: string;
    private inFlight = 0;
    private served = 0;
    private lastActivity = Date.now();
    private readonly startedAt = new Date().toISOString();
    private jobRunning = false;

    constructor(
        private readonly config: RuntimeConfig,
        private readonly logger: Logger,
    ) {}

    /** SIGTERM: readiness fails so no new site or job is sent; requests in flight finish. */
    drain(): void {
        this.state = "draining";
    }

    status(): RuntimeStatus {
        return {
            state: this.state,
            ...(this.siteId ? { siteId: this.siteId } : {}),
            inFlight: this.inFlight,
            served: this.served,
            idleSeconds: this.inFlight > 0 ? 0 : (Date.now() - this.lastActivity) / 1000,
            startedAt: this.startedAt,
            ...(this.loadedAt ? { loadedAt: this.loadedAt } : {}),
        };
    }

    handler(): http.RequestListener {
        return (req, res) => {
            this.route(req, res).catch((err: unknown) => {
                this.logger.error("runtime.error", { error: err });
                send(res, 500, { error: String(err), code: "internal" });
            });
        };
    }

    private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://runtime");
        const p = url.pathname;
        if (req.method === "GET" && p === RUNTIME_PATHS.health) return send(res, this.state === "draining" ? 503 : 200, { ok: this.state !== "draining" });
        if (req.method === "GET" && p === RUNTIME_PATHS.ready) {
            const ready = this.state === "pooled" || this.state === "serving";
            return send(res, ready ? 200 : 503, { state: this.state });
        }
        if (req.method === "GET" && p === RUNTIME_PATHS.status) return send(res, 200, this.status());
        if (req.method === "POST" && p === RUNTIME_PATHS.jobs) return this.runJob(await body(req, this.config.maxBodyBytes), res);
        if (req.method === "PUT" && p === RUNTIME_PATHS.site) return this.loadSite(await body(req, this.config.maxBodyBytes), res);
        const m = /^\/v1\/sites\/([^/]+)\/invoke(\/.*)?$/.exec(p);
        if (m) return this.invoke(decodeURIComponent(m[1]), m[2] ?? "/", url, req, res);
        send(res, 404, { error: `no route ${req.method} ${p}`, code: "not_found" });
    }

    /** Reads the module, checks its sha256, writes it under workDir and requires it. */
    private async loadCode(siteId: string, code: CodeRef): Promise<Record<string, unknown>> {
        const bytes = code.url.startsWith("file:") ? fs.readFileSync(fileURLToPath(code.url)) : await download(code.url);
        const digest = createHash("sha256").update(bytes).digest("hex");
        if (digest !== code.sha256) throw new Error(`code of ${siteId}: sha256 ${digest} does not match ${code.sha256}`);
        const file = path.join(this.config.workDir, `site-${siteId}-${digest.slice(0, 12)}.js`);
        fs.writeFileSync(file, bytes, { mode: 0o600 });
        return require(file) as Record<string, unknown>;
    }

    private async loadSite(raw: unknown, res: http.ServerResponse): Promise<void> {
        const parsed = siteLoadSchema.safeParse(raw);
        if (!parsed.success) return send(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), code: "bad_request" });
        if (this.config.mode !== "warm") return send(res, 409, { error: "a job runtime does not load sites", code: "wrong_mode" });
        if (this.siteId && this.siteId !== parsed.data.siteId) return send(res, 409, { error: `serving ${this.siteId}`, code: "site_loaded" });
        const started = Date.now();
        this.state = "loading";
        try {
            this.module = await this.loadCode(parsed.data.siteId, parsed.data.code);
        } catch (err) {
            this.state = "pooled";
            return send(res, 422, { error: (err as Error).message, code: "code_rejected" });
        }
        this.siteId = parsed.data.siteId;
        this.env = parsed.data.env;
        this.entry = parsed.data.code.entry;
        this.loadedAt = new Date().toISOString();
        this.state = "serving";
        this.lastActivity = Date.now();
        this.logger.info("site.loaded", { siteId: this.siteId, loadMs: Date.now() - started });
        send(res, 200, { siteId: this.siteId, loadedAt: this.loadedAt, loadMs: Date.now() - started });
    }

    private async invoke(siteId: string, rest: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        if (!this.siteId || !this.module) return send(res, 503, { error: "no site loaded", code: "no_site" });
        if (siteId !== this.siteId) return send(res, 421, { error: `this pod serves ${this.siteId}`, code: "misdirected" });
        const fn = this.module[this.entry];
        if (typeof fn !== "function") return send(res, 500, { error: `site module exports no ${this.entry}()`, code: "no_handler" });
        const controller = new AbortController();
        res.on("close", () => controller.abort());
        this.inFlight += 1;
        try {
            const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
            const text = ((await body(req, this.config.maxBodyBytes, true)) as string | undefined) ?? "";
            const out = (await (fn as Handler)(
                { kind: "request", method: req.method ?? "GET", path: rest, query: Object.fromEntries(url.searchParams), headers, body: text, env: this.env },
                controller.signal,
            )) as HandlerResponse | undefined;
            const payload = typeof out?.body === "string" ? out.body : JSON.stringify(out?.body ?? null);
            res.writeHead(out?.status ?? 200, { "content-type": typeof out?.body === "string" ? "text/plain" : "application/json", ...(out?.headers ?? {}) }).end(payload);
        } catch (err) {
            send(res, 500, { error: String(err), code: "handler_error" });
        } finally {
            this.inFlight -= 1;
            this.served += 1;
            this.lastActivity = Date.now();
        }
    }

    private async runJob(raw: unknown, res: http.ServerResponse): Promise<void> {
        const parsed = jobRequestSchema.safeParse(raw);
        if (!parsed.success) return send(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), code: "bad_request" });
        if (this.jobRunning) return send(res, 409, { error: "a job is running", code: "busy" });
        const job = parsed.data;
        const started = Date.now();
        const finish = (r: JobResult) => send(res, 200, r);
        this.jobRunning = true;
        this.state = "job";
        this.inFlight += 1;
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(new Error("soft time limit")), Math.max(0, Date.parse(job.deadline) - Date.now()));
        try {
            const mod = await this.loadCode(job.siteId, job.code);
            const fn = mod[job.handler];
            if (typeof fn !== "function") {
                return finish({ status: "failed", jobId: job.jobId, durationMs: Date.now() - started, error: `site module exports no ${job.handler}()`, retryable: false });
            }
            const result = await Promise.race([
                (fn as Handler)({ kind: "job", jobId: job.jobId, attempt: job.attempt, payload: job.payload, deadline: job.deadline, env: {} }, controller.signal),
                new Promise((_, reject) => controller.signal.addEventListener("abort", () => reject(new Error("soft time limit reached")))),
            ]);
            // a handler that returns because the deadline aborted it did not finish its job
            if (controller.signal.aborted) throw new Error("soft time limit reached");
            this.logger.info("job.done", { jobId: job.jobId, attempt: job.attempt, durationMs: Date.now() - started });
            finish({ status: "succeeded", jobId: job.jobId, durationMs: Date.now() - started, result });
        } catch (err) {
            this.logger.warn("job.failed", { jobId: job.jobId, attempt: job.attempt, error: err });
            finish({ status: "failed", jobId: job.jobId, durationMs: Date.now() - started, error: (err as Error).message ?? String(err), retryable: true });
        } finally {
            clearTimeout(timer);
            this.jobRunning = false;
            this.inFlight -= 1;
            this.served += 1;
            this.lastActivity = Date.now();
            if (this.state === "job") this.state = "pooled";
        }
    }
}

/** A code download that takes longer fails the load (the broker's load timeout is 30 s by default). */
const CODE_DOWNLOAD_TIMEOUT_MS = 30_000;

/** The code at an http(s) URL; anything but 200 is an error naming the URL and status. */
async function download(url: string): Promise<Buffer> {
    const res = await fetch(url, { signal: AbortSignal.timeout(CODE_DOWNLOAD_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`code ${url} answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
}

function send(res: http.ServerResponse, status: number, value: unknown): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

/** Reads the request body (JSON unless `raw`), refusing more than `limit` bytes. */
async function body(req: http.IncomingMessage, limit: number, raw = false): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
        size += (c as Buffer).length;
        if (size > limit) throw new Error(`request body over ${limit} bytes`);
        chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    if (raw) return text;
    try {
        return text ? JSON.parse(text) : undefined;
    } catch {
        return undefined;
    }
}
