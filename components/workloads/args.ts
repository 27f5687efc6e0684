import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { DataCenter, Region } from "../config/model";
import type { Placement } from "../labels";
import type { ConsulClient } from "./consul-client";
import type { AgentImageRefs } from "../images/agents";

/** Where every workload of a data center is placed: its cluster, labels, Consul client and prerequisites. */
export interface PlacedWorkloadArgs {
    /** the data center's Consul client configuration (control-plane address, client TLS Secret) */
    consul: ConsulClient;
    placement: Placement;
    /** Kubernetes provider of the region's data-plane cluster */
    provider: k8s.Provider;
    /** where the cluster's API server is reached (`Cluster.apiServerCidrs`): the agents' egress admits it on 443 */
    apiServer: readonly string[];
    /** what must exist first (the namespace, the node pool) */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** A grid (warm pool or job grid): placed workload args plus the effective config it is built from. */
export interface GridArgs extends PlacedWorkloadArgs {
    /** the GCP project of the grids' Google resources (IAM grants, Pub/Sub, Cloud Monitoring) */
    project: string;
    /** the data center's region (its effective config) */
    region: Region;
    /** the data center's effective config: the grids' settings */
    dataCenter: DataCenter;
    /** the data center's namespace */
    namespace: string;
    /** the image each agent runs in this region (by digest) */
    images: AgentImageRefs;
}
