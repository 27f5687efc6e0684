import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { awsTags } from "../labels";
import { layout } from "../network/cidr";
import type { EksNetwork } from "./eks-network";
import { routeTableFor } from "./eks-network";
import { discoveryTags, NODE_METADATA_OPTIONS, NODE_ROOT_VOLUME, nodeTemplateTags } from "./eks-nodes";
import { EKS_AMI_TYPE } from "./eks-versions";
import { gvisorUserData } from "./gvisor-user-data";
import { GRID_POOLS, POOL_KEY, poolLabels } from "./pool-labels";
import type { SandboxPools, SandboxPoolsArgs } from "./sandbox-pools";

/** What the EKS node groups take from their cluster. */
export interface EksPoolHost extends Pick<EksNetwork, "vpc" | "privateRouteTables"> {
    cluster: aws.eks.Cluster;
    /** the cluster's physical name (node group names and autoscaler discovery tags) */
    clusterName: string;
    nodeRole: aws.iam.Role;
    /** node groups wait for the VPC CNI add-on (network policy enforcement) */
    vpcCni: aws.eks.Addon;
    /** the account and region of the cluster */
    awsProvider: aws.Provider;
    /** Kubernetes version of the node groups and the gVisor release they install */
    kubernetesVersion: string;
    gvisorRelease: string;
}

/** On aws each data center owns a private subnet in its zone, routed through the region's NAT. */
function dataCenterSubnet(name: string, args: SandboxPoolsArgs, host: EksPoolHost, opts: pulumi.CustomResourceOptions): aws.ec2.Subnet {
    const { dataCenter: dc, region } = args;
    const subnet = new aws.ec2.Subnet(
        `${name}-subnet`,
        {
            vpcId: host.vpc.id,
            availabilityZone: dc.zone,
            cidrBlock: layout.awsDataCenter(region.cidr, dc.zone),
            tags: { ...awsTags("data-center-subnet", args.placement), Name: `${host.clusterName}-${dc.name}` },
        },
        opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-subnet`, { subnetId: subnet.id, routeTableId: routeTableFor(host, dc.zone).id }, opts);
    return subnet;
}

/** Tags on a managed node group's Auto Scaling group (EKS does not copy node group tags to it). */
function asgNodeTemplateTags(name: string, ng: aws.eks.NodeGroup, tags: Record<string, string>, opts: pulumi.CustomResourceOptions): void {
    const asgName = ng.resources.apply((rs) => rs?.[0]?.autoscalingGroups?.[0]?.name ?? "");
    for (const [key, value] of Object.entries(tags)) {
        const id = key.replace(/^k8s\.io\/cluster-autoscaler\//, "").replace(/[^a-zA-Z0-9-]+/g, "-");
        new aws.autoscaling.Tag(`${name}-asg-${id}`, { autoscalingGroupName: asgName, tag: { key, value, propagateAtLaunch: false } }, opts);
    }
}

/** A data center's two gVisor node groups in its own zone's subnet, tainted, with the autoscaler's node-template tags. */
export function createEksSandboxPools(name: string, args: SandboxPoolsArgs, host: EksPoolHost, opts: pulumi.CustomResourceOptions): SandboxPools {
    const { names, dataCenter: dc } = args;
    const awsOpts = { ...opts, provider: host.awsProvider };
    const clusterName = host.clusterName;
    const out = {} as SandboxPools;
    const subnet = dataCenterSubnet(name, args, host, awsOpts);
    for (const pool of GRID_POOLS) {
        const grid = pool === "warm-pool" ? dc.warmPool : dc.jobGrid;
        const poolName = names.dataCenterPool(dc.name, pool);
        const taint = { key: POOL_KEY, value: pool };
        const tags = awsTags(pool, args.placement);
        const lt = new aws.ec2.LaunchTemplate(
            `${name}-${pool}`,
            {
                namePrefix: `${poolName}-`,
                userData: Buffer.from(gvisorUserData(host.gvisorRelease)).toString("base64"),
                metadataOptions: NODE_METADATA_OPTIONS,
                blockDeviceMappings: [NODE_ROOT_VOLUME],
                tagSpecifications: [{ resourceType: "instance", tags }],
                tags,
            },
            awsOpts,
        );
        const labels = poolLabels(pool, dc.name);
        const ng = new aws.eks.NodeGroup(
            `${name}-${pool}`,
            {
                clusterName: host.cluster.name,
                nodeGroupName: names.eksNodeGroup(clusterName, poolName),
                version: host.kubernetesVersion,
                amiType: EKS_AMI_TYPE,
                nodeRoleArn: host.nodeRole.arn,
                subnetIds: [subnet.id],
                instanceTypes: [grid.machineType],
                scalingConfig: { minSize: grid.nodes.minNodes, maxSize: grid.nodes.maxNodes, desiredSize: grid.nodes.minNodes },
                launchTemplate: { id: lt.id, version: lt.latestVersion.apply(String) },
                updateConfig: { maxUnavailable: 1 },
                labels,
                taints: [{ ...taint, effect: "NO_SCHEDULE" }],
                tags: { ...tags, ...discoveryTags(clusterName) },
            },
            { ...awsOpts, dependsOn: [host.vpcCni], ignoreChanges: ["scalingConfig.desiredSize"] },
        );
        asgNodeTemplateTags(`${name}-${pool}`, ng, { ...discoveryTags(clusterName), ...nodeTemplateTags(labels, dc.zone, [{ ...taint, effect: "NoSchedule" }]) }, awsOpts);
        out[pool] = { name: ng.nodeGroupName, resource: ng };
    }
    return out;
}
