import { z } from "zod";

/**
 * The REST contract of a runtime pod: the app container of a job-grid pod and the runtime of a
 * warm-pool pod speak it on one HTTP port (8080, `APP_PORT`/`RUNTIME_PORT` in the program). Any
 * runtime a customer brings must serve it; agents/runtime is the reference implementation.
 *
 * Callers:
 * - the kubelet: `GET /healthz` (liveness and readiness probe of the pod specs) and `GET /readyz`;
 * - the job supervisor (same pod, over 127.0.0.1): `POST /v1/jobs` runs one job and answers when it
 *   ended;
 * - the broker (warm pool): `PUT /v1/site` loads a site into a detached pod, then routes the site's
 *   requests to `/v1/sites/{siteId}/invoke/...`, and reads `GET /v1/status` to decide when a pod is
 *   idle (to recycle it) and how busy it is.
 *
 * Errors are `ErrorBody` JSON with the HTTP status named at each path.
 */
export const RUNTIME_PATHS = {
    /** 200 when the process serves requests; 503 while it is shutting down */
    health: "/healthz",
    /** 200 when it can take work (pooled and idle, or serving its site); 503 while loading or draining */
    ready: "/readyz",
    /** POST JobRequest -> 200 JobResult (succeeded or failed); 409 when a job already runs; 400 bad body */
    jobs: "/v1/jobs",
    /** PUT SiteLoad -> 200 SiteLoaded; 409 when another site is loaded (a pod serves one site for its life) */
    site: "/v1/site",
    /** GET -> 200 RuntimeStatus */
    status: "/v1/status",
    /**
     * ANY /v1/sites/{siteId}/invoke/{rest...}: the site's HTTP request, passed to its handler as
     * method, path `/{rest}`, query, headers and body; the handler's answer is the response.
     * 421 Misdirected Request when `siteId` is not the loaded site; 503 when no site is loaded.
     */
    invokePrefix: "/v1/sites/",
} as const;

/** The route of a site's request, for the broker: `/v1/sites/{siteId}/invoke{path}`. */
export function invokePath(siteId: string, path: string): string {
    return `${RUNTIME_PATHS.invokePrefix}${encodeURIComponent(siteId)}/invoke${path.startsWith("/") ? path : `/${path}`}`;
}

/** Site ids are DNS-label-like: they appear in URLs, labels and log lines. */
export const siteIdSchema = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase DNS label");

/**
 * Where a site's code is and how to check it: an `http:` URL on the broker's code port (warm pods),
 * a `file:` URL in the job pod's shared code volume (written by the supervisor), or an `https:` URL;
 * and its sha256, which the runtime checks after reading it. The runtime never holds a cloud credential.
 */
export const codeRefSchema = z
    .object({
        url: z
            .string()
            .url()
            .refine((u) => ["http:", "https:", "file:"].includes(new URL(u).protocol), "must be an http:, https: or file: URL"),
        sha256: z.string().regex(/^[a-f0-9]{64}$/, "must be a hex sha256"),
        /** the module's exported function to call for a request or a job; default `handler` */
        entry: z.string().min(1).default("handler"),
    })
    .strict();
export type CodeRef = z.infer<typeof codeRefSchema>;

/**
 * Sent by the job supervisor: one Pub/Sub message (the jobs topic's Avro schema,
 * components/messaging/job-schema.ts) turned into one job.
 */
export const jobRequestSchema = z
    .object({
        /** the job's id from the message: stable across redeliveries, the handler's idempotency key */
        jobId: z.string().min(1),
        /** the Pub/Sub messageId of this delivery */
        messageId: z.string().min(1),
        /** Pub/Sub delivery attempt (1 on first delivery; counted when a dead-letter policy is set) */
        attempt: z.number().int().min(1),
        siteId: siteIdSchema,
        /** the site module's exported function to call */
        handler: z.string().min(1),
        /** the site's code (the release the message names, staged by the supervisor) */
        code: codeRefSchema,
        /** the job's arguments (the message's `payload`, a JSON document, parsed) */
        payload: z.unknown(),
        /** when the job was due (the start SLA counts from here) */
        scheduledAt: z.string().datetime(),
        /** the soft time limit: the runtime aborts the handler then; the supervisor gives up at it */
        deadline: z.string().datetime(),
    })
    .strict();
export type JobRequest = z.infer<typeof jobRequestSchema>;

export const jobResultSchema = z.discriminatedUnion("status", [
    z.object({ status: z.literal("succeeded"), jobId: z.string(), durationMs: z.number().nonnegative(), result: z.unknown().optional() }).strict(),
    z
        .object({
            status: z.literal("failed"),
            jobId: z.string(),
            durationMs: z.number().nonnegative(),
            error: z.string(),
            /** false: retrying cannot help (bad payload); the supervisor still nacks, the DLQ catches it */
            retryable: z.boolean(),
        })
        .strict(),
]);
export type JobResult = z.infer<typeof jobResultSchema>;

/** Sent by the broker to a freshly detached warm pod. */
export const siteLoadSchema = z
    .object({
        siteId: siteIdSchema,
        code: codeRefSchema,
        /** the site's own settings, passed to its handler; never platform secrets */
        env: z.record(z.string()).default({}),
    })
    .strict();
export type SiteLoad = z.infer<typeof siteLoadSchema>;

export const siteLoadedSchema = z.object({ siteId: siteIdSchema, loadedAt: z.string().datetime(), loadMs: z.number().nonnegative() }).strict();
export type SiteLoaded = z.infer<typeof siteLoadedSchema>;

/**
 * The idle / in-flight report. `state`: `pooled` (no site, waiting), `loading`, `serving` (a site is
 * loaded), `job` (running a job), `draining` (SIGTERM received). `idleSeconds` counts since the
 * last request or job ended (0 while any is in flight).
 */
export const runtimeStatusSchema = z
    .object({
        state: z.enum(["pooled", "loading", "serving", "job", "draining"]),
        siteId: siteIdSchema.optional(),
        inFlight: z.number().int().nonnegative(),
        served: z.number().int().nonnegative(),
        idleSeconds: z.number().nonnegative(),
        startedAt: z.string().datetime(),
        loadedAt: z.string().datetime().optional(),
    })
    .strict();
export type RuntimeStatus = z.infer<typeof runtimeStatusSchema>;

export const errorBodySchema = z.object({ error: z.string(), code: z.string() }).strict();
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * What a site's handler module exports (`code.entry`, default `handler`): called with a request
 * or a job, returns the response (requests) or the result (jobs). An AbortSignal fires at the
 * job's deadline or when the client goes away.
 */
export interface HandlerRequest {
    kind: "request";
    method: string;
    path: string;
    query: Record<string, string>;
    headers: Record<string, string>;
    body: string;
    env: Record<string, string>;
}
export interface HandlerJob {
    kind: "job";
    jobId: string;
    attempt: number;
    payload: unknown;
    deadline: string;
    env: Record<string, string>;
}
export interface HandlerResponse {
    status?: number;
    headers?: Record<string, string>;
    body?: string | object;
}
export type Handler = (input: HandlerRequest | HandlerJob, signal: AbortSignal) => Promise<HandlerResponse | unknown> | HandlerResponse | unknown;
