import type * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import type { ProjectApis } from "../project/services";
import type { NodeIdentity } from "./node-identity";

/**
 * Shielded node settings, Workload Identity metadata server, the cluster's own node service account
 * (access is governed by its IAM roles, hence the cloud-platform scope) shared by every GKE pool.
 */
export function hardenedNodeConfig(machineType: string, labels: Record<string, string>, serviceAccount: pulumi.Input<string>): gcp.types.input.container.NodePoolNodeConfig {
    return {
        machineType,
        serviceAccount,
        imageType: "COS_CONTAINERD",
        diskType: "pd-balanced",
        diskSizeGb: 100,
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        metadata: { "disable-legacy-endpoints": "true" },
        resourceLabels: labels,
    };
}

/**
 * An autoscaled pool's size: it starts at its minimum (the provider would send 0 otherwise, so an
 * empty pool would wait for the autoscaler). Both counts are per zone of the pool's node locations.
 */
export function autoscaledPoolSize(nodes: { minNodes: number; maxNodes: number }): Pick<gcp.container.NodePoolArgs, "initialNodeCount" | "autoscaling"> {
    return { initialNodeCount: nodes.minNodes, autoscaling: { minNodeCount: nodes.minNodes, maxNodeCount: nodes.maxNodes } };
}

/**
 * Options of every GKE node pool: after the APIs and the node account's grants; `initialNodeCount`
 * ignored after creation (the autoscaler moves the size, and a change would recreate the pool).
 */
export function nodePoolOptions(apis: ProjectApis, nodeIdentity: NodeIdentity): pulumi.CustomResourceOptions {
    return { dependsOn: [...apis.after("container", "compute"), ...nodeIdentity.grants], ignoreChanges: ["initialNodeCount"] };
}
