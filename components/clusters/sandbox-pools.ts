import type * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import type * as gcp from "@pulumi/gcp";
import type { DataCenter, Region } from "../config/model";
import type { Placement } from "../labels";
import type { Names } from "../naming";
import type { GridPool } from "./pool-labels";

/** One sandboxed (gVisor), tainted node pool of a data center, pinned to its zone. */
export interface SandboxPool {
    /** the pool's physical name (GKE node pool, EKS node group) */
    name: pulumi.Output<string>;
    resource: gcp.container.NodePool | aws.eks.NodeGroup;
}
export type SandboxPools = Record<GridPool, SandboxPool>;

/** What a data center asks of its region's cluster to get its pools (the cluster supplies the rest). */
export interface SandboxPoolsArgs {
    /** physical names of the pools */
    names: Names;
    /** the data center's region: its location, CIDR and cluster name */
    region: Region;
    /** the data center: its zone and each grid's machine type and node bounds */
    dataCenter: DataCenter;
    /** where the pools sit in the world (labels and tags) */
    placement: Placement;
}
