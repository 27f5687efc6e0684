import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { GkeCluster } from "../clusters/gke";
import type { World } from "../config/model";
import type { WorldContext } from "../context";
import { gcpLabels, type Placement } from "../labels";
import { GKE_DEFAULT_NODE_ZONES } from "../network/cloud-nat";
import type { Names } from "../naming";
import { createRootCa, type KeyPair } from "../pki/certificates";
import { ProjectApis } from "../project/services";
import { AgentImages } from "../images/agent-images";
import { artifactRegistryLocation } from "../images/registries";

export interface GlobalTierArgs {
    /** the effective world config */
    world: World;
    /** physical names of everything the world creates */
    names: Names;
}

/** the global cluster's system pool, per zone of its (default three) zones */
/** Untagged versions (left by interrupted pushes) are deleted after 14 days; tagged builds are kept. */
const REGISTRY_UNTAGGED_RETENTION = `${14 * 24 * 3600}s`;

/**
 * The global tier: the world VPC network, the global GKE cluster, the root CA, the Cloud DNS zone,
 * the job dispatcher's identity, the image registry and the alert notification channels.
 * Regions depend on it at deploy time only (CA, network, DNS zone, channels).
 */
export class GlobalTier extends pulumi.ComponentResource {
    readonly network: gcp.compute.Network;
    readonly cluster: GkeCluster;
    readonly rootCa: KeyPair;
    readonly dnsZone: gcp.dns.ManagedZone;
    readonly dispatcher: gcp.serviceaccount.Account;
    /** the project's Pub/Sub service agent (dead-lettering acts as it) */
    readonly pubsubAgent: gcp.projects.ServiceIdentity;
    readonly notificationChannels: pulumi.Output<string>[];
    readonly registry: gcp.artifactregistry.Repository;
    /** the project's enabled APIs: every GCP resource of the world is created after the ones it calls */
    readonly apis: ProjectApis;
    /** the agents' images: built and pushed to the registry and to ECR, or prebuilt; per-region references */
    readonly images: AgentImages;
    /** what leaves below need of the world: project, admin CIDRs, this network and DNS zone */
    readonly context: WorldContext;

    constructor(name: string, args: GlobalTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:tier:Global", name, {}, opts);
        const { world, names } = args;
        const project = world.gcpProject;
        const placement: Placement = { tier: "global" };
        const labels = gcpLabels("global", placement);
        const prod = world.environment === "prod";

        this.apis = new ProjectApis(project, { parent: this });
        // before the clusters: their nodes get read access to it
        // Every GCP data plane of the world pulls the agents from here: a multi-region repository
        // (around global.location) keeps serving when one of its regions is down. Tags are immutable,
        // so the build cache lives in a repository of its own (images/agent-images.ts).
        // Created before the clusters: their nodes get read access to it.
        this.registry = new gcp.artifactregistry.Repository(
            "registry",
            {
                repositoryId: names.registryRepository(),
                project,
                location: artifactRegistryLocation(world.global.location),
                format: "DOCKER",
                description: "globalgrid images",
                labels,
                dockerConfig: { immutableTags: true },
                cleanupPolicyDryRun: false,
                cleanupPolicies: [{ id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: REGISTRY_UNTAGGED_RETENTION } }],
            },
            { parent: this, protect: prod, dependsOn: this.apis.after("artifactregistry") },
        );
        this.network = new gcp.compute.Network(
            "world-network",
            { name: names.worldNetwork(), project, autoCreateSubnetworks: false, routingMode: "GLOBAL", description: "globalgrid world network" },
            { parent: this, protect: prod, dependsOn: this.apis.after("compute") },
        );
        this.cluster = new GkeCluster(
            "global",
            {
                clusterName: names.globalCluster(),
                project,
                location: world.global.location,
                network: this.network.id,
                cidr: world.global.cidr,
                adminCidrs: world.adminCidrs,
                systemPool: { machineType: world.global.systemMachineType, ...world.global.systemPool },
                labels,
                protect: prod,
                nodeServiceAccountId: names.nodeServiceAccount(names.globalCluster()),
                registry: this.registry,
                apis: this.apis,
                // one upgrade surge node per zone
                maxNodes: (world.global.systemPool.maxNodes + 1) * GKE_DEFAULT_NODE_ZONES,
            },
            { parent: this },
        );
        // Replacing the root would re-issue every certificate of the world at once: protect it in prod.
        this.rootCa = createRootCa("root-ca", world.pki.rootCa, { parent: this, protect: prod });
        this.dnsZone = new gcp.dns.ManagedZone(
            "dns-zone",
            {
                name: `${names.prefix}-zone`,
                project,
                dnsName: `${world.domain}.`,
                description: "globalgrid public zone (control-plane records live here)",
                dnssecConfig: { state: "on" },
                labels,
            },
            { parent: this, protect: prod, dependsOn: this.apis.after("dns") },
        );
        this.dispatcher = new gcp.serviceaccount.Account(
            "dispatcher",
            { accountId: names.dispatcherServiceAccount(), project, displayName: "globalgrid job dispatcher", description: "Publishes jobs to every region's jobs topic" },
            { parent: this, dependsOn: this.apis.after("iam") },
        );
        this.context = { project, adminCidrs: world.adminCidrs, network: this.network.id, dnsZone: this.dnsZone.name };
        this.pubsubAgent = new gcp.projects.ServiceIdentity("pubsub-agent", { project, service: "pubsub.googleapis.com" }, { parent: this, dependsOn: this.apis.after("serviceusage", "pubsub") });
        this.images = new AgentImages("agent-images", { world, names, registry: this.registry }, { parent: this, dependsOn: this.apis.after("artifactregistry") });
        this.notificationChannels = world.alertEmails.map(
            (email, i) =>
                new gcp.monitoring.NotificationChannel(
                    `alerts-email-${i}`,
                    { project, type: "email", displayName: `globalgrid ${world.environment} on-call (${email})`, labels: { email_address: email }, userLabels: labels },
                    { parent: this, dependsOn: this.apis.after("monitoring") },
                ).id,
        );
        this.registerOutputs({ cluster: this.cluster.cluster.name, dnsZone: this.dnsZone.name, dispatcher: this.dispatcher.email });
    }
}
