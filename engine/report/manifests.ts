/**
 * The Kubernetes objects of a recorded graph as files a person (or `kubectl apply --dry-run=server`)
 * can read: out/<stack>/manifests/<cluster>/<namespace or _cluster>/<kind>-<name>.yaml, secrets redacted.
 */
import { mkdirSync, rmSync, writeFileSync } from "fs";
import * as path from "path";
import { stringify } from "yaml";
import type { GraphIndex } from "../graph";
import type { RecordedResource } from "../recorder";
import { isSecret, REDACTED } from "../values";

export const K8S_PROVIDER_TYPE = "pulumi:providers:kubernetes";
const CLUSTER_TYPES = ["gcp:container/cluster:Cluster", "aws:eks/cluster:Cluster"];
/** Pulumi-only inputs of Kubernetes resources that are not part of the object. */
const PULUMI_ONLY = new Set(["__defaults"]);

/** One Kubernetes object, ready to be written or validated. */
export interface Manifest {
    urn: string;
    /** physical name of the cluster the object is applied to */
    cluster: string;
    /** the object's namespace, or "_cluster" for cluster-scoped objects */
    namespace: string;
    apiVersion: string;
    kind: string;
    name: string;
    /** path below the manifests directory: <cluster>/<namespace>/<kind>-<name>.yaml */
    file: string;
    object: Record<string, unknown>;
}

/** Every string inside a secret becomes "[secret]"; structure (keys, arrays, numbers) is kept so the object stays well formed. */
function redactDeep(v: unknown, inSecret = false): unknown {
    if (isSecret(v)) return redactDeep(v.value, true);
    if (Array.isArray(v)) return v.map((x) => redactDeep(x, inSecret));
    if (typeof v === "string") return inSecret ? REDACTED : v;
    if (typeof v !== "object" || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactDeep(x, inSecret);
    return out;
}

/** The object as it would be applied: Pulumi-only inputs dropped, secrets redacted; a Secret's values all become redacted `stringData`. */
export function manifestObject(r: RecordedResource): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.inputs)) if (!PULUMI_ONLY.has(k)) obj[k] = redactDeep(v);
    if (obj.kind === "Secret") {
        // base64 `data` cannot carry "[secret]"; every value (secret or not) is shown as redacted stringData
        const keys = [...Object.keys((obj.data as object) ?? {}), ...Object.keys((obj.stringData as object) ?? {})];
        delete obj.data;
        if (keys.length) obj.stringData = Object.fromEntries(keys.map((k) => [k, REDACTED]));
        else delete obj.stringData;
    }
    return obj;
}

/** Physical cluster name per Kubernetes provider URN: the cluster resource the provider depends on, else the provider's name. */
export function providerClusters(g: GraphIndex): Map<string, string> {
    const out = new Map<string, string>();
    for (const p of g.ofType(K8S_PROVIDER_TYPE)) {
        const cluster = [...p.dependencies, ...Object.values(p.propertyDependencies).flat()]
            .map((u) => g.byUrn.get(u))
            .find((d) => d && CLUSTER_TYPES.includes(d.type));
        const physical = cluster && (cluster.inputs.name as string | undefined);
        out.set(p.urn, typeof physical === "string" ? physical : p.name);
    }
    return out;
}

const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");

/** Every `kubernetes:*` custom resource of the graph as a Manifest, sorted by file. */
export function collectManifests(g: GraphIndex): Manifest[] {
    const clusters = providerClusters(g);
    const out: Manifest[] = [];
    for (const r of g.resources) {
        if (!r.custom || !r.type.startsWith("kubernetes:")) continue;
        const object = manifestObject(r);
        const meta = (object.metadata ?? {}) as Record<string, unknown>;
        const kind = String(object.kind ?? r.type.split(":").pop());
        const name = String(meta.name ?? r.name);
        const namespace = typeof meta.namespace === "string" ? meta.namespace : "_cluster";
        const cluster = (r.provider && clusters.get(r.provider)) || "_default-provider";
        out.push({
            urn: r.urn,
            cluster,
            namespace,
            apiVersion: String(object.apiVersion ?? ""),
            kind,
            name,
            file: path.posix.join(fileSafe(cluster), fileSafe(namespace), `${fileSafe(kind.toLowerCase())}-${fileSafe(name)}.yaml`),
            object,
        });
    }
    const seen = new Map<string, string>();
    for (const m of out) {
        const other = seen.get(m.file);
        if (other) throw new Error(`two Kubernetes objects map to ${m.file}: ${other} and ${m.urn}`);
        seen.set(m.file, m.urn);
    }
    return out.sort((a, b) => a.file.localeCompare(b.file));
}

export const manifestYaml = (m: Manifest): string => stringify(m.object, { lineWidth: 0, aliasDuplicateObjects: false });

/** Writes the manifests below `dir` (replacing what an earlier plan left there). */
export function writeManifests(dir: string, manifests: Manifest[]): void {
    rmSync(dir, { recursive: true, force: true });
    for (const m of manifests) {
        const file = path.join(dir, m.file);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, manifestYaml(m));
    }
}
