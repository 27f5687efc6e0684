import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { EKS_VERSIONS } from "./eks-versions";
import { irsaRole } from "./irsa";

export interface EksAddonsArgs {
    cluster: aws.eks.Cluster;
    clusterName: string;
    kubernetesVersion: string;
    oidcProvider: aws.iam.OpenIdConnectProvider;
    tags: Record<string, string>;
}

/** The VPC CNI's settings: its network policy agent enforces NetworkPolicies (off by default). */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: "true" };

export const EBS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy";
export const CNI_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy";

/** Create an add-on over the self-managed copy EKS installs, and keep ours on update. */
const CONFLICTS = { resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE" } as const;

/**
 * The VPC CNI as a managed add-on with network policy enforcement on, and its own IAM role (IRSA)
 * for the `aws-node` service account instead of the node role. It comes before the node groups, so
 * nodes start with the network policy agent running.
 */
export function vpcCniAddon(name: string, args: EksAddonsArgs, opts: pulumi.CustomResourceOptions): aws.eks.Addon {
    const role = irsaRole(
        `${name}-vpc-cni`,
        { roleName: `${args.clusterName}-vpc-cni`, oidcProvider: args.oidcProvider, namespace: "kube-system", serviceAccount: "aws-node", managedPolicyArns: [CNI_POLICY_ARN], tags: args.tags },
        opts,
    );
    return new aws.eks.Addon(
        `${name}-vpc-cni`,
        {
            clusterName: args.cluster.name,
            addonName: "vpc-cni",
            addonVersion: EKS_VERSIONS[args.kubernetesVersion].addons["vpc-cni"],
            serviceAccountRoleArn: role.arn,
            configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION),
            ...CONFLICTS,
            tags: args.tags,
        },
        opts,
    );
}

/**
 * The EBS CSI driver (provisioner `ebs.csi.aws.com`, which the Consul StorageClass and any other
 * PVC need; EKS does not install it) with its own IAM role for `ebs-csi-controller-sa` holding the
 * AWS managed AmazonEBSCSIDriverPolicy. Volumes are encrypted with the account's default EBS key
 * (no customer managed key), so the driver needs no KMS grants. Its controller runs on the
 * system nodes, so the add-on comes after them.
 */
export function ebsCsiAddon(name: string, args: EksAddonsArgs, opts: pulumi.CustomResourceOptions): aws.eks.Addon {
    const role = irsaRole(
        `${name}-ebs-csi`,
        { roleName: `${args.clusterName}-ebs-csi`, oidcProvider: args.oidcProvider, namespace: "kube-system", serviceAccount: "ebs-csi-controller-sa", managedPolicyArns: [EBS_CSI_POLICY_ARN], tags: args.tags },
        opts,
    );
    return new aws.eks.Addon(
        `${name}-ebs-csi`,
        {
            clusterName: args.cluster.name,
            addonName: "aws-ebs-csi-driver",
            addonVersion: EKS_VERSIONS[args.kubernetesVersion].addons["aws-ebs-csi-driver"],
            serviceAccountRoleArn: role.arn,
            ...CONFLICTS,
            tags: args.tags,
        },
        opts,
    );
}
