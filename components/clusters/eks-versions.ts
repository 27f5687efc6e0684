/**
 * What each supported EKS Kubernetes minor runs: the EKS add-on builds (`aws eks
 * describe-addon-versions --kubernetes-version <v>` lists the builds compatible with a version) and
 * the Cluster Autoscaler release of the same minor (kubernetes/autoscaler publishes one release line
 * per Kubernetes minor and supports only that one).
 */
export interface EksVersionPins {
    addons: { "vpc-cni": string; "aws-ebs-csi-driver": string };
    /** tag of registry.k8s.io/autoscaling/cluster-autoscaler */
    clusterAutoscaler: string;
}

export const EKS_VERSIONS: Record<string, EksVersionPins> = {
    "1.33": { addons: { "vpc-cni": "v1.21.1-eksbuild.5", "aws-ebs-csi-driver": "v1.57.1-eksbuild.1" }, clusterAutoscaler: "v1.33.6" },
    "1.34": { addons: { "vpc-cni": "v1.21.1-eksbuild.5", "aws-ebs-csi-driver": "v1.57.1-eksbuild.1" }, clusterAutoscaler: "v1.34.5" },
    "1.35": { addons: { "vpc-cni": "v1.21.1-eksbuild.5", "aws-ebs-csi-driver": "v1.57.1-eksbuild.1" }, clusterAutoscaler: "v1.35.2" },
};

/** Kubernetes minor of every EKS cluster and node group unless `aws.kubernetesVersion` says otherwise. */
export const DEFAULT_KUBERNETES_VERSION = "1.34";

/** gVisor release of the sandboxed node groups unless `aws.gvisorRelease` says otherwise. */
export const DEFAULT_GVISOR_RELEASE = "20251110.0";

/** Node image of every EKS node group: Amazon Linux 2023 (nodeadm), x86_64. */
export const EKS_AMI_TYPE = "AL2023_x86_64_STANDARD";

/**
 * Service range of every EKS cluster, set explicitly so the `kubernetes` Service's ClusterIP is
 * known (the first address): NetworkPolicies name it (see workloads/network-policy.ts). It must not
 * overlap a VPC: config validation refuses aws continent and region ranges that touch it.
 */
export const EKS_SERVICE_CIDR = "172.20.0.0/16";
export const EKS_KUBERNETES_SERVICE_IP = "172.20.0.1";
