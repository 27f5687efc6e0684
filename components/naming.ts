/**
 * Every physical (cloud-visible) name is derived here, from the environment and the world path only,
 * so names are deterministic, unique across the world and stable when the YAML is reordered.
 * `LIMITS` holds each cloud's length rules; config validation checks every derived name against it.
 */

export const LIMITS = {
    gkeCluster: 40,
    gkeNodePool: 40,
    gcpResource: 63,
    gcpServiceAccountId: 30,
    gcpWorkloadIdentityPool: 32,
    gcpWorkloadIdentityProvider: 32,
    pubsub: 255,
    dnsLabel: 63,
    awsLoadBalancer: 32,
    awsTargetGroup: 32,
    awsIamRole: 64,
    awsEksCluster: 100,
    awsEksNodeGroup: 63,
    s3Bucket: 63,
    gcsBucket: 63,
} as const;

export type LimitKind = keyof typeof LIMITS;

export interface PhysicalName {
    kind: LimitKind;
    value: string;
}

const env = (environment: string) => (environment === "prod" ? "prd" : "stg");

export class Names {
    readonly prefix: string;
    constructor(
        readonly environment: "staging" | "prod",
        readonly domain: string,
        readonly awsAccountId: string,
        /** the world's GCP project: bucket names are global across all of Cloud Storage, project ids are unique */
        readonly gcpProject: string,
    ) {
        this.prefix = `gg-${env(environment)}`;
    }

    globalCluster(): string {
        return `${this.prefix}-global`;
    }
    worldNetwork(): string {
        return `${this.prefix}-world`;
    }
    continentCluster(continent: string): string {
        return `${this.prefix}-${continent}-cp`;
    }
    regionCluster(region: string): string {
        return `${this.prefix}-${region}-dp`;
    }
    /** the regional control plane's namespace in its continent's cluster */
    controlPlaneNamespace(region: string): string {
        return `cp-${region}`;
    }
    dataCenterNamespace(dc: string): string {
        return `dc-${dc}`;
    }
    /** node pool / node group of a data center: `warm-pool` or `job-grid` */
    dataCenterPool(dc: string, pool: "warm-pool" | "job-grid"): string {
        return `${dc}-${pool}`;
    }
    eksNodeGroup(cluster: string, pool: string): string {
        return `${cluster}-${pool}`;
    }
    iamRole(cluster: string, role: "cluster" | "nodes" | "autoscaler" | "flow-logs"): string {
        return `${cluster}-${role}`;
    }
    dispatcherServiceAccount(): string {
        return `${this.prefix}-dispatcher`;
    }
    jobsTopic(region: string): string {
        return `${this.prefix}-${region}-jobs`;
    }
    jobsSubscription(region: string): string {
        return `${this.prefix}-${region}-jobs-grid`;
    }
    deadLetterTopic(region: string): string {
        return `${this.prefix}-${region}-jobs-dead-letter`;
    }
    deadLetterSubscription(region: string): string {
        return `${this.prefix}-${region}-jobs-dead-letter-keep`;
    }
    /** the Pub/Sub schema of the region's job messages */
    jobSchema(region: string): string {
        return `${this.prefix}-${region}-job`;
    }
    /** the DNS name data centers use to reach their regional control plane */
    controlPlaneHost(region: string): string {
        return `${region}.cp.${this.domain}`;
    }
    controlPlaneLoadBalancer(region: string): string {
        return `${this.prefix}-${region}-cp`;
    }
    controlPlaneTargetGroup(region: string): string {
        return `${this.prefix}-${region}-consul`;
    }
    /** the target group of Consul's gRPC TLS port */
    controlPlaneGrpcTargetGroup(region: string): string {
        return `${this.prefix}-${region}-grpc`;
    }
    /** a GCP resource of the region's control-plane load balancer (`-tc`, `-tls`, `-be`, ...) */
    controlPlaneGcpResource(region: string, suffix: string): string {
        return `${this.controlPlaneLoadBalancer(region)}-${suffix}`;
    }
    caBundleBucket(region: string): string {
        return `${this.prefix}-${region}-cp-ca-${this.awsAccountId}`;
    }
    /**
     * The region's site-code bucket. Cloud Storage bucket names share one namespace across every
     * project: the project id (itself globally unique) makes it ours. 3-63 characters of lowercase
     * letters, digits and dashes (no dots, so no domain verification), never `goog`-prefixed.
     */
    siteCodeBucket(region: string): string {
        return `${this.prefix}-${region}-code-${this.gcpProject}`;
    }
    workloadIdentityPool(region: string): string {
        return `${this.prefix}-${region}-eks`;
    }
    gridServiceAccount(dc: string): string {
        return `${this.prefix}-${dc}-grid`;
    }
    /** the node service account of a GKE cluster (physical cluster name, see above) */
    nodeServiceAccount(cluster: string): string {
        return `${cluster}-nodes`;
    }
    /** the OIDC provider of an aws region's workload identity pool (4..32 characters) */
    workloadIdentityProvider(region: string): string {
        return `${region}-eks-oidc`;
    }
    /** the world's Artifact Registry repository of the agents' images */
    registryRepository(): string {
        return "globalgrid";
    }
    /** the Artifact Registry repository of the agents' build cache */
    buildCacheRepository(): string {
        return "globalgrid-build-cache";
    }
    /** an agent's ECR repository, the same name in every AWS region */
    ecrRepository(agent: string): string {
        return `${this.prefix}/${agent}`;
    }
    /** the public name of a data center's synchronous path (its broker behind a TLS load balancer) */
    syncHost(dc: string): string {
        return `${dc}.sync.${this.domain}`;
    }
    /** the data center's synchronous-path load balancer (AWS ALB name; GCP resources add a suffix) */
    syncLoadBalancer(dc: string): string {
        return `${this.prefix}-${dc}-sync`;
    }
    syncGcpResource(dc: string, suffix: string): string {
        return `${this.syncLoadBalancer(dc)}-${suffix}`;
    }
    syncTargetGroup(dc: string): string {
        return `${this.prefix}-${dc}-broker`;
    }
    /** the zonal NEG the GKE NEG controller creates for a data center's broker Service */
    brokerNeg(dc: string): string {
        return `${this.prefix}-${dc}-broker-neg`;
    }

    /** All names a region and its data centers put in the clouds, with the limit each must respect. */
    regionNames(region: string, cloud: "gcp" | "aws", dataCenters: string[]): PhysicalName[] {
        const cluster = this.regionCluster(region);
        const names: PhysicalName[] = [
            { kind: "pubsub", value: this.deadLetterSubscription(region) },
            { kind: "dnsLabel", value: this.controlPlaneNamespace(region) },
            { kind: "gcpResource", value: this.controlPlaneLoadBalancer(region) },
            { kind: "gcsBucket", value: this.siteCodeBucket(region) },
        ];
        if (cloud === "gcp") {
            names.push({ kind: "gkeCluster", value: cluster }, { kind: "gcpServiceAccountId", value: this.nodeServiceAccount(cluster) });
            for (const dc of dataCenters) {
                names.push({ kind: "gkeNodePool", value: this.dataCenterPool(dc, "warm-pool") });
                names.push({ kind: "gkeNodePool", value: this.dataCenterPool(dc, "job-grid") });
            }
        } else {
            names.push(
                { kind: "awsEksCluster", value: cluster },
                { kind: "awsIamRole", value: this.iamRole(cluster, "cluster") },
                { kind: "awsIamRole", value: this.iamRole(cluster, "nodes") },
                { kind: "awsIamRole", value: this.iamRole(cluster, "autoscaler") },
                { kind: "awsLoadBalancer", value: this.controlPlaneLoadBalancer(region) },
                { kind: "awsTargetGroup", value: this.controlPlaneTargetGroup(region) },
                { kind: "awsTargetGroup", value: this.controlPlaneGrpcTargetGroup(region) },
                { kind: "s3Bucket", value: this.caBundleBucket(region) },
                { kind: "gcpWorkloadIdentityPool", value: this.workloadIdentityPool(region) },
                { kind: "gcpWorkloadIdentityProvider", value: this.workloadIdentityProvider(region) },
            );
            for (const dc of dataCenters) {
                names.push({ kind: "awsEksNodeGroup", value: this.eksNodeGroup(cluster, this.dataCenterPool(dc, "warm-pool")) });
            }
        }
        for (const dc of dataCenters) {
            if (cloud === "gcp") names.push({ kind: "gcpResource", value: this.syncGcpResource(dc, "proxy") }, { kind: "gcpResource", value: this.brokerNeg(dc) });
            else names.push({ kind: "awsLoadBalancer", value: this.syncLoadBalancer(dc) }, { kind: "awsTargetGroup", value: this.syncTargetGroup(dc) });
            names.push({ kind: "dnsLabel", value: this.dataCenterNamespace(dc) });
            names.push({ kind: "gcpServiceAccountId", value: this.gridServiceAccount(dc) });
        }
        return names;
    }
}
