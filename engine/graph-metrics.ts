import type { GraphIndex } from "./graph";

/**
 * Longest chain of "must exist before" edges in the graph: dependencies, property dependencies,
 * providers and parent-before-child. It bounds how much of a deployment must run serially.
 */
export function dependencyDepth(g: GraphIndex): number {
    const memo = new Map<string, number>();
    const visiting = new Set<string>();
    const depth = (urn: string): number => {
        const known = memo.get(urn);
        if (known !== undefined) return known;
        if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        visiting.add(urn);
        const r = g.byUrn.get(urn);
        let d = 1;
        if (r) for (const e of g.edges(r)) if (g.byUrn.has(e)) d = Math.max(d, 1 + depth(e));
        visiting.delete(urn);
        memo.set(urn, d);
        return d;
    };
    let max = 0;
    for (const r of g.resources) max = Math.max(max, depth(r.urn));
    return max;
}

/** Edges (dependency, parent or provider) from a resource of one region to a resource of another. */
export function crossRegionEdges(g: GraphIndex): { from: string; to: string }[] {
    const out: { from: string; to: string }[] = [];
    const regionCache = new Map<string, string | undefined>();
    const regionOf = (urn: string) => {
        if (!regionCache.has(urn)) {
            const r = g.byUrn.get(urn);
            regionCache.set(urn, r && g.regionOf(r));
        }
        return regionCache.get(urn);
    };
    for (const r of g.resources) {
        const mine = regionOf(r.urn);
        if (!mine) continue;
        for (const e of g.edges(r)) {
            const theirs = regionOf(e);
            if (theirs && theirs !== mine) out.push({ from: r.urn, to: e });
        }
    }
    return out;
}
