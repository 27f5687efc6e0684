import type * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { EksCluster } from "../clusters/eks";

/**
 * The pieces an internet-facing ALB in front of an EKS cluster's system nodes needs whatever it
 * serves: the ALB itself, the cluster security group's opening for it, and the attachment of the
 * system nodes' Auto Scaling group to a target group. The control plane's mTLS load balancer and each
 * data center's synchronous path use them alike; their listeners, certificates and target groups differ.
 */

/** TLS 1.3 with TLS 1.2 fallback, forward-secret ciphers only */
export const ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * An internet-facing application load balancer in the cluster VPC's public subnets. It drops
 * malformed headers instead of passing them on; `idleTimeout` outlasts the longest request its
 * backend holds open; deletion protection follows the region's `protect`.
 */
export function internetFacingAlb(
    name: string,
    args: { name: string; securityGroupId: pulumi.Input<string>; cluster: Pick<EksCluster, "publicSubnets">; idleTimeout: number; protect: boolean; tags: Record<string, string> },
    opts: pulumi.CustomResourceOptions,
): aws.lb.LoadBalancer {
    return new aws.lb.LoadBalancer(
        name,
        {
            name: args.name,
            internal: false,
            loadBalancerType: "application",
            securityGroups: [args.securityGroupId],
            subnets: Object.values(args.cluster.publicSubnets).map((s) => s.id),
            dropInvalidHeaderFields: true,
            idleTimeout: args.idleTimeout,
            enableDeletionProtection: args.protect,
            tags: args.tags,
        },
        opts,
    );
}

/**
 * Admits the ALB (by its security group, not by address: ALB nodes come and go) to one node port on
 * the cluster's nodes, through the EKS cluster security group every node carries.
 */
export function albToNodePort(
    name: string,
    args: { cluster: Pick<EksCluster, "cluster">; albSecurityGroupId: pulumi.Input<string>; port: pulumi.Input<number>; description: string; tags: Record<string, string> },
    opts: pulumi.CustomResourceOptions,
): aws.vpc.SecurityGroupIngressRule {
    return new aws.vpc.SecurityGroupIngressRule(
        name,
        {
            securityGroupId: args.cluster.cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId),
            referencedSecurityGroupId: args.albSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: args.port,
            toPort: args.port,
            description: args.description,
            tags: args.tags,
        },
        opts,
    );
}

/**
 * Registers the system node group's Auto Scaling group with an instance target group, so every system
 * node (present and future) is a target; externalTrafficPolicy Local on the Service makes only the
 * nodes running a backend pod pass the health check.
 */
export function attachSystemNodes(
    name: string,
    args: { cluster: Pick<EksCluster, "systemPool">; targetGroupArn: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions,
): aws.autoscaling.Attachment {
    return new aws.autoscaling.Attachment(
        name,
        {
            autoscalingGroupName: args.cluster.systemPool.resources.apply((rs) => rs?.[0]?.autoscalingGroups?.[0]?.name ?? ""),
            lbTargetGroupArn: args.targetGroupArn,
        },
        opts,
    );
}
