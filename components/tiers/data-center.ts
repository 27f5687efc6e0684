import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { DataCenter, Region, World } from "../config/model";
import { k8sLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import { createSignedCert, type KeyPair } from "../pki/certificates";
import { restrictedNamespace } from "../kubernetes/namespace";
import { createSandboxPools, type GridPool, type SandboxPools } from "../clusters/sandbox-pools";
import { ConsulClient } from "../workloads/consul-client";
import { JobGrid } from "../workloads/job-grid";
import { WarmPool } from "../workloads/warm-pool";
import type { ProjectApis } from "../project/services";
import { brokerEntrance, SyncPath } from "../network/sync-path";
import type { GlobalTier } from "./global";
import type { RegionTier } from "./region";

export interface DataCenterTierArgs {
    world: World;
    names: Names;
    region: Region;
    dataCenter: DataCenter;
    regionTier: RegionTier;
    /** the project's enabled APIs (global tier) */
    apis: ProjectApis;
    /** the world's DNS zone and network (the synchronous path's name and firewall) */
    global: GlobalTier;
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
        const { names, region, dataCenter: dc, regionTier } = args;
        this.placement = { tier: "datacenter", continent: region.continent, region: region.name, datacenter: dc.name };
        const k8sOpts = { parent: this, provider: regionTier.provider };

        this.pools = createSandboxPools(
            dc.name,
            { names, region, dataCenter: dc, dataPlane: regionTier.dataPlane, placement: this.placement, apis: args.apis, kubernetesVersion: args.world.aws.kubernetesVersion, gvisorRelease: args.world.aws.gvisorRelease },
            this,
        );

        const nsName = names.dataCenterNamespace(dc.name);
        this.namespace = restrictedNamespace(`${dc.name}-ns`, {
            namespace: nsName,
            labels: k8sLabels(nsName, "data-center", this.placement),
            quota: dc.namespaceQuota,
            provider: regionTier.provider,
            parent: this,
        });

        this.clientCert = createSignedCert(
            `${dc.name}-client`,
            { ca: regionTier.clientCa, commonName: `${dc.name}.${region.name}.client.globalgrid`, usage: "client", ...region.certificates },
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
                    "ca.crt": regionTier.serverCaBundle,
                },
            },
            { ...k8sOpts, dependsOn: [this.namespace] },
        );

        // The grids: each on its own sandboxed pool, registered with the region's Consul through the mTLS load balancer.
        const gridDeps = [this.namespace, this.clientTlsSecret];
        const grid = { world: args.world, region, dataCenter: dc, namespace: nsName, images: regionTier.images, placement: this.placement, provider: regionTier.provider };
        this.consul = new ConsulClient(
            `${dc.name}-consul-client`,
            { names, region: region.name, namespace: nsName, clientTlsSecret: CLIENT_TLS_SECRET, placement: this.placement, provider: regionTier.provider, dependsOn: gridDeps },
            { parent: this },
        );
        const entrance = brokerEntrance(names, region, dc);
        this.warmPool = new WarmPool(
            `${dc.name}-warm-pool`,
            { ...grid, consul: this.consul, entrance, identity: regionTier.gridIdentity, siteCode: regionTier.siteCode, dependsOn: [...gridDeps, this.pools["warm-pool"].resource] },
            { parent: this },
        );
        this.syncPath = new SyncPath(
            `${dc.name}-sync`,
            { world: args.world, names, region, dataCenter: dc, global: args.global, dataPlane: regionTier.dataPlane, broker: this.warmPool.broker, entrance, placement: this.placement },
            // its load balancer, certificate and DNS records call these APIs (children wait for their parent)
            { parent: this, dependsOn: args.apis.after("compute", "certificatemanager", "dns") },
        );
        this.jobGrid = new JobGrid(
            `${dc.name}-job-grid`,
            { ...grid, consul: this.consul, identity: regionTier.gridIdentity, siteCode: regionTier.siteCode, subscription: regionTier.jobQueue.subscription, dependsOn: [...gridDeps, this.pools["job-grid"].resource] },
            // Its subscriber grant (Pub/Sub) and its scaler's metrics grant (project IAM) name GKE
            // principals of the `<project>.svc.id.goog` pool, which exists once a Workload Identity
            // cluster does: they wait for the APIs and for the region's cluster.
            { parent: this, dependsOn: [...args.apis.after("pubsub", "cloudresourcemanager"), ...(regionTier.dataPlane.cloud === "gcp" ? [regionTier.dataPlane.gke.cluster] : [])] },
        );

        this.registerOutputs({ namespace: nsName, nodePools: this.nodePoolNames() });
    }

    /** Physical names of the data center's node pools, per pool. */
    nodePoolNames(): Record<GridPool, pulumi.Output<string>> {
        return { "warm-pool": this.pools["warm-pool"].name, "job-grid": this.pools["job-grid"].name };
    }
}
