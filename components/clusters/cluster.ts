import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { Cloud, Region } from "../config/model";
import type { Names } from "../naming";
import type { ProjectApis } from "../project/services";
import type { GridIdentity } from "../workloads/grid-identity";
import type { SandboxPools, SandboxPoolsArgs } from "./sandbox-pools";

/**
 * Options of a cluster component's children: under the component, each aliased to the parent it
 * had before the component existed (the component's own parent, the tier), so that grouping the
 * resources under the component renames them and replaces nothing.
 */
export function childOptions(self: pulumi.Resource, opts?: pulumi.ComponentResourceOptions): { parent: pulumi.Resource; aliases: pulumi.Input<pulumi.Alias>[] } {
    return { parent: self, aliases: opts?.parent ? [{ parent: opts.parent }] : [] };
}

/** A StorageClass's provisioner and parameters for the cluster's block volumes. */
export interface DiskStorage {
    provisioner: string;
    parameters: Readonly<Record<string, string>>;
}

/** What a workload identity needs besides its cluster. */
export interface WorkloadIdentityArgs {
    /** the GCP project of the identity pool and of the IAM bindings that name its principals */
    project: string;
    names: Names;
    /** the region whose workloads get the identity (pool ids, protection) */
    region: Region;
    /** the project's enabled APIs (global tier) */
    apis: ProjectApis;
}

/**
 * The one cluster contract: what the tiers, load balancers and workloads use of a Kubernetes
 * cluster, whichever cloud runs it. GKE (`gke.ts`) and EKS (`eks.ts`) implement it as components;
 * `cloud` tells them apart where a cloud's own pieces are needed (the load balancers).
 */
export interface Cluster {
    readonly cloud: Cloud;
    /** physical cluster name */
    readonly clusterName: pulumi.Output<string>;
    /** the API server's address */
    readonly endpoint: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    /** creates every Kubernetes object in the cluster */
    readonly provider: k8s.Provider;
    /** the public addresses the cluster's nodes and pods reach the internet from (its NAT) */
    readonly egressIps: pulumi.Output<string>[];
    /** the issuer of the cluster's ServiceAccount tokens: what a JWT auth method or an identity pool trusts */
    readonly issuer: pulumi.Output<string>;
    /**
     * What must exist before an IAM binding names one of the cluster's workload principals:
     * GKE's `<project>.svc.id.goog` pool exists once a Workload Identity cluster does (the cluster);
     * on EKS the pool is ours and every principal already refers to it.
     */
    readonly principalsReady: pulumi.Resource[];
    /** where an internet-facing load balancer in front of the cluster reaches its nodes and pods from (what their NetworkPolicies admit) */
    readonly loadBalancerSources: readonly string[];
    /**
     * What a pod's NetworkPolicy egress must admit (TCP 443) to reach the cluster's API server:
     * GKE's private endpoint in the master block; on EKS the `kubernetes` Service's ClusterIP (the
     * VPC CNI's policy agent matches before kube-proxy translates it) and the private subnets of the
     * control-plane ENIs.
     */
    readonly apiServerCidrs: readonly string[];
    /** the CSI driver and parameters of the cluster's persistent disks (StorageClasses) */
    readonly diskStorage: DiskStorage;
    /** Adds a data center's two sandboxed (gVisor), tainted node pools pinned to its zone. */
    addSandboxPools(name: string, args: SandboxPoolsArgs, opts: pulumi.CustomResourceOptions): SandboxPools;
    /** How the cluster's workloads get a keyless Google identity (workload identity federation). */
    workloadIdentity(name: string, args: WorkloadIdentityArgs, opts: pulumi.CustomResourceOptions): GridIdentity;
}
