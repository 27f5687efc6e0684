import { z } from "zod";

/**
 * The job supervisor's config file (`supervisor.json` in its ConfigMap). The program renders it
 * from this schema's type (components/workloads/job-grid.ts), and tests/agent-configs.test.ts
 * parses every rendered file with `supervisorConfigSchema`.
 */
export const supervisorConfigSchema = z
    .object({
        /** `projects/<project>/subscriptions/<name>`: the region's jobs subscription */
        subscription: z.string().regex(/^projects\/[^/]+\/subscriptions\/[^/]+$/, "must be projects/<project>/subscriptions/<name>"),
        /** the regional endpoint `<pubsubLocation>-pubsub.googleapis.com` (host, port 443 implied) */
        pubsubEndpoint: z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, "must be a host[:port]"),
        /** one job per pod, so one message at a time */
        maxOutstandingMessages: z.literal(1),
        /** the subscription's ack deadline; the lease is extended before it runs out */
        ackDeadlineSeconds: z.number().int().min(10).max(600),
        /** a job still running at this point is stopped and nacked */
        softTimeLimitSeconds: z.number().int().min(10).max(3600),
        /** the app container's REST endpoint on localhost (agents/runtime/src/contract.ts) */
        appUrl: z.string().url(),
        /** detaching: the pool label and its value in the pool and once detached */
        detach: z.object({ label: z.string().min(1), from: z.string().min(1), to: z.string().min(1) }).strict(),
        /** Prometheus /metrics and the /healthz, /readyz probes */
        metricsPort: z.number().int().min(1024).max(65535),
        /** where a job's code comes from: `<objectPrefix><siteId>/<codeSha256>.js` in the region's bucket, written to `dir` (shared read-only with the app) */
        code: z
            .object({
                bucket: z.string().min(3).max(63),
                objectPrefix: z.string().default("sites/"),
                dir: z.string().startsWith("/").default("/var/run/globalgrid/code"),
                /** Cloud Storage JSON API endpoint; set only by tests (an in-process server) */
                storageEndpoint: z.string().url().optional(),
            })
            .strict(),
    })
    .strict()
    .refine((c) => c.detach.from !== c.detach.to, { message: "detach.to must differ from detach.from", path: ["detach", "to"] });

export type SupervisorConfig = z.output<typeof supervisorConfigSchema>;
export type SupervisorConfigInput = z.input<typeof supervisorConfigSchema>;
