import { z } from "zod";

/**
 * The reference runtime's config file (`runtime.json`). The program renders it for the warm pool
 * and the job grid (components/workloads/warm-pool.ts, job-grid.ts); tests/agent-configs.test.ts
 * parses every rendered file with `runtimeConfigSchema`.
 */
export const runtimeConfigSchema = z
    .object({
        /** the port of the REST contract (agents/runtime/src/contract.ts) */
        port: z.number().int().min(1024).max(65535),
        /** where downloaded site code is unpacked: the pod's writable scratch volume */
        workDir: z.string().startsWith("/"),
        /** `warm`: a pool pod for one site's requests; `job`: a job-grid app container (one job) */
        mode: z.enum(["warm", "job"]),
        /** the largest request body accepted from the broker */
        maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024),
    })
    .strict();

export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;
