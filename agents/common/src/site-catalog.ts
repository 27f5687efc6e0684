import { createHash } from "node:crypto";
import { Storage } from "@google-cloud/storage";
import { z } from "zod";
import type { ConsulApi } from "./consul";

/**
 * The site catalog: which release of a site runs in a region, and its environment. It lives in the
 * region's Consul KV under `globalgrid/sites/<siteId>`; the code itself is an immutable,
 * content-addressed object `<objectPrefix><siteId>/<sha256>.js` in the region's code bucket.
 */

/** Consul KV prefix of the site catalog (the broker's ACL policy grants `read` on it). */
export const SITE_KV_PREFIX = "globalgrid/sites/";

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "a sha256 digest: 64 lowercase hex characters");

/** The value of `globalgrid/sites/<siteId>`: strict, unknown keys are rejected. */
export const siteRecordSchema = z
    .object({
        code: z
            .object({
                sha256: sha256Hex,
                entry: z.string().min(1).default("handler"),
            })
            .strict(),
        env: z.record(z.string(), z.string()).default({}),
    })
    .strict();

export type SiteRecord = z.infer<typeof siteRecordSchema>;
export type SiteRecordInput = z.input<typeof siteRecordSchema>;

/** The object name of one release of a site's code: `<prefix><siteId>/<sha256>.js`. */
export function codeObjectName(prefix: string, siteId: string, sha256: string): string {
    return `${prefix}${siteId}/${sha256}.js`;
}

/** The hex sha256 of a code artifact. */
export function sha256Of(body: Buffer): string {
    return createHash("sha256").update(body).digest("hex");
}

/** A code object that is absent or whose content does not match its digest (not retryable). */
export class CodeArtifactError extends Error {
    constructor(
        readonly object: string,
        readonly reason: "missing" | "digest-mismatch",
        detail: string,
    ) {
        super(`code object gs://${object}: ${detail}`);
        this.name = "CodeArtifactError";
    }
}

/**
 * A bound on one download, retries included. The client's defaults (no request timeout, 3 retries
 * within 600 s) suit a batch job, not a request a visitor waits for: with a budget each attempt
 * may take half of it and there is one retry, so a stalled or failing Cloud Storage costs the
 * caller about `timeoutSeconds`, never minutes.
 */
export interface StorageBudget {
    timeoutSeconds: number;
}

/**
 * The Cloud Storage client the agents download code with: the default endpoint and Application
 * Default Credentials (the pod's keyless workload identity) in production; an in-process server's
 * endpoint in tests (with a custom endpoint the client sends no credentials).
 */
export function storageClient(storageEndpoint?: string, budget?: StorageBudget): Storage {
    const limits = budget
        ? { timeout: Math.ceil((budget.timeoutSeconds * 1000) / 2), retryOptions: { maxRetries: 1, totalTimeout: budget.timeoutSeconds, maxRetryDelay: 1 } }
        : {};
    return new Storage({ ...(storageEndpoint ? { apiEndpoint: storageEndpoint } : {}), ...limits });
}

/**
 * Downloads `gs://<bucket>/<object>` and checks that its content hashes to `sha256`. A 404 or a
 * different digest is a CodeArtifactError (the release is broken, retrying cannot help); any other
 * failure (network, 5xx, credentials) is thrown as it is, so callers may retry it.
 */
export async function fetchVerifiedObject(storage: Storage, bucket: string, object: string, sha256: string): Promise<Buffer> {
    let body: Buffer;
    try {
        [body] = await storage.bucket(bucket).file(object).download();
    } catch (e) {
        if ((e as { code?: number }).code === 404) throw new CodeArtifactError(`${bucket}/${object}`, "missing", "no such object");
        throw e;
    }
    const actual = sha256Of(body);
    if (actual !== sha256) throw new CodeArtifactError(`${bucket}/${object}`, "digest-mismatch", `content has sha256 ${actual}, expected ${sha256}`);
    return body;
}

export interface PublishSiteOptions {
    storage: Storage;
    consul: ConsulApi;
    bucket: string;
    /** object prefix, `sites/` by default */
    objectPrefix?: string;
    /** Consul KV prefix, SITE_KV_PREFIX by default */
    catalogPrefix?: string;
    siteId: string;
    /** the site's JavaScript module */
    code: Buffer | string;
    entry?: string;
    env?: Record<string, string>;
}

/**
 * Publishes one release of a site: uploads the code object (a single-request, non-resumable upload;
 * the object is content-addressed, so re-publishing the same code writes the same bytes), then
 * points the catalog at it. The KV record is written only after the object exists, so a reader
 * never sees a release whose code is not there yet.
 */
export async function publishSite(opts: PublishSiteOptions): Promise<SiteRecord> {
    const body = Buffer.isBuffer(opts.code) ? opts.code : Buffer.from(opts.code, "utf8");
    const sha256 = sha256Of(body);
    const record = siteRecordSchema.parse({ code: { sha256, ...(opts.entry ? { entry: opts.entry } : {}) }, env: opts.env ?? {} });
    const object = codeObjectName(opts.objectPrefix ?? "sites/", opts.siteId, sha256);
    await opts.storage.bucket(opts.bucket).file(object).save(body, { resumable: false, contentType: "application/javascript" });
    const written = await opts.consul.kvPutJson(`${opts.catalogPrefix ?? SITE_KV_PREFIX}${opts.siteId}`, record);
    if (written !== true) throw new Error(`publishSite ${opts.siteId}: consul did not write the catalog record`);
    return record;
}

/** A catalog record that is not JSON or not a SiteRecord (the publisher's mistake; retrying cannot help). */
export class CatalogRecordError extends Error {
    constructor(
        readonly key: string,
        detail: string,
    ) {
        super(`site catalog ${key}: ${detail}`);
        this.name = "CatalogRecordError";
    }
}

/** Reads a site's catalog record; undefined when the site is unknown. A malformed record is a CatalogRecordError. */
export async function readSiteRecord(consul: ConsulApi, catalogPrefix: string, siteId: string): Promise<SiteRecord | undefined> {
    const key = `${catalogPrefix}${siteId}`;
    const raw = await consul.kvGet(key);
    if (raw === undefined) return undefined;
    let value: unknown;
    try {
        value = JSON.parse(raw.toString("utf8"));
    } catch {
        throw new CatalogRecordError(key, "not JSON");
    }
    const parsed = siteRecordSchema.safeParse(value);
    if (!parsed.success) throw new CatalogRecordError(key, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    return parsed.data;
}
