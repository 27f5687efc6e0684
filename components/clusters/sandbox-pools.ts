import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import type { DataCenter, Region } from "../config/model";
import { awsTags, gcpLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import type { DataPlaneCluster } from "../tiers/region";
import { layout } from "../network/cidr";
import type { ProjectApis } from "../project/services";
import { autoscaledPoolSize, hardenedNodeConfig, nodePoolOptions } from "./gke";

/** GKE Sandbox: the only value the provider accepts for `sandboxConfig.type` (lowercase "gvisor" belongs to the deprecated `sandboxType`, removed in newer providers). */
export const GKE_SANDBOX_TYPE = "GVISOR";

export type GridPool = "warm-pool" | "job-grid";
export const GRID_POOLS: GridPool[] = ["warm-pool", "job-grid"];

/** The label and taint key that pins a grid to its pool; pods select and tolerate it. */
export const POOL_KEY = "globalgrid.dev/pool";
/** The node label a data center's pools carry; grids select it to stay in their data center. */
export const DATACENTER_KEY = "globalgrid.dev/datacenter";

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
}

/** Node labels every sandboxed grid pool carries. */
export const poolLabels = (pool: GridPool, dc: string): Record<string, string> => ({ [POOL_KEY]: pool, [DATACENTER_KEY]: dc, "globalgrid.dev/sandbox": "gvisor" });

/**
 * gVisor on EKS: install runsc and register it as a containerd runtime before the node joins.
 * (GKE Sandbox does this for GKE pools.) Instance metadata needs IMDSv2 with hop limit 1 so pods
 * cannot reach it.
 */
const GVISOR_USER_DATA = `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==GVISOR=="

--==GVISOR==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
set -euo pipefail
ARCH=$(uname -m)
URL=https://storage.googleapis.com/gvisor/releases/release/20251110.0/\${ARCH}
for f in runsc containerd-shim-runsc-v1; do
  curl -fsSLo /usr/local/bin/$f "$URL/$f" && curl -fsSLo /tmp/$f.sha512 "$URL/$f.sha512"
  (cd /usr/local/bin && sed "s# .*# $f#" /tmp/$f.sha512 | sha512sum -c -) && chmod 0755 /usr/local/bin/$f
done
mkdir -p /etc/containerd/config.d
cat > /etc/containerd/config.d/runsc.toml <<'TOML'
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]
  runtime_type = "io.containerd.runsc.v1"
TOML

--==GVISOR==--
`;

/** On aws each data center owns a private subnet in its zone, routed through the region's NAT. */
function dataCenterSubnet(name: string, args: SandboxPoolsArgs, parent: pulumi.Resource): aws.ec2.Subnet {
    const { dataCenter: dc, region, dataPlane } = args;
    if (dataPlane.cloud !== "aws") throw new Error("dataCenterSubnet is for aws data centers");
    const opts = { parent, provider: dataPlane.awsProvider };
    const subnet = new aws.ec2.Subnet(
        `${name}-subnet`,
        {
            vpcId: dataPlane.eks.vpc.id,
            availabilityZone: dc.zone,
            cidrBlock: layout.awsDataCenter(region.cidr, dc.zone),
            tags: { ...awsTags("data-center-subnet", args.placement), Name: `${args.names.regionCluster(region.name)}-${dc.name}` },
        },
        opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-subnet`, { subnetId: subnet.id, routeTableId: dataPlane.eks.privateRouteTable.id }, opts);
    return subnet;
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
                    project: dataPlane.gke.cluster.project,
                    cluster: dataPlane.gke.cluster.name,
                    location: region.location,
                    nodeLocations: [dc.zone],
                    // one zone: the per-zone counts are the pool's counts
                    ...autoscaledPoolSize(grid.nodes),
                    management: { autoRepair: true, autoUpgrade: true },
                    nodeConfig: {
                        ...hardenedNodeConfig(grid.machineType, gcpLabels(pool, args.placement), dataPlane.gke.nodeIdentity.email),
                        sandboxConfig: { type: GKE_SANDBOX_TYPE },
                        labels: poolLabels(pool, dc.name),
                        taints: [{ ...taint, effect: "NO_SCHEDULE" }],
                    },
                },
                { parent, ...nodePoolOptions(args.apis, dataPlane.gke.nodeIdentity) },
            );
            out[pool] = { name: np.name, resource: np };
        } else {
            const tags = awsTags(pool, args.placement);
            subnet ??= dataCenterSubnet(name, args, parent);
            const lt = new aws.ec2.LaunchTemplate(
                `${name}-${pool}`,
                {
                    namePrefix: `${poolName}-`,
                    userData: Buffer.from(GVISOR_USER_DATA).toString("base64"),
                    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" },
                    blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 100, volumeType: "gp3", encrypted: "true" } }],
                    tagSpecifications: [{ resourceType: "instance", tags }],
                    tags,
                },
                { parent, provider: dataPlane.awsProvider },
            );
            const ng = new aws.eks.NodeGroup(
                `${name}-${pool}`,
                {
                    clusterName: dataPlane.eks.cluster.name,
                    nodeGroupName: names.eksNodeGroup(names.regionCluster(region.name), poolName),
                    nodeRoleArn: dataPlane.eks.nodeRole.arn,
                    subnetIds: [subnet.id],
                    instanceTypes: [grid.machineType],
                    scalingConfig: { minSize: grid.nodes.minNodes, maxSize: grid.nodes.maxNodes, desiredSize: grid.nodes.minNodes },
                    launchTemplate: { id: lt.id, version: lt.latestVersion.apply(String) },
                    labels: poolLabels(pool, dc.name),
                    taints: [{ ...taint, effect: "NO_SCHEDULE" }],
                    tags,
                },
                { parent, provider: dataPlane.awsProvider, ignoreChanges: ["scalingConfig.desiredSize"] },
            );
            out[pool] = { name: ng.nodeGroupName, resource: ng };
        }
    }
    return out;
}
