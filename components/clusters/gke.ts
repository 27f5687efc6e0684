import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { layout } from "../network/cidr";
import { gkeKubeconfig } from "./kubeconfig";

export interface GkeClusterArgs {
    /** physical cluster name (see naming.ts) */
    clusterName: string;
    project: string;
    /** a GCP region: the cluster is regional */
    location: string;
    /** zones the cluster's nodes may use; defaults to the region's */
    nodeLocations?: string[];
    /** the world VPC network's id */
    network: pulumi.Input<string>;
    /** the /16 the cluster's subnetwork, pods and services are carved from */
    cidr: string;
    /** CIDRs allowed to reach the public control-plane endpoint (CI runners, operators) */
    adminCidrs: string[];
    systemPool: { machineType: string; minNodes: number; maxNodes: number };
    labels: Record<string, string>;
    /** prod: deletion protection in GCP and `protect` in Pulumi */
    protect: boolean;
    /** static external addresses for Cloud NAT (default 2): the cluster's known egress IPs */
    natAddresses?: number;
}

export interface GkeCluster {
    cluster: gcp.container.Cluster;
    subnetwork: gcp.compute.Subnetwork;
    systemPool: gcp.container.NodePool;
    kubeconfig: pulumi.Output<string>;
    provider: k8s.Provider;
    /** the reserved addresses Cloud NAT sends the nodes' and pods' internet traffic from */
    egressIps: pulumi.Output<string>[];
}

/** Shielded node settings, Workload Identity metadata server and minimal scopes shared by every GKE pool. */
export function hardenedNodeConfig(machineType: string, labels: Record<string, string>): gcp.types.input.container.NodePoolNodeConfig {
    return {
        machineType,
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
 * A regional, private-node GKE cluster in its own subnetwork of the world network, with Cloud NAT
 * for egress, Workload Identity, Dataplane V2 (network policy), shielded nodes, a release channel,
 * a system node pool and a Kubernetes provider for it.
 */
export function createGkeCluster(name: string, args: GkeClusterArgs, parent: pulumi.Resource): GkeCluster {
    const opts = { parent };
    const subnetwork = new gcp.compute.Subnetwork(
        `${name}-subnet`,
        {
            name: `${args.clusterName}-nodes`,
            project: args.project,
            region: args.location,
            network: args.network,
            ipCidrRange: layout.gkeNodes(args.cidr),
            privateIpGoogleAccess: true,
            secondaryIpRanges: [
                { rangeName: "pods", ipCidrRange: layout.gkePods(args.cidr) },
                { rangeName: "services", ipCidrRange: layout.gkeServices(args.cidr) },
            ],
            logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
        },
        opts,
    );
    const router = new gcp.compute.Router(`${name}-router`, { name: `${args.clusterName}-router`, project: args.project, region: args.location, network: args.network }, opts);
    // Reserved addresses (MANUAL_ONLY) so the egress IPs are known: the control planes' load
    // balancers admit the data centers by them.
    const natIps = Array.from(
        { length: args.natAddresses ?? 2 },
        (_, i) =>
            new gcp.compute.Address(
                `${name}-nat-${i}`,
                { name: `${args.clusterName}-nat-${i}`, project: args.project, region: args.location, addressType: "EXTERNAL", networkTier: "PREMIUM", labels: args.labels },
                { parent, protect: args.protect },
            ),
    );
    new gcp.compute.RouterNat(
        `${name}-nat`,
        {
            name: `${args.clusterName}-nat`,
            project: args.project,
            region: args.location,
            router: router.name,
            natIpAllocateOption: "MANUAL_ONLY",
            natIps: natIps.map((a) => a.selfLink),
            sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
            subnetworks: [{ name: subnetwork.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
            logConfig: { enable: true, filter: "ERRORS_ONLY" },
        },
        opts,
    );
    const cluster = new gcp.container.Cluster(
        name,
        {
            name: args.clusterName,
            project: args.project,
            location: args.location,
            nodeLocations: args.nodeLocations,
            network: args.network,
            subnetwork: subnetwork.id,
            networkingMode: "VPC_NATIVE",
            ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
            removeDefaultNodePool: true,
            initialNodeCount: 1,
            privateClusterConfig: {
                enablePrivateNodes: true,
                enablePrivateEndpoint: false,
                masterIpv4CidrBlock: layout.gkeMasterIpv4(args.cidr),
            },
            masterAuthorizedNetworksConfig: {
                cidrBlocks: args.adminCidrs.map((cidrBlock, i) => ({ cidrBlock, displayName: `admin-${i}` })),
            },
            workloadIdentityConfig: { workloadPool: `${args.project}.svc.id.goog` },
            datapathProvider: "ADVANCED_DATAPATH",
            enableShieldedNodes: true,
            releaseChannel: { channel: "REGULAR" },
            binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
            loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"] },
            resourceLabels: args.labels,
            deletionProtection: args.protect,
        },
        { parent, protect: args.protect, ignoreChanges: ["initialNodeCount"] },
    );
    const systemPool = new gcp.container.NodePool(
        `${name}-system`,
        {
            name: "system",
            project: args.project,
            cluster: cluster.name,
            location: args.location,
            autoscaling: { minNodeCount: args.systemPool.minNodes, maxNodeCount: args.systemPool.maxNodes },
            management: { autoRepair: true, autoUpgrade: true },
            nodeConfig: { ...hardenedNodeConfig(args.systemPool.machineType, args.labels), labels: { "globalgrid.dev/pool": "system" } },
        },
        opts,
    );
    const kubeconfig = gkeKubeconfig(args.clusterName, cluster.endpoint, cluster.masterAuth.clusterCaCertificate.apply((c) => c ?? ""));
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig, enableServerSideApply: true }, { parent, dependsOn: [systemPool] });
    return { cluster, subnetwork, systemPool, kubeconfig, provider, egressIps: natIps.map((a) => a.address) };
}
