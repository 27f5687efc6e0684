import type { Cloud } from "../config/model";

/** Upper bound of the continental system pool (nodes in total) when the config names none. */
export const DEFAULT_CONTINENT_SYSTEM_MAX_NODES = 5;

export interface ContinentSystemPoolInput {
    cloud: Cloud;
    /** the continental cluster's node zones (a GKE regional pool counts its nodes per zone) */
    zones: string[];
    /** `consul.replicas` of each region the continent hosts */
    consulReplicas: number[];
    /** `continents.<c>.systemPool` as configured: nodes in total */
    configured: { minNodes?: number; maxNodes?: number };
}

export interface ContinentSystemPool {
    /** what the node pool resource takes: per zone on gcp, in total on aws */
    minNodes: number;
    maxNodes: number;
    /** nodes the largest Consul datacenter needs: its servers' required anti-affinity is by hostname */
    required: number;
    /** the configured maximum is too small to hold `required` nodes (with gcp's per-zone rounding) */
    problem?: string;
}

/**
 * The continental system pool: at least one node per Consul server of its largest region (the
 * servers' required pod anti-affinity by hostname leaves a server without a node Pending), at
 * least the configured minimum. A GKE regional node pool's autoscaling bounds count nodes in each
 * of its zones, so totals are divided over the zones: the minimum rounds up, the maximum down.
 */
export function continentSystemPool(input: ContinentSystemPoolInput): ContinentSystemPool {
    const required = Math.max(1, ...input.consulReplicas);
    const wantMin = Math.max(required, input.configured.minNodes ?? 1);
    if (input.cloud === "aws") {
        const max = input.configured.maxNodes ?? Math.max(DEFAULT_CONTINENT_SYSTEM_MAX_NODES, wantMin);
        const problem = max < wantMin ? `${max} cannot hold ${wantMin} nodes (one per Consul server of the largest region, ${required}, and at least minNodes)` : undefined;
        return { minNodes: wantMin, maxNodes: Math.max(max, wantMin), required, problem };
    }
    const zones = Math.max(1, input.zones.length);
    const minPerZone = Math.ceil(wantMin / zones);
    const configuredMax = input.configured.maxNodes;
    const maxPerZone = configuredMax === undefined ? Math.max(Math.ceil(DEFAULT_CONTINENT_SYSTEM_MAX_NODES / zones), minPerZone) : Math.floor(configuredMax / zones);
    const problem =
        maxPerZone < minPerZone
            ? `${configuredMax} cannot hold ${minPerZone * zones} nodes: the GKE pool counts nodes per zone, ${zones} zones x ${minPerZone} (one per Consul server of the largest region, ${required}, and at least minNodes)`
            : undefined;
    return { minNodes: minPerZone, maxNodes: Math.max(maxPerZone, minPerZone), required, problem };
}
