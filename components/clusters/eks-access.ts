import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export const CLUSTER_ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

export interface ClusterAdmin {
    /** short name used in resource names */
    id: string;
    principalArn: string;
}

/**
 * Cluster-admin access entries (authentication mode API): one STANDARD access entry per IAM role,
 * with AmazonEKSClusterAdminPolicy associated at cluster scope. The cluster's creator gets no
 * implicit entry (bootstrapClusterCreatorAdminPermissions is off), so who administers the cluster
 * is exactly this list. Managed node groups get their EC2_LINUX entries from EKS.
 */
export function clusterAdminAccess(name: string, cluster: aws.eks.Cluster, admins: ClusterAdmin[], tags: Record<string, string>, opts: pulumi.CustomResourceOptions): aws.eks.AccessPolicyAssociation[] {
    return admins.map((admin) => {
        const entry = new aws.eks.AccessEntry(`${name}-${admin.id}`, { clusterName: cluster.name, principalArn: admin.principalArn, type: "STANDARD", tags }, opts);
        return new aws.eks.AccessPolicyAssociation(
            `${name}-${admin.id}`,
            { clusterName: cluster.name, principalArn: entry.principalArn, policyArn: CLUSTER_ADMIN_POLICY_ARN, accessScope: { type: "cluster" } },
            opts,
        );
    });
}
