import { z } from "zod";

/**
 * The scaler's config file (`scaler.json` in its ConfigMap). The program renders it from this
 * schema's type (components/workloads/scaler.ts); tests/agent-configs.test.ts parses every
 * rendered file with `scalerConfigSchema`.
 */
const backlogPolicy = z
    .object({
        kind: z.literal("backlog"),
        /** `projects/<project>/subscriptions/<name>` whose backlog metrics drive the grid */
        subscription: z.string().regex(/^projects\/[^/]+\/subscriptions\/[^/]+$/, "must be projects/<project>/subscriptions/<name>"),
        /** undelivered messages one pod is expected to drain within the look-ahead window */
        backlogPerPod: z.number().int().min(1),
        /** how far ahead the scaler provisions (extra pods when the oldest message ages toward the SLA) */
        lookAheadSeconds: z.number().int().min(0),
        /** the jobs' start SLA: the oldest unacked message must start within it */
        startSlaSeconds: z.number().int().positive(),
    })
    .strict();

const availabilityPolicy = z
    .object({
        kind: z.literal("availability"),
        /** the share of the pool's pods that must be idle (waiting in the pool) */
        availabilityThreshold: z.number().gt(0).lt(1),
        /** label selector of the pods taken out of the pool (serving a site); counted read-only */
        detachedSelector: z.string().min(1),
    })
    .strict();

export const scalerConfigSchema = z
    .object({
        target: z.object({ apiVersion: z.literal("apps/v1"), kind: z.literal("Deployment"), name: z.string().min(1) }).strict(),
        minReplicas: z.number().int().min(0),
        maxReplicas: z.number().int().min(1),
        policy: z.discriminatedUnion("kind", [backlogPolicy, availabilityPolicy]),
        /** the Consul service of the target's pods (registered by their dataplane sidecars) */
        consulService: z.string().min(1),
        intervalSeconds: z.number().int().min(5).max(300),
        /** scale-down stabilization window (the HPA's default is 300 s); scale-up is immediate */
        scaleDownStabilizationSeconds: z.number().int().min(0).max(3600),
        /** GCP project whose Cloud Monitoring holds the backlog metrics (backlog policy) */
        monitoringProject: z.string().min(1).optional(),
        metricsPort: z.number().int().min(1024).max(65535),
    })
    .strict()
    .refine((c) => c.minReplicas <= c.maxReplicas, { message: "must be >= minReplicas", path: ["maxReplicas"] })
    .refine((c) => c.policy.kind !== "backlog" || c.monitoringProject !== undefined, { message: "required by the backlog policy", path: ["monitoringProject"] });

export type ScalerConfig = z.infer<typeof scalerConfigSchema>;
export type ScalingPolicyConfig = ScalerConfig["policy"];
