import { readFileSync } from "node:fs";
import { z } from "zod";
import { consulAccessSchema } from "@globalgrid/common";

/**
 * The broker's configuration: the contract the program renders into the broker's ConfigMap
 * (`broker.json`; components/workloads/broker.ts builds it from `BrokerConfig`) and the broker
 * parses at start. Durations are in the unit their name says; fractions are allowed so tests can
 * run recycling in seconds.
 */

const labelMap = z.record(z.string().min(1), z.string()).refine((m) => Object.keys(m).length > 0, { message: "must name at least one label" });
const port = z.number().int().min(1).max(65535);

export const brokerConfigSchema = z
    .object({
        /** the data center this broker serves (its namespace holds the warm pool) */
        dataCenter: z.string().min(1),
        namespace: z.string().min(1),
        pool: z
            .object({
                /** the warm pool Deployment's selector: a pod matching it is pooled (free) */
                selector: labelMap,
                /** labels every warm-pool pod keeps, pooled or serving a site */
                runtimePods: labelMap,
                /** taking a pod out of the pool sets this label to this value (it leaves the selector) */
                detach: z.object({ label: z.string().min(1), value: z.string().min(1) }).strict(),
            })
            .strict()
            .refine((p) => p.selector[p.detach.label] !== undefined && p.selector[p.detach.label] !== p.detach.value, {
                message: "detach.label must be a selector label and detach.value must differ from its pooled value",
                path: ["detach"],
            }),
        runtime: z
            .object({
                port,
                /** loading a site into a pod (install the site's code) may take this long */
                loadTimeoutSeconds: z.number().positive().default(30),
                /** a forwarded request may take this long before the broker answers 504 */
                requestTimeoutSeconds: z.number().positive().default(60),
            })
            .strict(),
        sites: z
            .object({
                /** the request header naming the site */
                header: z.string().min(1).default("x-globalgrid-site"),
                /** a pod with this many requests in flight is saturated: the site gets one more pod */
                maxInFlightPerPod: z.number().int().positive().default(32),
                maxPodsPerSite: z.number().int().positive().default(4),
                /** a site pod idle (no request) this long is recycled */
                idleMinutes: z.number().positive().default(5),
                /** Consul KV prefix of the site catalog: `<catalogPrefix><siteId>` holds the site's release and env */
                catalogPrefix: z.string().min(1).default("globalgrid/sites/"),
            })
            .strict(),
        /** every warm-pool pod (pooled or serving) is deleted once older than this */
        recycleMinutes: z.number().positive(),
        /** after a pod is marked draining, how long every broker has to stop sending it requests before it is deleted */
        drainSeconds: z.number().nonnegative().default(60),
        /** how often the broker re-reads the pods (routing table, recycling, repair) */
        resyncSeconds: z.number().positive().default(5),
        /** a claim not confirmed within this time was left by a broker that died: it is released */
        claimTimeoutSeconds: z.number().positive().default(30),
        /** what an empty pool answers: 503 with this Retry-After */
        retryAfterSeconds: z.number().int().positive().default(2),
        /** the code port serves warm pods the site code the broker fetched and verified (never exposed outside the cluster) */
        listen: z.object({ port, metricsPort: port, codePort: port }).strict(),
        code: z
            .object({
                /** the region's site-code bucket (objects `<objectPrefix><siteId>/<sha256>.js`, immutable) */
                bucket: z.string().min(3).max(63),
                objectPrefix: z.string().default("sites/"),
                /** Cloud Storage JSON API endpoint; set only by tests (an in-process server) */
                storageEndpoint: z.string().url().optional(),
                /** verified artifacts kept in memory, by sha256 */
                cacheEntries: z.number().int().positive().default(256),
                /** a site's first request waits at most this long for its code (download and one retry); then 503 */
                fetchTimeoutSeconds: z.number().positive().max(60).default(10),
            })
            .strict(),
        consul: z
            .object({
                access: consulAccessSchema,
                /** the external (agent-less) Consul node the data center's site pods are registered on */
                node: z.string().min(1),
                /** a site's Consul service is `<servicePrefix><site key>` */
                servicePrefix: z.string().min(1).default("site-"),
            })
            .strict(),
    })
    .strict()
    .refine((c) => c.listen.port !== c.listen.metricsPort, { message: "listen.port and listen.metricsPort must differ", path: ["listen", "metricsPort"] })
    .refine((c) => c.listen.codePort !== c.listen.port && c.listen.codePort !== c.listen.metricsPort, {
        message: "listen.codePort must differ from listen.port and listen.metricsPort",
        path: ["listen", "codePort"],
    })
    .refine((c) => c.drainSeconds >= c.runtime.requestTimeoutSeconds, {
        message: "must be at least runtime.requestTimeoutSeconds: a draining pod is deleted only after every request to it can have ended",
        path: ["drainSeconds"],
    });

/** What the broker runs with (defaults applied). */
export type BrokerConfig = z.output<typeof brokerConfigSchema>;
/** What the program renders (defaults may be left out). */
export type BrokerConfigInput = z.input<typeof brokerConfigSchema>;

/** Parses a config value; a bad value fails with every problem and its path. */
export function parseBrokerConfig(value: unknown): BrokerConfig {
    const r = brokerConfigSchema.safeParse(value);
    if (!r.success) {
        const problems = r.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
        throw new Error(`invalid broker config (${problems.length} problem${problems.length > 1 ? "s" : ""}):\n${problems.join("\n")}`);
    }
    return r.data;
}

export function loadBrokerConfig(path: string): BrokerConfig {
    return parseBrokerConfig(JSON.parse(readFileSync(path, "utf8")));
}
