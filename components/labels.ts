/** Where a resource lives in the world: the labels every Kubernetes object and cloud resource carries. */
export interface Placement {
    tier: "global" | "continent" | "region" | "datacenter";
    continent?: string;
    region?: string;
    datacenter?: string;
}

const PART_OF = "globalgrid";

/** The labels every Kubernetes object carries: app.kubernetes.io/* (what it is) and globalgrid.dev/* (where it lives in the tiers) */
export function k8sLabels(name: string, component: string, p: Placement): Record<string, string> {
    const labels: Record<string, string> = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        "globalgrid.dev/tier": p.tier,
    };
    if (p.continent) labels["globalgrid.dev/continent"] = p.continent;
    if (p.region) labels["globalgrid.dev/region"] = p.region;
    if (p.datacenter) labels["globalgrid.dev/datacenter"] = p.datacenter;
    return labels;
}

/** GCP labels: keys and values limited to [a-z0-9_-], so the same facts under flat keys. */
export function gcpLabels(component: string, p: Placement): Record<string, string> {
    const labels: Record<string, string> = { "part-of": PART_OF, "managed-by": "pulumi", component, tier: p.tier };
    if (p.continent) labels.continent = p.continent;
    if (p.region) labels.region = p.region;
    if (p.datacenter) labels.datacenter = p.datacenter;
    return labels;
}

/** AWS tags: the Kubernetes label keys work as tag keys. */
export function awsTags(component: string, p: Placement, name?: string): Record<string, string> {
    const tags: Record<string, string> = {
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/component": component,
        "globalgrid.dev/tier": p.tier,
    };
    if (name) tags.Name = name;
    if (p.continent) tags["globalgrid.dev/continent"] = p.continent;
    if (p.region) tags["globalgrid.dev/region"] = p.region;
    if (p.datacenter) tags["globalgrid.dev/datacenter"] = p.datacenter;
    return tags;
}
