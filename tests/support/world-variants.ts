import { parseWorld, WorldConfigError } from "../../components/config/load";
import type { ConfigIssue } from "../../components/config/rules";
import { loadWorldDocument } from "../../engine/stack-config";

/** A deep copy of a stack's `globalgrid:world`, for tests that derive variants of it. */
export function worldOf(stack: "staging" | "prod"): Record<string, any> {
    return structuredClone(loadWorldDocument(stack)) as Record<string, any>;
}

/** Sets `value` at a dotted path (creating objects on the way); `undefined` deletes the key. */
export function setPath(obj: Record<string, any>, dotted: string, value: unknown): Record<string, any> {
    const parts = dotted.split(".");
    let cur = obj;
    for (const p of parts.slice(0, -1)) cur = cur[p] ??= {};
    const last = parts[parts.length - 1];
    if (value === undefined) delete cur[last];
    else cur[last] = value;
    return obj;
}

/** staging plus a new gcp region `mil` with one data center, in the eu continent. */
export function stagingPlusRegion(): Record<string, any> {
    const w = worldOf("staging");
    w.continents.eu.regions.mil = { location: "europe-west8", cidr: "10.18.0.0/16", dataCenters: { mil1: { zone: "europe-west8-a" } } };
    return w;
}

/** The problems parseWorld reports for a raw world (none when it is valid). */
export function configProblems(world: unknown): ConfigIssue[] {
    try {
        parseWorld(world);
    } catch (e) {
        if (e instanceof WorldConfigError) return e.issues;
        throw e;
    }
    return [];
}
