import { CatalogRecordError, CodeArtifactError, readSiteRecord } from "@globalgrid/common";
import type { ConsulApi } from "@globalgrid/common/src/consul";
import type { SiteLoad } from "@globalgrid/runtime/src/contract";
import type { CodeStore } from "./code-store";

/**
 * A site's release as a warm pod loads it: the catalog record (`<catalogPrefix><siteId>` in the
 * region's Consul KV: code digest, entry, env) and the code, fetched and served by the CodeStore.
 * Resolved before any pod is claimed, so an unknown site or a broken release never takes a pod.
 */

/** No catalog record: the site is not published in this region. */
export class UnknownSite extends Error {
    constructor(readonly siteId: string) {
        super(`unknown site ${siteId}`);
        this.name = "UnknownSite";
    }
}

export class Releases {
    constructor(
        private readonly consul: ConsulApi,
        private readonly catalogPrefix: string,
        private readonly code: CodeStore,
    ) {}

    /** The `PUT /v1/site` body for the site's current release. */
    async load(siteId: string): Promise<SiteLoad> {
        const record = await readSiteRecord(this.consul, this.catalogPrefix, siteId);
        if (!record) throw new UnknownSite(siteId);
        return { siteId, code: await this.code.codeRef(siteId, record.code), env: record.env };
    }
}

/**
 * The client's answer when a site's release cannot be resolved for a reason retrying cannot fix:
 * 404 for an unknown site, 502 for a broken release (its code object missing or not matching its
 * digest, its catalog record invalid). The bucket and object are named in the broker's log line,
 * not to the client. Undefined for anything else (Consul or storage unreachable: retry later).
 */
export function releaseFailure(siteId: string, e: unknown): { status: number; error: string } | undefined {
    if (e instanceof UnknownSite) return { status: 404, error: `unknown site ${siteId}` };
    if (e instanceof CodeArtifactError) {
        const what = e.reason === "missing" ? "its code object is missing" : "its code does not match the release's sha256";
        return { status: 502, error: `the current release of site ${siteId} cannot be loaded: ${what}` };
    }
    if (e instanceof CatalogRecordError) return { status: 502, error: `the current release of site ${siteId} cannot be loaded: its catalog record is invalid` };
    return undefined;
}
