import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import type { DataCenter, Region } from "../config/model";
import { awsTags, gcpLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import type { DataPlaneCluster } from "./cloud-cluster";
import { layout } from "../network/cidr";
import type { ProjectApis } from "../project/services";
import { autoscaledPoolSize, hardenedNodeConfig, nodePoolOptions } from "./gke";
import { routeTableFor } from "./eks-network";
import { discoveryTags, NODE_METADATA_OPTIONS, NODE_ROOT_VOLUME, nodeTemplateTags } from "./eks-nodes";
import { EKS_AMI_TYPE } from "./eks-versions";
import { gvisorUserData } from "./gvisor-user-data";
import { GRID_POOLS, POOL_KEY, poolLabels, type GridPool } from "./pool-labels";

/** GKE Sandbox: the only value the provider accepts for `sandboxConfig.type` (lowercase "gvisor" belongs to the deprecated `sandboxType`, removed in newer providers). */
export const GKE_SANDBOX_TYPE = "GVISOR";


export interface SandboxPool {
    name: pulumi.Output<string>;
    resource: gcp.container.NodePool | aws.eks.NodeGroup;
}
export type SandboxPools = Record<GridPool, SandboxPool>;

export interface SandboxPoolsArgs {
    names: Names;
    region: Region;
    dataCenter: DataCenter;
    dataPlane: DataPlaneCluster;
    placement: Placement;
    /** the project's enabled APIs (global tier) */
    apis: ProjectApis;
    /** EKS: Kubernetes version of the node groups and the gVisor release they install */
    kubernetesVersion: string;
    gvisorRelease: string;
}

/** On aws each data center owns a private subnet in its zone, routed through the region's NAT. */
function dataCenterSubnet(name: string, args: SandboxPoolsArgs, parent: pulumi.Resource): aws.ec2.Subnet {
    const { dataCenter: dc, region, dataPlane } = args;
    if (dataPlane.cloud !== "aws") throw new Error("dataCenterSubnet is for aws data centers");
    const opts = { parent, provider: dataPlane.awsProvider };
    const subnet = new aws.ec2.Subnet(
        `${name}-subnet`,
        {
            vpcId: dataPlane.vpc.id,
            availabilityZone: dc.zone,
            cidrBlock: layout.awsDataCenter(region.cidr, dc.zone),
            tags: { ...awsTags("data-center-subnet", args.placement), Name: `${args.names.regionCluster(region.name)}-${dc.name}` },
        },
        opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-subnet`, { subnetId: subnet.id, routeTableId: routeTableFor(dataPlane, dc.zone).id }, opts);
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

/** The data center's two sandboxed, tainted node pools pinned to its zone. */
export function createSandboxPools(name: string, args: SandboxPoolsArgs, parent: pulumi.Resource): SandboxPools {
    const { names, region, dataCenter: dc, dataPlane } = args;
    const out = {} as SandboxPools;
    let subnet: aws.ec2.Subnet | undefined;
    for (const pool of GRID_POOLS) {
        const grid = pool === "warm-pool" ? dc.warmPool : dc.jobGrid;
        const poolName = names.dataCenterPool(dc.name, pool);
        const taint = { key: POOL_KEY, value: pool };
        if (dataPlane.cloud === "gcp") {
            const np = new gcp.container.NodePool(
                `${name}-${pool}`,
                {
                    name: poolName,
                    project: dataPlane.cluster.project,
                    cluster: dataPlane.cluster.name,
                    location: region.location,
                    nodeLocations: [dc.zone],
                    // one zone: the per-zone counts are the pool's counts
                    ...autoscaledPoolSize(grid.nodes),
                    management: { autoRepair: true, autoUpgrade: true },
                    nodeConfig: {
                        ...hardenedNodeConfig(grid.machineType, gcpLabels(pool, args.placement), dataPlane.nodeIdentity.email),
                        sandboxConfig: { type: GKE_SANDBOX_TYPE },
                        labels: poolLabels(pool, dc.name),
                        taints: [{ ...taint, effect: "NO_SCHEDULE" }],
                    },
                },
                { parent, ...nodePoolOptions(args.apis, dataPlane.nodeIdentity) },
            );
            out[pool] = { name: np.name, resource: np };
        } else {
            const tags = awsTags(pool, args.placement);
            const awsOpts = { parent, provider: dataPlane.awsProvider };
            const clusterName = names.regionCluster(region.name);
            subnet ??= dataCenterSubnet(name, args, parent);
            const lt = new aws.ec2.LaunchTemplate(
                `${name}-${pool}`,
                {
                    namePrefix: `${poolName}-`,
                    userData: Buffer.from(gvisorUserData(args.gvisorRelease)).toString("base64"),
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
                    clusterName: dataPlane.cluster.name,
                    nodeGroupName: names.eksNodeGroup(clusterName, poolName),
                    version: args.kubernetesVersion,
                    amiType: EKS_AMI_TYPE,
                    nodeRoleArn: dataPlane.nodeRole.arn,
                    subnetIds: [subnet.id],
                    instanceTypes: [grid.machineType],
                    scalingConfig: { minSize: grid.nodes.minNodes, maxSize: grid.nodes.maxNodes, desiredSize: grid.nodes.minNodes },
                    launchTemplate: { id: lt.id, version: lt.latestVersion.apply(String) },
                    updateConfig: { maxUnavailable: 1 },
                    labels,
                    taints: [{ ...taint, effect: "NO_SCHEDULE" }],
                    tags: { ...tags, ...discoveryTags(clusterName) },
                },
                { ...awsOpts, dependsOn: [dataPlane.vpcCni], ignoreChanges: ["scalingConfig.desiredSize"] },
            );
            asgNodeTemplateTags(`${name}-${pool}`, ng, { ...discoveryTags(clusterName), ...nodeTemplateTags(labels, dc.zone, [{ ...taint, effect: "NoSchedule" }]) }, awsOpts);
            out[pool] = { name: ng.nodeGroupName, resource: ng };
        }
    }
    return out;
}
