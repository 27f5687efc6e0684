import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { layout, parseCidr } from "../network/cidr";
import { GKE_MAX_PODS_PER_NODE, gkeNodeCeiling, natAddressesFor, NAT_MAX_PORTS_PER_VM, NAT_MIN_PORTS_PER_VM, NAT_TCP_TIME_WAIT_SECONDS } from "../network/cloud-nat";
import type { ProjectApis } from "../project/services";
import { gkeKubeconfig } from "./kubeconfig";
import { GOOGLE_FRONT_END_RANGES } from "../network/google-front-ends";
import { childOptions, type Cluster, type DiskStorage, type WorkloadIdentityArgs } from "./cluster";
import { createGkeSandboxPools } from "./gke-sandbox-pools";
import { gkeWorkloadIdentity } from "./gke-workload-identity";
import { autoscaledPoolSize, hardenedNodeConfig, nodePoolOptions } from "./gke-nodes";
import type { SandboxPools, SandboxPoolsArgs } from "./sandbox-pools";
import type { GridIdentity } from "../workloads/grid-identity";
import { createNodeIdentity, type NodeIdentity } from "./node-identity";

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
    /** the cluster's node service account id (naming.ts `nodeServiceAccount`) */
    nodeServiceAccountId: string;
    /** the world's image repository; the nodes get read access to it only */
    registry: gcp.artifactregistry.Repository;
    /** the project's enabled APIs (global tier) */
    apis: ProjectApis;
    /**
     * The most nodes the cluster's pools can reach, for Cloud NAT's reserved addresses; defaults to
     * what the pod range holds (the data planes, whose pools grow with their data centers).
     */
    maxNodes?: number;
}

/**
 * A regional, private-node GKE cluster in its own subnetwork of the world network, with Cloud NAT
 * for egress, Workload Identity, Dataplane V2 (network policy), shielded nodes, a release channel,
 * a system node pool and a Kubernetes provider for it.
 *
 * Its resources were once created directly under the tier that owns the cluster: each carries an
 * alias naming that parent (the component's own parent), so `pulumi up` moves them under this
 * component instead of replacing them.
 */
export class GkeCluster extends pulumi.ComponentResource implements Cluster {
    readonly cloud = "gcp" as const;
    readonly clusterName: pulumi.Output<string>;
    readonly endpoint: pulumi.Output<string>;
    readonly cluster: gcp.container.Cluster;
    readonly subnetwork: gcp.compute.Subnetwork;
    readonly systemPool: gcp.container.NodePool;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    /** the service account every node pool of the cluster runs as */
    readonly nodeIdentity: NodeIdentity;
    /** the reserved addresses Cloud NAT sends the nodes' and pods' internet traffic from */
    readonly egressIps: pulumi.Output<string>[];
    /** the cluster's resource URL: GKE's ServiceAccount token issuer and the provider of its workload pool */
    readonly issuerUrl: string;
    readonly issuer: pulumi.Output<string>;
    readonly principalsReady: pulumi.Resource[];
    /** Google's front ends and health checkers: a GCP external load balancer's backend traffic comes from them */
    readonly loadBalancerSources = GOOGLE_FRONT_END_RANGES;
    /** the private endpoint's master block */
    readonly apiServerCidrs: readonly string[];
    /** the Compute Engine persistent disk CSI driver (always encrypted at rest) */
    readonly diskStorage: DiskStorage = { provisioner: "pd.csi.storage.gke.io", parameters: { type: "pd-balanced" } };
    private readonly apis: ProjectApis;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:cluster:Gke", name, {}, opts);
        const own = childOptions(this, opts);
        const built = buildGkeCluster(name, args, own);
        this.cluster = built.cluster;
        this.subnetwork = built.subnetwork;
        this.systemPool = built.systemPool;
        this.kubeconfig = built.kubeconfig;
        this.provider = built.provider;
        this.nodeIdentity = built.nodeIdentity;
        this.egressIps = built.egressIps;
        this.apis = args.apis;
        this.apiServerCidrs = [layout.gkeMasterIpv4(args.cidr)];
        this.issuerUrl = `https://container.googleapis.com/v1/projects/${args.project}/locations/${args.location}/clusters/${args.clusterName}`;
        this.issuer = pulumi.output(this.issuerUrl);
        this.principalsReady = [this.cluster];
        this.clusterName = this.cluster.name;
        this.endpoint = this.cluster.endpoint;
        this.registerOutputs({ clusterName: this.clusterName, endpoint: this.endpoint });
    }

    /** GKE Sandbox node pools in the data center's zone, running as the cluster's node account. */
    addSandboxPools(name: string, args: SandboxPoolsArgs, opts: pulumi.CustomResourceOptions): SandboxPools {
        return createGkeSandboxPools(name, args, { cluster: this.cluster, nodeIdentity: this.nodeIdentity, apis: this.apis }, opts);
    }

    /** The project's own workload pool, with this cluster as its provider. */
    workloadIdentity(_name: string, args: WorkloadIdentityArgs, opts: pulumi.CustomResourceOptions): GridIdentity {
        return gkeWorkloadIdentity(args, this, { parent: opts.parent });
    }
}

type GkePieces = Pick<GkeCluster, "cluster" | "subnetwork" | "systemPool" | "kubeconfig" | "provider" | "nodeIdentity" | "egressIps">;

function buildGkeCluster(name: string, args: GkeClusterArgs, own: pulumi.CustomResourceOptions): GkePieces {
    const { apis } = args;
    const compute = { ...own, dependsOn: apis.after("compute") };
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
        compute,
    );
    const router = new gcp.compute.Router(`${name}-router`, { name: `${args.clusterName}-router`, project: args.project, region: args.location, network: args.network }, compute);
    // Reserved addresses (MANUAL_ONLY) so the egress IPs are known: the control planes' load
    // balancers admit the data centers by them. Enough for the cluster's most nodes, each with its
    // minimum NAT ports. A data plane reserves for all its pod range can hold (config/rules.ts keeps
    // every region below it), so adding a data center never changes the gateway or the load
    // balancers' allow lists.
    const nodeCeiling = gkeNodeCeiling(parseCidr(layout.gkePods(args.cidr))!.prefix);
    const natIps = Array.from(
        { length: natAddressesFor(Math.min(args.maxNodes ?? nodeCeiling, nodeCeiling)) },
        (_, i) =>
            new gcp.compute.Address(
                `${name}-nat-${i}`,
                { name: `${args.clusterName}-nat-${i}`, project: args.project, region: args.location, addressType: "EXTERNAL", networkTier: "PREMIUM", labels: args.labels },
                { ...compute, protect: args.protect },
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
            // every pod dials the same load balancer address: see network/cloud-nat.ts
            enableDynamicPortAllocation: true,
            enableEndpointIndependentMapping: false,
            minPortsPerVm: NAT_MIN_PORTS_PER_VM,
            maxPortsPerVm: NAT_MAX_PORTS_PER_VM,
            tcpTimeWaitTimeoutSec: NAT_TCP_TIME_WAIT_SECONDS,
            logConfig: { enable: true, filter: "ERRORS_ONLY" },
        },
        compute,
    );
    const nodeIdentity = createNodeIdentity(name, { accountId: args.nodeServiceAccountId, project: args.project, clusterName: args.clusterName, registry: args.registry, apis, protect: args.protect }, own);
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
            // pinned: each node takes a /24 of the /17 pod range, which bounds the cluster to 128 nodes
            // (Cloud NAT's addresses above and config/rules.ts rely on it)
            defaultMaxPodsPerNode: GKE_MAX_PODS_PER_NODE,
            // The default pool only exists while the cluster is created, then is removed; it still
            // boots a node, so it runs as the cluster's node account, not the Compute Engine default.
            removeDefaultNodePool: true,
            initialNodeCount: 1,
            nodeConfig: hardenedNodeConfig(args.systemPool.machineType, args.labels, nodeIdentity.email),
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
        {
            ...own,
            protect: args.protect,
            // nodeConfig describes the removed default pool only; the API reports it differently afterwards
            ignoreChanges: ["initialNodeCount", "nodeConfig"],
            dependsOn: [...apis.after("container", "compute", "binaryauthorization", "logging", "monitoring"), ...nodeIdentity.grants],
        },
    );
    const systemPool = new gcp.container.NodePool(
        `${name}-system`,
        {
            name: "system",
            project: args.project,
            cluster: cluster.name,
            location: args.location,
            ...autoscaledPoolSize(args.systemPool),
            management: { autoRepair: true, autoUpgrade: true },
            nodeConfig: { ...hardenedNodeConfig(args.systemPool.machineType, args.labels, nodeIdentity.email), labels: { "globalgrid.dev/pool": "system" } },
        },
        { ...own, ...nodePoolOptions(apis, nodeIdentity) },
    );
    const kubeconfig = gkeKubeconfig(args.clusterName, cluster.endpoint, cluster.masterAuth.clusterCaCertificate.apply((c) => c ?? ""));
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig, enableServerSideApply: true }, { ...own, dependsOn: [systemPool] });
    return { cluster, subnetwork, systemPool, kubeconfig, provider, nodeIdentity, egressIps: natIps.map((a) => a.address) };
}
