import * as pulumi from "@pulumi/pulumi";

/**
 * Finds the SDK class of a provider resource type token (`gcp:container/cluster:Cluster` ->
 * `gcp.container.Cluster`, `kubernetes:apps/v1:Deployment` -> `k8s.apps.v1.Deployment`), so a
 * flat program can register recorded resources through the same classes the real program uses.
 */
type ResourceClass = new (name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const PACKAGES: Record<string, string> = { gcp: "@pulumi/gcp", aws: "@pulumi/aws", kubernetes: "@pulumi/kubernetes", tls: "@pulumi/tls", random: "@pulumi/random" };
const cache = new Map<string, ResourceClass | undefined>();

export function resourceClass(type: string): ResourceClass | undefined {
    if (cache.has(type)) return cache.get(type);
    const [pkg, mod, name] = type.split(":");
    let found: ResourceClass | undefined;
    if (PACKAGES[pkg] && mod && name) {
        let ns = require(PACKAGES[pkg]) as Record<string, unknown>;
        const path = pkg === "kubernetes" ? [mod.split("/")[0].split(".")[0], mod.split("/")[1]] : mod.split("/")[0] === "index" ? [] : [mod.split("/")[0]];
        for (const p of path) ns = (ns?.[p] ?? {}) as Record<string, unknown>;
        const cls = ns?.[name] as (ResourceClass & { __pulumiType?: string }) | undefined;
        if (cls && cls.__pulumiType === type) found = cls;
    }
    cache.set(type, found);
    return found;
}
