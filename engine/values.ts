/**
 * Values as the engine sees them: secrets travel wrapped in Pulumi's signature object and resource
 * references as `{ urn }`. These helpers let tests and the plan inspect, reveal or redact them.
 */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const REDACTED = "[secret]";

export interface SecretValue {
    [SIG_KEY]: typeof SECRET_SIG;
    value: unknown;
}

export function isSecret(v: unknown): v is SecretValue {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Normalizes wire values: resource references become their URN string; secrets keep their wrapper. */
export function normalize(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(normalize);
    if (typeof v !== "object" || v === null) return v;
    const o = v as Record<string, unknown>;
    if (o[SIG_KEY] === RESOURCE_SIG) return o.urn;
    if (isSecret(o)) return { [SIG_KEY]: SECRET_SIG, value: normalize(o.value) };
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = normalize(x);
    return out;
}

/** Replaces every secret with "[secret]". */
export function redact(v: unknown): unknown {
    if (isSecret(v)) return REDACTED;
    if (Array.isArray(v)) return v.map(redact);
    if (typeof v !== "object" || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redact(x);
    return out;
}

/** Unwraps every secret to its plain value (for assertions on what a secret contains). */
export function reveal(v: unknown): unknown {
    if (isSecret(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (typeof v !== "object" || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = reveal(x);
    return out;
}

/** Every string outside a secret wrapper, with its property path. */
export function plainStrings(v: unknown, at = ""): { path: string; value: string }[] {
    if (isSecret(v)) return [];
    if (typeof v === "string") return [{ path: at, value: v }];
    if (Array.isArray(v)) return v.flatMap((x, i) => plainStrings(x, `${at}[${i}]`));
    if (typeof v !== "object" || v === null) return [];
    return Object.entries(v).flatMap(([k, x]) => plainStrings(x, at ? `${at}.${k}` : k));
}

/** Reads a dotted path (`spec.template.spec`) from a normalized value, revealing secrets on the way. */
export function at(v: unknown, dotted: string): unknown {
    let cur: unknown = v;
    for (const part of dotted.split(".")) {
        if (isSecret(cur)) cur = cur.value;
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string, unknown>)[part];
    }
    return isSecret(cur) ? cur.value : cur;
}
