import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { awsProvider } from "../aws-provider";
import type { CloudCluster } from "../clusters/cloud-cluster";
import { EksCluster } from "../clusters/eks";
import { GkeCluster } from "../clusters/gke";
import type { Continent, World } from "../config/model";
import { awsTags, gcpLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import { consulStorageClass } from "../workloads/consul/storage-class";
import type { GlobalTier } from "./global";
import { continentSystemPool } from "../clusters/continent-system-pool";

export interface ContinentTierArgs {
    /** the effective world config (environment, admin CIDRs, AWS account and settings) */
    world: World;
    /** physical names of everything the continent creates */
    names: Names;
    /** the continent's effective config: cloud, location, zones, CIDR, system pool, its regions */
    continent: Continent;
    /** the world network, registry and APIs the continental cluster uses */
    global: GlobalTier;
}

/**
 * A continent: the Kubernetes cluster hosting its regions' control planes (GKE in the world
 * network, or EKS in its own VPC), and a Kubernetes provider for it.
 */
export class ContinentTier extends pulumi.ComponentResource {
    readonly clusterName: pulumi.Output<string>;
    readonly endpoint: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    /** the continental cluster, by cloud (the regions' control-plane load balancers attach to it) */
    readonly cluster: CloudCluster;
    /** Consul volumes' StorageClasses (reclaim Retain), by name: one per distinct `consul.storageClass` of its regions */
    readonly consulStorageClasses: Record<string, k8s.storage.v1.StorageClass>;

    constructor(name: string, args: ContinentTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:tier:Continent", name, {}, opts);
        const { world, names, continent } = args;
        const placement: Placement = { tier: "continent", continent: continent.name };
        const protect = world.environment === "prod";
        const clusterName = names.continentCluster(continent.name);
        // One node per Consul server of the largest region it hosts (required anti-affinity by hostname).
        const pool = continentSystemPool({ cloud: continent.cloud, zones: continent.zones, consulReplicas: continent.regions.map((r) => r.consul.replicas), configured: continent.systemPool });
        const systemPool = { machineType: continent.systemMachineType, minNodes: pool.minNodes, maxNodes: pool.maxNodes };
        // The one place the continent picks its cloud: everything below works on the cluster contract.
        if (continent.cloud === "gcp") {
            this.cluster = new GkeCluster(
                `${continent.name}-cp`,
                {
                    clusterName,
                    project: world.gcpProject,
                    location: continent.location,
                    nodeLocations: continent.zones,
                    network: args.global.network.id,
                    cidr: continent.cidr,
                    adminCidrs: world.adminCidrs,
                    systemPool,
                    labels: gcpLabels("control-plane-cluster", placement),
                    protect,
                    nodeServiceAccountId: names.nodeServiceAccount(clusterName),
                    registry: args.global.registry,
                    apis: args.global.apis,
                    // the system pool per zone of the continent's zones, plus one upgrade surge node each
                    maxNodes: (systemPool.maxNodes + 1) * continent.zones.length,
                },
                { parent: this },
            );
        } else {
            const tags = awsTags("control-plane-cluster", placement);
            const provider = awsProvider(`${continent.name}-aws`, { awsRegion: continent.location, accountId: world.awsAccountId, tags }, { parent: this });
            this.cluster = new EksCluster(
                `${continent.name}-cp`,
                { clusterName, awsRegion: continent.location, zones: continent.zones, cidr: continent.cidr, adminCidrs: world.adminCidrs, systemPool, aws: world.aws, tags, placement, protect, provider },
                { parent: this },
            );
        }
        this.clusterName = this.cluster.clusterName;
        this.endpoint = this.cluster.endpoint;
        this.kubeconfig = this.cluster.kubeconfig;
        this.provider = this.cluster.provider;
        const classNames = [...new Set(continent.regions.map((r) => r.consul.storageClass))].sort();
        this.consulStorageClasses = Object.fromEntries(
            classNames.map((className) => [className, consulStorageClass(`${continent.name}-${className}`, { className, storage: this.cluster.diskStorage, placement }, { parent: this, provider: this.provider })]),
        );
        this.registerOutputs({ clusterName: this.clusterName, endpoint: this.endpoint, kubeconfig: this.kubeconfig });
    }
}
