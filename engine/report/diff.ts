/**
 * The plan against a baseline plan.json: per tier, resources added, changed (which inputs),
 * renamed and removed. A resource whose URN changed but whose `aliases` name its old URN is the
 * same resource under a new name (what `pulumi up` does with it): renamed, not removed and added;
 * URNs of the baseline (parent, provider) are read through the renames before options are compared. Removing a stateful resource, or changing its inputs, is called out first: that is what a
 * reviewer of an "add region" pull request must not miss.
 */
import type { Plan, PlanResource } from "../plan";
import { TIER_LABEL, TIER_TYPES } from "../graph";
import { STACK_TYPE } from "../run";
import { describePem } from "../mock-pki";

/** Types whose replacement or deletion loses data or identity. Anything `protect`ed counts too. */
export const STATEFUL_TYPES = new Set([
    "gcp:container/cluster:Cluster",
    "aws:eks/cluster:Cluster",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:PersistentVolume",
    "gcp:pubsub/topic:Topic",
    "gcp:pubsub/subscription:Subscription",
    "gcp:pubsub/schema:Schema",
    "aws:sqs/queue:Queue",
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
    "tls:index/locallySignedCert:LocallySignedCert",
    "random:index/randomId:RandomId",
    "random:index/randomPassword:RandomPassword",
    "random:index/randomBytes:RandomBytes",
    "aws:kms/key:Key",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:dns/managedZone:ManagedZone",
    "aws:route53/zone:Zone",
    "gcp:storage/bucket:Bucket",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "gcp:artifactregistry/repository:Repository",
]);

export interface DiffEntry {
    urn: string;
    type: string;
    name: string;
    /** the tier path, e.g. "global > continent eu > region fra" */
    tier: string;
    stateful: boolean;
}
export interface ChangedEntry extends DiffEntry {
    /** changed input paths, e.g. spec.replicas, labels.team */
    inputs: string[];
    /** changed resource options: protect, ignoreChanges, provider, parent */
    options: string[];
}
/** A resource matched to a baseline resource through one of its aliases. */
export interface RenamedEntry extends DiffEntry {
    /** the baseline URN it had */
    from: string;
}
export interface TierDiff {
    tier: string;
    added: DiffEntry[];
    changed: ChangedEntry[];
    renamed: RenamedEntry[];
    removed: DiffEntry[];
}
export interface PlanDiff {
    stack: string;
    baselineStack: string;
    /** `renamed` counts resources matched by an alias (also counted as changed or unchanged) */
    counts: { added: number; changed: number; removed: number; unchanged: number; renamed: number };
    /** stateful resources removed or with changed inputs/options: read these first */
    stateful: ({ action: "removed" } & DiffEntry | { action: "changed" } & ChangedEntry)[];
    tiers: TierDiff[];
}

function tierOf(plan: Plan): (r: PlanResource) => string {
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    return (r) => {
        const path: string[] = [];
        for (let cur: PlanResource | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
            if ((TIER_TYPES as readonly string[]).includes(cur.type)) path.unshift(cur.type === "globalgrid:tier:Global" && cur.name === "global" ? "global" : `${TIER_LABEL[cur.type]} ${cur.name}`);
        }
        return path.join(" > ") || "(stack)";
    };
}

/** Dotted paths where two input values differ (arrays by index; a length change names the array). */
export function changedPaths(a: unknown, b: unknown, at = "", out: string[] = []): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) return out;
    // certificates are compared by what they say: a re-signed, otherwise identical one is no change
    if (typeof a === "string" && typeof b === "string" && a.includes("-----BEGIN") && describePem(a) === describePem(b)) return out;
    const isObj = (v: unknown) => typeof v === "object" && v !== null;
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        a.forEach((x, i) => changedPaths(x, b[i], `${at}[${i}]`, out));
    } else if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
        const ao = a as Record<string, unknown>;
        const bo = b as Record<string, unknown>;
        for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) changedPaths(ao[k], bo[k], at ? `${at}.${k}` : k, out);
    } else {
        out.push(at || "(all)");
    }
    return out;
}

const isStateful = (r: PlanResource, old?: PlanResource) => STATEFUL_TYPES.has(r.type) || r.protect || !!old?.protect;

export function diffPlans(baseline: Plan, current: Plan): PlanDiff {
    // the stack root is not a resource anyone reviews
    baseline = { ...baseline, resources: baseline.resources.filter((r) => r.type !== STACK_TYPE) };
    current = { ...current, resources: current.resources.filter((r) => r.type !== STACK_TYPE) };
    const before = new Map(baseline.resources.map((r) => [r.urn, r]));
    const after = new Map(current.resources.map((r) => [r.urn, r]));
    // baseline URN -> current URN, for resources that only the current plan's aliases connect
    const renames = new Map<string, string>();
    for (const r of current.resources) {
        if (before.has(r.urn)) continue;
        const old = (r.aliases ?? []).find((a) => before.has(a) && !after.has(a) && !renames.has(a));
        if (old) renames.set(old, r.urn);
    }
    const oldUrnOf = new Map([...renames].map(([from, to]) => [to, from]));
    const now = (urn: string | undefined) => (urn === undefined ? undefined : (renames.get(urn) ?? urn));
    const tierNow = tierOf(current);
    const tierThen = tierOf(baseline);
    const entry = (r: PlanResource, tier: string, old?: PlanResource): DiffEntry => ({ urn: r.urn, type: r.type, name: r.name, tier, stateful: isStateful(r, old) });
    const tiers = new Map<string, TierDiff>();
    const tierDiff = (t: string) => {
        if (!tiers.has(t)) tiers.set(t, { tier: t, added: [], changed: [], renamed: [], removed: [] });
        return tiers.get(t) as TierDiff;
    };
    // tiers in the order of the current plan, then tiers that only the baseline has
    for (const r of [...current.resources, ...baseline.resources]) if (TIER_LABEL[r.type]) tierDiff(after.has(r.urn) || renames.has(r.urn) ? tierNow(after.get(now(r.urn)!)!) : tierThen(r));
    let unchanged = 0;
    const stateful: PlanDiff["stateful"] = [];
    for (const r of current.resources) {
        const from = oldUrnOf.get(r.urn);
        const old = before.get(from ?? r.urn);
        if (!old) {
            const t = tierNow(r);
            tierDiff(t).added.push(entry(r, t));
            continue;
        }
        if (from) tierDiff(tierNow(r)).renamed.push({ ...entry(r, tierNow(r), old), from });
        const inputs = changedPaths(old.inputs, r.inputs);
        // a renamed resource's parent is part of its rename; the baseline's references are read through the renames
        const then = { protect: old.protect, ignoreChanges: old.ignoreChanges, provider: now(old.provider), parent: from ? r.parent : now(old.parent) };
        const options = (["protect", "ignoreChanges", "provider", "parent"] as const).filter((k) => JSON.stringify(then[k]) !== JSON.stringify(r[k]));
        if (!inputs.length && !options.length) {
            unchanged++;
            continue;
        }
        const t = tierNow(r);
        const c: ChangedEntry = { ...entry(r, t, old), inputs, options };
        tierDiff(t).changed.push(c);
        if (c.stateful) stateful.push({ action: "changed", ...c });
    }
    for (const r of baseline.resources) {
        if (after.has(r.urn) || renames.has(r.urn)) continue;
        const t = tierThen(r);
        const e = entry(r, t);
        tierDiff(t).removed.push(e);
        if (e.stateful) stateful.push({ action: "removed", ...e });
    }
    const list = [...tiers.values()].filter((t) => t.added.length + t.changed.length + t.renamed.length + t.removed.length > 0);
    const byType = (a: DiffEntry, b: DiffEntry) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name);
    for (const t of list) for (const k of ["added", "changed", "renamed", "removed"] as const) t[k].sort(byType);
    const sum = (k: "added" | "changed" | "renamed" | "removed") => list.reduce((n, t) => n + t[k].length, 0);
    return {
        stack: current.stack,
        baselineStack: baseline.stack,
        counts: { added: sum("added"), changed: sum("changed"), removed: sum("removed"), unchanged, renamed: sum("renamed") },
        stateful,
        tiers: list,
    };
}

const MAX_PATHS = 8;

/** What a rename changed, e.g. `parent globalgrid:tier:Region -> globalgrid:cluster:Gke` or `name a -> b`. */
export function describeRename(from: string, to: string): string {
    const split = (urn: string) => {
        const [, , qualified = "", ...name] = urn.split("::");
        const types = qualified.split("$");
        return { parent: types.slice(0, -1).pop() ?? "(stack)", type: types[types.length - 1], name: name.join("::") };
    };
    const a = split(from);
    const b = split(to);
    const parts = (["parent", "type", "name"] as const).filter((k) => a[k] !== b[k]).map((k) => `${k} ${a[k]} -> ${b[k]}`);
    return parts.join(", ") || "same URN path";
}

/** The diff as a reviewer reads it: stateful call-outs first, then per tier + added, ~ changed, > renamed (by alias), - removed. */
export function formatDiff(d: PlanDiff, baselineFile: string): string {
    const renamed = d.counts.renamed ? `; ${d.counts.renamed} of them renamed (matched by alias)` : "";
    const lines = [`diff of ${d.stack} against ${baselineFile}: ${d.counts.added} added, ${d.counts.changed} changed, ${d.counts.removed} removed, ${d.counts.unchanged} unchanged${renamed}`];
    if (d.stateful.length) {
        lines.push(`!! ${d.stateful.length} stateful resource(s) removed or changed; data or identity may be lost:`);
        for (const s of d.stateful) {
            const what = s.action === "removed" ? "REMOVED" : `CHANGED ${[...s.inputs, ...s.options.map((o) => `(${o})`)].slice(0, MAX_PATHS).join(", ")}`;
            lines.push(`!!   ${s.type} ${s.name} [${s.tier}]: ${what}`);
        }
    } else {
        lines.push("no stateful resource is removed or changed");
    }
    for (const t of d.tiers) {
        lines.push(`${t.tier}: +${t.added.length} ~${t.changed.length} -${t.removed.length}${t.renamed.length ? ` >${t.renamed.length}` : ""}`);
        for (const a of t.added) lines.push(`  + ${a.type} ${a.name}`);
        for (const c of t.changed) {
            const paths = [...c.inputs, ...c.options.map((o) => `(${o})`)];
            lines.push(`  ~ ${c.type} ${c.name}: ${paths.slice(0, MAX_PATHS).join(", ")}${paths.length > MAX_PATHS ? ` (+${paths.length - MAX_PATHS} more)` : ""}`);
        }
        for (const r of t.renamed) lines.push(`  > ${r.type} ${r.name}: ${describeRename(r.from, r.urn)}`);
        for (const r of t.removed) lines.push(`  - ${r.type} ${r.name}${r.stateful ? " (stateful)" : ""}`);
    }
    return lines.join("\n");
}
