import type { RecordedResource } from "./recorder";
import type { Graph } from "./run";

export const TIER_TYPES = ["globalgrid:tier:Global", "globalgrid:tier:Continent", "globalgrid:tier:Region", "globalgrid:tier:DataCenter"] as const;

/** How people call each tier in the plan's tree and diff. */
export const TIER_LABEL: Record<string, string> = {
    "globalgrid:tier:Global": "global",
    "globalgrid:tier:Continent": "continent",
    "globalgrid:tier:Region": "region",
    "globalgrid:tier:DataCenter": "data center",
};

/** Index over a recorded graph: lookups by URN, type and parent, and the tier path of every resource. */
export class GraphIndex {
    readonly byUrn = new Map<string, RecordedResource>();
    private readonly kids = new Map<string, RecordedResource[]>();

    constructor(readonly graph: Graph) {
        for (const r of graph.resources) {
            this.byUrn.set(r.urn, r);
            if (r.parent) {
                const list = this.kids.get(r.parent) ?? [];
                list.push(r);
                this.kids.set(r.parent, list);
            }
        }
    }

    get resources(): RecordedResource[] {
        return this.graph.resources;
    }

    ofType(type: string): RecordedResource[] {
        return this.graph.resources.filter((r) => r.type === type);
    }

    /** The one resource of `type` named `name`; throws if absent. */
    get(type: string, name: string): RecordedResource {
        const r = this.graph.resources.find((x) => x.type === type && x.name === name);
        if (!r) throw new Error(`no ${type} named ${name}`);
        return r;
    }

    children(urn: string): RecordedResource[] {
        return this.kids.get(urn) ?? [];
    }

    /** All resources below `urn`, depth first. */
    descendants(urn: string): RecordedResource[] {
        return this.children(urn).flatMap((c) => [c, ...this.descendants(c.urn)]);
    }

    ancestors(r: RecordedResource): RecordedResource[] {
        const out: RecordedResource[] = [];
        let cur = r.parent ? this.byUrn.get(r.parent) : undefined;
        while (cur) {
            out.push(cur);
            cur = cur.parent ? this.byUrn.get(cur.parent) : undefined;
        }
        return out;
    }

    /** The tier components above (and including) `r`, outermost first: e.g. [global, eu, fra, fra1]. */
    tierPath(r: RecordedResource): RecordedResource[] {
        return [r, ...this.ancestors(r)].filter((x) => (TIER_TYPES as readonly string[]).includes(x.type)).reverse();
    }

    /** The region a resource lives in (its Region tier ancestor's name), if any. */
    regionOf(r: RecordedResource): string | undefined {
        return this.tierPath(r).find((t) => t.type === "globalgrid:tier:Region")?.name;
    }

    /** The data center a resource lives in, if any. */
    dataCenterOf(r: RecordedResource): string | undefined {
        return this.tierPath(r).find((t) => t.type === "globalgrid:tier:DataCenter")?.name;
    }

    /** Every edge a resource has to another: explicit/property dependencies, its parent and its provider. */
    edges(r: RecordedResource): string[] {
        const all = new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()]);
        if (r.parent) all.add(r.parent);
        if (r.provider) all.add(r.provider);
        return [...all];
    }
}
