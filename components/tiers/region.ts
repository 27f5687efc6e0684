import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { EksCluster } from "../clusters/eks";
import { GkeCluster } from "../clusters/gke";
import type { Region, World } from "../config/model";
import { awsTags, gcpLabels, k8sLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import { createRootCa, createSignedCert, type KeyPair } from "../pki/certificates";
import { restrictedNamespace } from "../kubernetes/namespace";
import { JobQueue } from "../messaging/job-queue";
import type { AgentImageRefs } from "../images/agents";
import { ecrPullPolicy } from "../images/ecr";
import type { GridIdentity } from "../workloads/grid-identity";
import { SiteCodeBucket } from "../storage/site-code";
import { awsProvider } from "../aws-provider";
import type { DataPlaneCluster } from "../clusters/cloud-cluster";
import type { ContinentTier } from "./continent";
import { createRegionControlPlane, type RegionControlPlane } from "./control-plane";
import { DataCenterTier, type RegionForDataCenter } from "./data-center";
import type { GlobalTier } from "./global";

export interface RegionTierArgs {
    /** the effective world config (project, admin CIDRs, AWS account and settings) */
    world: World;
    /** physical names of everything the region creates */
    names: Names;
    /** the region's effective config: cloud, location, zones, CIDR, Consul, jobs, its data centers */
    region: Region;
    /** root CA, network, registry, images, APIs, Pub/Sub agent, dispatcher, alert channels and the world context */
    global: GlobalTier;
    /** the continent whose cluster hosts the region's control plane */
    continent: ContinentTier;
}


/**
 * A region: its control-plane namespace in the continental cluster, its intermediate CA, and its
 * data-plane cluster; its data centers (zones of that cluster) are children. Nothing here depends on
 * the set of data centers, so adding one never changes an existing resource.
 * A region reads from the global tier and its continent only, never from another region.
 */
export class RegionTier extends pulumi.ComponentResource {
    readonly placement: Placement;
    readonly namespace: k8s.core.v1.Namespace;
    readonly intermediateCa: KeyPair;
    /**
     * The region's intermediate followed by the root: what clients verify the load balancer's
     * certificate with. OpenSSL (Node agents) needs the chain to a self-signed root; Go accepts the
     * intermediate alone, which is why the Consul servers trust just the intermediate.
     */
    readonly serverCaBundle: pulumi.Output<string>;
    /** the region's own self-signed client CA: signs its data centers' client certificates; its load balancer trusts nothing else */
    readonly clientCa: KeyPair;
    readonly dataPlane: DataPlaneCluster;
    readonly clusterName: pulumi.Output<string>;
    readonly endpoint: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    /** Kubernetes provider of the region's data-plane cluster */
    readonly provider: k8s.Provider;
    /** the region's Pub/Sub job queue; the job grid pulls from `jobQueue.subscription` */
    readonly jobQueue: JobQueue;
    /** keyless Google identity for the data centers' Kubernetes service accounts (brokers, job supervisors) */
    readonly gridIdentity: GridIdentity;
    /** every release of the region's sites' code; its data centers' brokers and supervisors read it */
    readonly siteCode: SiteCodeBucket;
    /** Consul servers and the mTLS load balancer at `host` (`names.controlPlaneHost`) that data centers reach them through */
    readonly controlPlane: RegionControlPlane;
    readonly dataCenters: DataCenterTier[];
    /** the image each agent runs in this region: the build's digest in this cloud's registry (or a prebuilt image) */
    readonly images: AgentImageRefs;

    constructor(name: string, args: RegionTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:tier:Region", name, {}, opts);
        const { world, names, region } = args;
        this.placement = { tier: "region", continent: region.continent, region: region.name };
        const child = { parent: this };

        // The regional control plane's namespace, in the continental cluster.
        const cpName = names.controlPlaneNamespace(region.name);
        this.namespace = restrictedNamespace(
            `${region.name}-cp`,
            { namespace: cpName, labels: k8sLabels(cpName, "control-plane", this.placement), quota: region.controlPlaneQuota },
            { parent: this, provider: args.continent.provider },
        );

        this.intermediateCa = createSignedCert(
            `${region.name}-intermediate-ca`,
            { ca: args.global.rootCa, commonName: `globalgrid ${region.name} intermediate CA`, usage: "ca", ...world.pki.regionCa },
            child,
        );
        this.serverCaBundle = pulumi.all([this.intermediateCa.certPem, args.global.rootCa.certPem]).apply(([i, r]) => `${i.trimEnd()}\n${r.trimEnd()}\n`);
        this.clientCa = createRootCa(`${region.name}-client-ca`, world.pki.regionCa, { parent: this, protect: region.protect }, `globalgrid ${region.name} client CA`);

        this.images = args.global.images.forRegion(region);
        const clusterName = names.regionCluster(region.name);
        // The one place the region picks its cloud: everything below works on the cluster contract.
        if (region.cloud === "gcp") {
            this.dataPlane = new GkeCluster(
                `${region.name}-dp`,
                {
                    clusterName,
                    project: world.gcpProject,
                    location: region.location,
                    network: args.global.network.id,
                    cidr: region.cidr,
                    adminCidrs: world.adminCidrs,
                    systemPool: region.systemPool,
                    labels: gcpLabels("data-plane-cluster", this.placement),
                    protect: region.protect,
                    nodeServiceAccountId: names.nodeServiceAccount(clusterName),
                    registry: args.global.registry,
                    apis: args.global.apis,
                },
                { parent: this },
            );
        } else {
            const tags = awsTags("data-plane-cluster", this.placement);
            const provider = awsProvider(`${region.name}-aws`, { awsRegion: region.location, accountId: world.awsAccountId, tags }, { parent: this });
            const eks = new EksCluster(
                `${region.name}-dp`,
                { clusterName, awsRegion: region.location, zones: region.zones, cidr: region.cidr, adminCidrs: world.adminCidrs, systemPool: region.systemPool, aws: world.aws, tags, placement: this.placement, protect: region.protect, provider },
                { parent: this },
            );
            this.dataPlane = eks;
            // The nodes pull the agents from this region's ECR repositories only.
            ecrPullPolicy(`${region.name}-dp-agent-images`, eks.nodeRole, args.global.images.ecrRepositoryArns(region.location), { parent: this, provider });
            // GKE Sandbox ships the gvisor RuntimeClass; on EKS the sandboxed node groups install
            // runsc (see data-center.ts) and this RuntimeClass points pods at that handler.
            new k8s.node.v1.RuntimeClass(
                `${region.name}-gvisor`,
                {
                    metadata: { name: "gvisor", labels: k8sLabels("gvisor", "sandbox", this.placement) },
                    handler: "runsc",
                    scheduling: { nodeSelector: { "globalgrid.dev/sandbox": "gvisor" } },
                },
                { parent: this, provider: eks.provider },
            );
        }
        this.clusterName = this.dataPlane.clusterName;
        this.endpoint = this.dataPlane.endpoint;
        this.kubeconfig = this.dataPlane.kubeconfig;
        this.provider = this.dataPlane.provider;

        this.jobQueue = new JobQueue(
            `${region.name}-jobs`,
            { project: world.gcpProject, names, region, placement: this.placement, pubsubAgent: args.global.pubsubAgent, dispatcher: args.global.dispatcher, notificationChannels: args.global.notificationChannels, apis: args.global.apis },
            child,
        );

        this.gridIdentity = this.dataPlane.workloadIdentity(`${region.name}-grid-identity`, { project: world.gcpProject, names, region, apis: args.global.apis }, { parent: this });
        this.siteCode = new SiteCodeBucket(`${region.name}-site-code`, { project: world.gcpProject, names, region, placement: this.placement, apis: args.global.apis }, child);

        this.controlPlane = createRegionControlPlane(
            {
                world,
                names,
                region,
                global: args.global,
                continent: args.continent,
                namespace: this.namespace,
                intermediateCa: this.intermediateCa,
                clientCa: this.clientCa,
                dataPlaneIssuer: this.dataPlane.issuer,
                dataCenterEgressIps: this.dataPlane.egressIps,
                placement: this.placement,
            },
            child,
        );

        const fromRegion: RegionForDataCenter = {
            provider: this.provider,
            dataPlane: this.dataPlane,
            clientCa: this.clientCa,
            serverCaBundle: this.serverCaBundle,
            images: this.images,
            gridIdentity: this.gridIdentity,
            siteCode: this.siteCode,
            jobs: this.jobQueue.subscription,
        };
        this.dataCenters = region.dataCenters.map((dc) => new DataCenterTier(dc.name, { world, names, region, dataCenter: dc, fromRegion, apis: args.global.apis, context: args.global.context }, child));

        this.registerOutputs({ clusterName: this.clusterName, endpoint: this.endpoint, kubeconfig: this.kubeconfig, namespace: this.namespace.metadata.name });
    }
}
