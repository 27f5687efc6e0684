import type * as aws from "@pulumi/aws";
import type { EksCluster } from "./eks";
import type { GkeCluster } from "./gke";

/** A GKE cluster (continental or regional) and the cloud it is on. */
export interface GkeOnGcp {
    cloud: "gcp";
    gke: GkeCluster;
}

/** An EKS cluster and the AWS provider (account and region) its resources are created with. */
export interface EksOnAws {
    cloud: "aws";
    eks: EksCluster;
    awsProvider: aws.Provider;
}

/** A continental or regional cluster, whichever cloud it is on: narrowing on `cloud` gives that cloud's pieces. */
export type CloudCluster = GkeOnGcp | EksOnAws;

/** The region's data-plane cluster (its data centers are zones of it). */
export type DataPlaneCluster = CloudCluster;
