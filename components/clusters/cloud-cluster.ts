import type { EksCluster } from "./eks";
import type { GkeCluster } from "./gke";

/** A continental or regional cluster, whichever cloud it is on: narrowing on `cloud` gives that cloud's pieces. */
export type CloudCluster = GkeCluster | EksCluster;

/** The region's data-plane cluster (its data centers are zones of it). */
export type DataPlaneCluster = CloudCluster;
