import { createHash } from "node:crypto";
import { siteIdSchema } from "@globalgrid/runtime/src/contract";

/**
 * Sites and the names derived from them. A site id comes from a request header and must be what
 * the runtime contract accepts (a lowercase DNS label); labels and Consul service names get a
 * fixed-length digest of it (`s` + 32 hex digits), so the naming does not depend on the id's
 * shape; the id itself is kept in an annotation and in the Consul service's Meta.
 */

export function validSiteId(id: string | undefined): id is string {
    return id !== undefined && siteIdSchema.safeParse(id).success;
}

/** The label-safe key of a site. */
export function siteKey(siteId: string): string {
    return `s${createHash("sha256").update(siteId).digest("hex").slice(0, 32)}`;
}

/** Label and annotation names the broker keeps a pod's assignment in (the state survives any broker). */
export const SITE_LABEL = "globalgrid.dev/site";
export const SLOT_LABEL = "globalgrid.dev/site-slot";
export const SITE_ID_ANNOTATION = "globalgrid.dev/site-id";
/** `claimed` (taken, not yet confirmed unique) or `assigned` (the site's pod for its slot) */
export const STATE_ANNOTATION = "globalgrid.dev/assignment";
export const CLAIMED_AT_ANNOTATION = "globalgrid.dev/claimed-at";
export const CLAIMED_BY_ANNOTATION = "globalgrid.dev/claimed-by";
/** set once the runtime has loaded the site's code */
export const LOADED_ANNOTATION = "globalgrid.dev/loaded-at";
/** set when recycling starts: no broker sends the pod new requests */
export const DRAINING_ANNOTATION = "globalgrid.dev/draining-since";
