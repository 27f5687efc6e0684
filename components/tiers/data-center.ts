import * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import type { DataPlaneCluster } from "../clusters/cloud-cluster";
import type { DataCenter, Region, World } from "../config/model";
import type { WorldContext } from "../context";
import type { AgentImageRefs } from "../images/agents";
import { k8sLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import { createSignedCert, type KeyPair } from "../pki/certificates";
import { restrictedNamespace } from "../kubernetes/namespace";
import type { GridPool } from "../clusters/pool-labels";
import type { SandboxPools } from "../clusters/sandbox-pools";
import { ConsulClient } from "../workloads/consul-client";
import { JobGrid } from "../workloads/job-grid";
import { WarmPool } from "../workloads/warm-pool";
import type { ProjectApis } from "../project/services";
import type { SiteCodeBucket } from "../storage/site-code";
import type { GridIdentity } from "../workloads/grid-identity";
import { syncTarget } from "../network/sync-common";
import { SyncPath } from "../network/sync-path";

/** What a data center takes from its region (the region tier builds it; a data center never sees the tier). */
export interface RegionForDataCenter {
    /** Kubernetes provider of the region's data-plane cluster: the data center is one zone of it */
    provider: k8s.Provider;
    /** the region's data-plane cluster: the data center's sandboxed pools are added to it */
    dataPlane: DataPlaneCluster;
    /** the region's client CA: signs the data center's client certificate for the control plane */
    clientCa: KeyPair;
    /** the region's intermediate and the root: what the data center verifies the control plane's load balancer with */
    serverCaBundle: pulumi.Output<string>;
    /** the image each agent runs in this region */
    images: AgentImageRefs;
    /** keyless Google identity of the brokers' and job supervisors' Kubernetes service accounts */
    gridIdentity: GridIdentity;
    /** the region's site-code bucket: brokers and supervisors read it */
    siteCode: SiteCodeBucket;
    /** the region's job-queue subscription the job grid pulls from */
    jobs: gcp.pubsub.Subscription;
}

export interface DataCenterTierArgs {
    /** the effective world config (grid settings, EKS node versions) */
    world: World;
    /** physical names of everything the data center creates */
    names: Names;
    /** the effective config of the data center's region */
    region: Region;
    /** the data center's own effective config */
    dataCenter: DataCenter;
    /** what the data center uses of its region: cluster, CAs, images, identity, code bucket, jobs */
    fromRegion: RegionForDataCenter;
    /** the project's enabled APIs (global tier) */
    apis: ProjectApis;
    /** project, admin CIDRs, the world's DNS zone and network (the synchronous path's name and firewall) */
    context: WorldContext;
}

/** Name of the Secret holding the data center's client certificate for the regional control plane. */
export const CLIENT_TLS_SECRET = "control-plane-client-tls";

/**
 * A data center: one zone of its region's data-plane cluster where customer code runs. It owns
 * the zone-pinned sandboxed node pools (`warm-pool`, `job-grid`), its namespace, and its client
 * certificate for the regional control plane.
 */
export class DataCenterTier extends pulumi.ComponentResource {
    readonly placement: Placement;
    readonly namespace: k8s.core.v1.Namespace;
    readonly pools: SandboxPools;
    readonly clientCert: KeyPair;
    readonly clientTlsSecret: k8s.core.v1.Secret;
    readonly consul: ConsulClient;
    readonly warmPool: WarmPool;
    readonly jobGrid: JobGrid;
    /** `<dc>.sync.<domain>`: the TLS load balancer in front of the data center's broker */
    readonly syncPath: SyncPath;

    constructor(name: string, args: DataCenterTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:tier:DataCenter", name, {}, opts);
        const { names, region, dataCenter: dc, fromRegion } = args;
        this.placement = { tier: "datacenter", continent: region.continent, region: region.name, datacenter: dc.name };
        const k8sOpts = { parent: this, provider: fromRegion.provider, apiServer: fromRegion.dataPlane.apiServerCidrs };

        this.pools = fromRegion.dataPlane.addSandboxPools(dc.name, { names, region, dataCenter: dc, placement: this.placement }, { parent: this });

        const nsName = names.dataCenterNamespace(dc.name);
        this.namespace = restrictedNamespace(
            `${dc.name}-ns`,
            { namespace: nsName, labels: k8sLabels(nsName, "data-center", this.placement), quota: dc.namespaceQuota },
            { parent: this, provider: fromRegion.provider },
        );

        this.clientCert = createSignedCert(
            `${dc.name}-client`,
            { ca: fromRegion.clientCa, commonName: `${dc.name}.${region.name}.client.globalgrid`, usage: "client", ...region.certificates },
            { parent: this },
        );
        this.clientTlsSecret = new k8s.core.v1.Secret(
            `${dc.name}-client-tls`,
            {
                metadata: { name: CLIENT_TLS_SECRET, namespace: nsName, labels: k8sLabels(CLIENT_TLS_SECRET, "control-plane-client", this.placement) },
                type: "kubernetes.io/tls",
                stringData: {
                    "tls.crt": this.clientCert.certPem,
                    "tls.key": this.clientCert.keyPem,
                    // verifies the load balancer's server certificate: the region's intermediate and the root
                    "ca.crt": fromRegion.serverCaBundle,
                },
            },
            { ...k8sOpts, dependsOn: [this.namespace] },
        );

        // The grids: each on its own sandboxed pool, registered with the region's Consul through the mTLS load balancer.
        const gridDeps = [this.namespace, this.clientTlsSecret];
        const grid = { project: args.context.project, region, dataCenter: dc, namespace: nsName, images: fromRegion.images, placement: this.placement, provider: fromRegion.provider, apiServer: fromRegion.dataPlane.apiServerCidrs };
        this.consul = new ConsulClient(
            `${dc.name}-consul-client`,
            { names, region: region.name, namespace: nsName, clientTlsSecret: CLIENT_TLS_SECRET, placement: this.placement, provider: fromRegion.provider, dependsOn: gridDeps },
            { parent: this },
        );
        const target = syncTarget(fromRegion.dataPlane, names, dc);
        const { entrance } = target;
        this.warmPool = new WarmPool(
            `${dc.name}-warm-pool`,
            { ...grid, consul: this.consul, entrance, identity: fromRegion.gridIdentity, siteCode: fromRegion.siteCode, dependsOn: [...gridDeps, this.pools["warm-pool"].resource] },
            { parent: this },
        );
        this.syncPath = new SyncPath(
            `${dc.name}-sync`,
            { context: args.context, names, region, dataCenter: dc, target, broker: this.warmPool.broker, placement: this.placement },
            // its load balancer, certificate and DNS records call these APIs (children wait for their parent)
            { parent: this, dependsOn: args.apis.after("compute", "certificatemanager", "dns") },
        );
        this.jobGrid = new JobGrid(
            `${dc.name}-job-grid`,
            { ...grid, consul: this.consul, identity: fromRegion.gridIdentity, siteCode: fromRegion.siteCode, subscription: fromRegion.jobs, dependsOn: [...gridDeps, this.pools["job-grid"].resource] },
            // Its subscriber grant (Pub/Sub) and its scaler's metrics grant (project IAM) name GKE
            // principals of the `<project>.svc.id.goog` pool, which exists once a Workload Identity
            // cluster does: they wait for the APIs and for the region's cluster.
            { parent: this, dependsOn: [...args.apis.after("pubsub", "cloudresourcemanager"), ...fromRegion.dataPlane.principalsReady] },
        );

        this.registerOutputs({ namespace: nsName, nodePools: this.nodePoolNames() });
    }

    /** Physical names of the data center's node pools, per pool. */
    nodePoolNames(): Record<GridPool, pulumi.Output<string>> {
        return { "warm-pool": this.pools["warm-pool"].name, "job-grid": this.pools["job-grid"].name };
    }
}
