import type * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { gcpLabels } from "../labels";
import type { ProjectApis } from "../project/services";
import { autoscaledPoolSize, hardenedNodeConfig, nodePoolOptions } from "./gke-nodes";
import type { NodeIdentity } from "./node-identity";
import { GRID_POOLS, POOL_KEY, poolLabels } from "./pool-labels";
import type { SandboxPools, SandboxPoolsArgs } from "./sandbox-pools";

/** GKE Sandbox: the only value the provider accepts for `sandboxConfig.type` (lowercase "gvisor" belongs to the deprecated `sandboxType`, removed in newer providers). */
export const GKE_SANDBOX_TYPE = "GVISOR";

/** What the GKE pools take from their cluster. */
export interface GkePoolHost {
    cluster: gcp.container.Cluster;
    /** the service account every node pool of the cluster runs as */
    nodeIdentity: NodeIdentity;
    /** the project's enabled APIs (global tier) */
    apis: ProjectApis;
}

/** A data center's two GKE Sandbox node pools, tainted and pinned to its zone. */
export function createGkeSandboxPools(name: string, args: SandboxPoolsArgs, host: GkePoolHost, opts: pulumi.CustomResourceOptions): SandboxPools {
    const { names, region, dataCenter: dc } = args;
    const out = {} as SandboxPools;
    for (const pool of GRID_POOLS) {
        const grid = pool === "warm-pool" ? dc.warmPool : dc.jobGrid;
        const np = new gcp.container.NodePool(
            `${name}-${pool}`,
            {
                name: names.dataCenterPool(dc.name, pool),
                project: host.cluster.project,
                cluster: host.cluster.name,
                location: region.location,
                nodeLocations: [dc.zone],
                // one zone: the per-zone counts are the pool's counts
                ...autoscaledPoolSize(grid.nodes),
                management: { autoRepair: true, autoUpgrade: true },
                nodeConfig: {
                    ...hardenedNodeConfig(grid.machineType, gcpLabels(pool, args.placement), host.nodeIdentity.email),
                    sandboxConfig: { type: GKE_SANDBOX_TYPE },
                    labels: poolLabels(pool, dc.name),
                    taints: [{ key: POOL_KEY, value: pool, effect: "NO_SCHEDULE" }],
                },
            },
            { ...opts, ...nodePoolOptions(host.apis, host.nodeIdentity) },
        );
        out[pool] = { name: np.name, resource: np };
    }
    return out;
}
