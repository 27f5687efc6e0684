import { z } from "zod";
import { DEFAULT_GVISOR_RELEASE, DEFAULT_KUBERNETES_VERSION } from "../clusters/eks-versions";

/**
 * The raw shape of `globalgrid:world`, as written in `Pulumi.<stack>.yaml`.
 * Every object is strict: an unknown key (a typo) is an error, never silently ignored.
 * Cross-field rules (zones inside regions, overlapping ranges, name limits...) live in rules.ts.
 */

const name = (max: number) =>
    z.string().regex(new RegExp(`^[a-z][a-z0-9]{1,${max - 1}}$`), {
        message: `must be 2..${max} characters of a-z and 0-9, starting with a letter`,
    });

export const continentName = name(6);
export const regionName = name(8);
export const dataCenterName = name(10);

/** An image reference pinned by tag or digest; `latest` and tagless references are refused. */
export const pinnedImage = z
    .string()
    .regex(/^[a-z0-9.\-/_:]+(@sha256:[a-f0-9]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/, {
        message: "must be pinned with a tag or an @sha256 digest",
    })
    .refine((s) => !/:latest$/.test(s), { message: "must not use the `latest` tag" });

/** An IAM role ARN (the account is checked against `aws.accountId` in rules.ts). */
export const iamRoleArn = z.string().regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/, { message: "must be an IAM role ARN such as arn:aws:iam::123456789012:role/deployer" });

/** An image reference pinned by an @sha256 digest (optionally with a tag before it). */
export const digestImage = z.string().regex(/^[a-z0-9][a-z0-9.\-/_:]*@sha256:[a-f0-9]{64}$/, {
    message: "must be an image reference pinned by digest, such as registry.example.com/acme/runtime@sha256:<64 hex digits>",
});

/**
 * Per agent, a prebuilt image to run instead of building `agents/<agent>` (a customer's runtime,
 * say). Cross-field rule (rules.ts): it must not point into the program's own registries.
 */
const agentImage = (agent: string) =>
    z
        .object({ prebuilt: digestImage.describe(`the ${agent} image to run, pinned by digest`) })
        .strict()
        .optional()
        .describe(`a prebuilt ${agent} image instead of building agents/${agent}`);
export const agentImagesSchema = z
    .object({ runtime: agentImage("runtime"), jobSupervisor: agentImage("job-supervisor"), scaler: agentImage("scaler"), broker: agentImage("broker") })
    .strict();

export const cidr = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, {
    message: "must be an IPv4 CIDR such as 10.16.0.0/16",
});

const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/, {
    message: "must be a Kubernetes quantity such as 500m, 512Mi or 10Gi",
});
const int = (min: number, max: number) =>
    z.number().int().min(min, { message: `must be ${min}..${max}` }).max(max, { message: `must be ${min}..${max}` });

/**
 * `schema` as a sparse override: every key optional at every depth and no defaults, so only what is
 * written is deep-merged over the block it overrides (a region's `consul: { replicas: 5 }` keeps the
 * other `defaults.region.consul` values, including ones a stack file set).
 */
export type Sparse<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: Sparse<T[K]> } : T;
const overrides = new Map<z.ZodTypeAny, string>();
/** The block an override schema overrides (`defaults.region.consul`...), for the generated docs. */
export const overrideTarget = (schema: z.ZodTypeAny): string | undefined => overrides.get(schema);
function sparse(schema: z.ZodTypeAny): z.ZodTypeAny {
    const inner = schema instanceof z.ZodDefault ? (schema.removeDefault() as z.ZodTypeAny) : schema;
    if (!(inner instanceof z.ZodObject)) return inner;
    const shape = Object.fromEntries(Object.entries(inner.shape as z.ZodRawShape).map(([k, v]) => [k, sparse(v).optional().describe(v.description ?? "")]));
    return z.object(shape).strict();
}
function override<S extends z.ZodTypeAny>(schema: S, of: string, what: string): z.ZodOptional<z.ZodType<Sparse<z.output<S>>, z.ZodTypeDef, Sparse<z.input<S>>>> {
    const s = sparse(schema).optional().describe(`${what}: any subset of \`${of}\`, deep-merged over it`);
    overrides.set(s, of);
    return s as never;
}

/** Requests and limits of one container; each workload has its own defaults. */
const resources = (what: string, d: Record<"cpu" | "memory" | "cpuLimit" | "memoryLimit", string>) =>
    z
        .object({
            cpu: quantity.default(d.cpu).describe(`CPU request of ${what} (Kubernetes quantity): what the scheduler reserves on a node`),
            memory: quantity.default(d.memory).describe(`memory request of ${what} (Kubernetes quantity): what the scheduler reserves on a node`),
            cpuLimit: quantity.default(d.cpuLimit).describe(`CPU limit of ${what} (Kubernetes quantity): the container is throttled above it`),
            memoryLimit: quantity.default(d.memoryLimit).describe(`memory limit of ${what} (Kubernetes quantity): the container is OOM-killed above it`),
        })
        .strict()
        .default({})
        .describe(`requests and limits of ${what}`);
export const resourcesSchema = resources("a container", { cpu: "500m", memory: "512Mi", cpuLimit: "1", memoryLimit: "1Gi" });

export const consulSchema = z
    .object({
        replicas: z
            .number()
            .int()
            .min(1)
            .max(7)
            .default(3)
            .describe("Consul servers of the region, 1..7 and odd: Raft needs a majority, so an even count adds no fault tolerance; prod needs at least 3 (survives one lost server)"),
        volumeSize: z
            .string()
            .regex(/^\d+Gi$/, { message: "must be a whole number of Gi, such as 10Gi" })
            .default("20Gi")
            .describe("persistent volume of each Consul server, whole Gi, at least 5Gi: holds the Raft log and snapshots; the StorageClass allows growing it, never shrinking"),
        storageClass: z
            .string()
            .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
                message: "must be a DNS-1123 label (lowercase letters, digits and '-')",
            })
            .default("consul-retain")
            .describe("StorageClass of the Consul volumes (a DNS-1123 label); the continent creates it with reclaimPolicy Retain, so a deleted claim keeps its data"),
        resources: resources("each Consul server", { cpu: "500m", memory: "512Mi", cpuLimit: "1", memoryLimit: "1Gi" }),
    })
    .strict();

export const jobsSchema = z
    .object({
        ackDeadlineSeconds: int(10, 600)
            .default(360)
            .describe("ack deadline of the grid subscription, seconds (10..600, Pub/Sub's bounds); at least jobGrid.softTimeLimitSeconds + 30s, so a running job is not redelivered even when a lease extension is lost"),
        maxDeliveryAttempts: int(5, 100).default(10).describe("deliveries of one job before Pub/Sub forwards it to the dead-letter topic (5..100, Pub/Sub's bounds)"),
        minBackoffSeconds: int(0, 600).default(10).describe("retry policy's shortest wait before a nacked or expired job is redelivered, seconds (0..600); at most maxBackoffSeconds"),
        maxBackoffSeconds: int(0, 600).default(600).describe("retry policy's longest wait between redeliveries, seconds (0..600, Pub/Sub's bounds)"),
        messageRetentionSeconds: int(600, 31 * 24 * 3600)
            .default(7 * 24 * 3600)
            .describe("how long the job topic and subscription keep an undelivered job, seconds (10 minutes..31 days, Pub/Sub's bounds)"),
        deadLetterRetentionSeconds: int(600, 31 * 24 * 3600)
            .default(31 * 24 * 3600)
            .describe("how long dead letters are kept for inspection and replay, seconds (10 minutes..31 days); at least messageRetentionSeconds, so a dead letter outlives its job"),
        exactlyOnceDelivery: z.boolean().default(true).describe("Pub/Sub exactly-once delivery on the grid subscription: a job acked once is not redelivered"),
        startSlaSeconds: z
            .number()
            .int()
            .positive({ message: "must be a positive number of seconds" })
            .default(120)
            .describe("the jobs' start SLA, seconds (> 0): an alert fires when the oldest unacked job is older, and the job grid's scaler adds pods as the backlog ages toward it"),
    })
    .strict();

export const certificatesSchema = z
    .object({
        validityHours: int(24, 24 * 398)
            .default(24 * 90)
            .describe("validity of the region's leaf certificates (Consul servers, load balancer, data-center and operator clients), hours (24..9552, i.e. at most 398 days)"),
        earlyRenewalHours: int(1, 24 * 90)
            .default(24 * 15)
            .describe("hours before expiry from which `pulumi up` issues a replacement (1..2160); below validityHours"),
    })
    .strict();

/** A certificate authority's lifetime; the root and the regions' CAs have their own defaults. */
const caValidity = (what: string, d: { validityHours: number; earlyRenewalHours: number }) =>
    z
        .object({
            validityHours: int(24 * 30, 24 * 365 * 20)
                .default(d.validityHours)
                .describe(`validity of ${what}, hours (720..175200, 30 days to 20 years); longer than the certificates it signs`),
            earlyRenewalHours: int(24, 24 * 365 * 5)
                .default(d.earlyRenewalHours)
                .describe(`hours before expiry from which \`pulumi up\` re-issues ${what} and with it every certificate it signed (24..43800); below validityHours`),
        })
        .strict()
        .default({})
        .describe(`lifetime of ${what}`);

export const pkiSchema = z
    .object({
        rootCa: caValidity("the world's root CA, which signs the regions' intermediate CAs", { validityHours: 24 * 365 * 5, earlyRenewalHours: 24 * 180 }),
        regionCa: caValidity("each region's intermediate CA (signs its server certificates) and client CA (signs its data centers' and operators' client certificates)", {
            validityHours: 24 * 365 * 2,
            earlyRenewalHours: 24 * 60,
        }),
    })
    .strict();

/** A namespace's ResourceQuota: the most its pods may take together from their cluster. */
export const dataCenterQuotaSchema = z
    .object({
        requestsCpu: quantity.default("200").describe("CPU the data center's pods may request together (ResourceQuota `requests.cpu`)"),
        requestsMemory: quantity.default("400Gi").describe("memory the data center's pods may request together (`requests.memory`)"),
        limitsMemory: quantity.default("800Gi").describe("memory limits of the data center's pods together (`limits.memory`)"),
        pods: int(1, 100000).default(2000).describe("pods the data center's namespace may hold (`pods`, 1..100000); above every grid's maxReplicas together"),
    })
    .strict();

export const controlPlaneQuotaSchema = z
    .object({
        requestsCpu: quantity.default("16").describe("CPU the region's control-plane pods (Consul) may request together (ResourceQuota `requests.cpu`)"),
        requestsMemory: quantity.default("32Gi").describe("memory the control-plane pods may request together (`requests.memory`)"),
        limitsMemory: quantity.default("64Gi").describe("memory limits of the control-plane pods together (`limits.memory`)"),
        persistentVolumeClaims: int(1, 1000).default(20).describe("volume claims of the control-plane namespace (`persistentvolumeclaims`); at least one per Consul server"),
        requestsStorage: z
            .string()
            .regex(/^\d+Gi$/, { message: "must be a whole number of Gi, such as 500Gi" })
            .default("500Gi")
            .describe("storage the control-plane claims may request together (`requests.storage`), whole Gi; at least consul.replicas x consul.volumeSize"),
    })
    .strict();

/** A node pool's autoscaling bounds; each pool has its own defaults. */
const nodePool = (what: string, d: { minNodes: number; maxNodes: number }) =>
    z
        .object({
            minNodes: int(0, 100).default(d.minNodes).describe(`fewest nodes of ${what}, 0..100; the pool starts at this size`),
            maxNodes: int(1, 200).default(d.maxNodes).describe(`most nodes of ${what}, 1..200: the autoscaler's ceiling; at least minNodes`),
        })
        .strict();
export const nodePoolSchema = nodePool("the pool", { minNodes: 1, maxNodes: 3 });

const gridCommon = (what: string, d: { replicas: number; minReplicas: number; maxReplicas: number; resources: Parameters<typeof resources>[1] }) => ({
    replicas: int(1, 500).default(d.replicas).describe(`pods of ${what} at creation (1..500); afterwards its scaler owns the count (the Deployment ignores spec.replicas)`),
    minReplicas: int(1, 500).default(d.minReplicas).describe(`fewest pods the scaler keeps in ${what} (1..500); at most replicas`),
    maxReplicas: int(1, 1000).default(d.maxReplicas).describe(`most pods the scaler gives ${what} (1..1000); at least replicas`),
    nodes: nodePool(`${what}'s zone-pinned sandboxed node pool`, { minNodes: 1, maxNodes: 10 })
        .default({})
        .describe(`autoscaling bounds of ${what}'s node pool, in the data center's zone`),
    machineType: z.string().min(1).optional().describe(`machine type of ${what}'s nodes; default: defaults.machineTypes of the region's cloud`),
    scalerIntervalSeconds: int(5, 300)
        .default(15)
        .describe(`seconds between two decisions of ${what}'s scaler (5..300, what the scaler agent accepts): shorter reacts sooner and reads the Kubernetes and Monitoring APIs more often`),
    resources: resources(`${what}'s app container`, d.resources),
});

export const warmPoolSchema = z
    .object({
        ...gridCommon("the warm pool", { replicas: 8, minReplicas: 4, maxReplicas: 80, resources: { cpu: "250m", memory: "256Mi", cpuLimit: "1", memoryLimit: "512Mi" } }),
        brokerReplicas: int(1, 10).default(2).describe("broker pods of the data center (1..10): with two, sites keep being served while one is rescheduled or rolled out"),
        recycleMinutes: int(5, 24 * 60).default(60).describe("minutes after which a pooled pod is recycled (5..1440), so no runtime lives on indefinitely"),
        availabilityThreshold: z
            .number()
            .gt(0)
            .lt(1)
            .default(0.25)
            .describe("share of the pool that must stay idle (0 < x < 1): the scaler keeps idle / (idle + taken) at or above it"),
    })
    .strict();

export const jobGridSchema = z
    .object({
        ...gridCommon("the job grid", { replicas: 2, minReplicas: 1, maxReplicas: 30, resources: { cpu: "500m", memory: "512Mi", cpuLimit: "2", memoryLimit: "1Gi" } }),
        softTimeLimitSeconds: int(10, 3600)
            .default(300)
            .describe("seconds a job may run before the supervisor stops it (10..3600); the pod's termination grace is this plus 30s"),
        backlogPerPod: int(1, 1000).default(5).describe("undelivered jobs one pod is expected to absorb (1..1000): the scaler's divisor"),
        lookAheadSeconds: int(0, 3600).default(120).describe("seconds added to the oldest job's age when the scaler weighs the backlog against startSlaSeconds (0..3600): scale before the SLA is missed"),
    })
    .strict();

const machineTypes = (cloud: string, d: { system: string; warmPool: string; jobGrid: string }) =>
    z
        .object({
            system: z.string().default(d.system).describe(`${cloud} machine type of the clusters' system pools (Consul servers, scalers, brokers, add-ons)`),
            warmPool: z.string().default(d.warmPool).describe(`${cloud} machine type of the warm pools' sandboxed nodes`),
            jobGrid: z.string().default(d.jobGrid).describe(`${cloud} machine type of the job grids' sandboxed nodes`),
        })
        .strict()
        .default({})
        .describe(`machine types on ${cloud}`);

export const dataCenterSchema = z
    .object({
        zone: z.string().describe("the data center's zone (gcp) or availability zone (aws), inside its region's location; one data center per zone"),
        warmPool: override(warmPoolSchema, "defaults.dataCenter.warmPool", "this data center's warm pool"),
        jobGrid: override(jobGridSchema, "defaults.dataCenter.jobGrid", "this data center's job grid"),
        namespaceQuota: override(dataCenterQuotaSchema, "defaults.dataCenter.namespaceQuota", "this data center's namespace quota"),
    })
    .strict();

export const regionSchema = z
    .object({
        location: z.string().describe("the region's cloud region (a GCP region on gcp, an AWS region on aws): where its data-plane cluster runs"),
        cidr: cidr.describe("the region's network, a /12../16 block aligned to its prefix; no overlap with any other tier (on aws, none with the EKS service range)"),
        zones: z.array(z.string()).optional().describe("aws only, at least two: availability zones of the region's EKS control plane and system nodes"),
        pubsubLocation: z.string().optional().describe("GCP region that stores this region's job messages; required on aws, defaults to `location` on gcp"),
        decommission: z.boolean().default(false).describe("set to true to lift prod protection before removing the region (see README)"),
        consul: override(consulSchema, "defaults.region.consul", "this region's Consul servers"),
        jobs: override(jobsSchema, "defaults.region.jobs", "this region's job queue"),
        certificates: override(certificatesSchema, "defaults.region.certificates", "this region's leaf certificates"),
        systemPool: override(nodePoolSchema, "defaults.region.systemPool", "this region's data-plane system pool"),
        controlPlaneQuota: override(controlPlaneQuotaSchema, "defaults.region.controlPlaneQuota", "this region's control-plane namespace quota"),
        warmPool: override(warmPoolSchema, "defaults.dataCenter.warmPool", "the warm pools of all this region's data centers"),
        jobGrid: override(jobGridSchema, "defaults.dataCenter.jobGrid", "the job grids of all this region's data centers"),
        dataCenters: z.record(dataCenterName, dataCenterSchema.describe("one data center: a zone of the region's data-plane cluster with its warm pool and job grid")).describe("the region's data centers by name (2..10 of a-z0-9; unique across the world), at least one"),
    })
    .strict();

export const continentSchema = z
    .object({
        cloud: z.enum(["gcp", "aws"]).describe("cloud of the continent and all its regions: gcp (GKE) or aws (EKS)"),
        location: z.string().describe("cloud region of the continental cluster, which hosts its regions' control planes (Consul)"),
        cidr: cidr.describe("the continental cluster's network, a /12../16 block; no overlap with any other tier"),
        zones: z
            .array(z.string())
            .optional()
            .describe("zones of the continental cluster: aws at least two (EKS subnets), gcp at least one (node locations, load balancer NEGs)"),
        systemPool: z
            .object({
                minNodes: int(0, 100)
                    .optional()
                    .describe("fewest nodes of the continental system pool in total (GKE: divided over `zones`, rounded up); default 1, and never below the regions' largest Consul replica count"),
                maxNodes: int(1, 200)
                    .optional()
                    .describe("most nodes of the continental system pool in total (GKE: divided over `zones`, rounded down); default 5, or the minimum if that is larger"),
            })
            .strict()
            .optional()
            .describe("the continental cluster's system pool, in nodes in total; it never goes below the regions' largest Consul replica count (one server per node)"),
        regions: z.record(regionName, regionSchema.describe("one region: a data-plane cluster, its control plane (Consul) in the continental cluster, its job queue")).describe("the continent's regions by name (2..8 of a-z0-9; unique across the world), at least one"),
    })
    .strict();

export const worldSchema = z
    .object({
        environment: z.enum(["staging", "prod"]).describe("the stack's kind: prod protects stateful resources and needs at least 3 Consul servers per region"),
        gcp: z
            .object({
                project: z
                    .string()
                    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { message: "must be a GCP project id" })
                    .describe("GCP project of every Google resource (clusters, Pub/Sub, registries, DNS); also set `gcp:project`"),
            })
            .strict()
            .describe("the stack's GCP project"),
        aws: z
            .object({
                accountId: z
                    .string()
                    .regex(/^\d{12}$/, { message: "must be a 12-digit AWS account id" })
                    .describe("12-digit AWS account of every AWS resource; the role ARNs below must be roles of it"),
                deployerRoleArn: iamRoleArn.describe("the IAM role `pulumi up` runs as (CI): cluster admin on every EKS cluster; kubeconfigs assume it"),
                breakGlassRoleArn: iamRoleArn.describe("an operators' IAM role that keeps cluster-admin access when the deployer role cannot be used; must differ from deployerRoleArn"),
                kubernetesVersion: z
                    .string()
                    .regex(/^1\.\d{2}$/, { message: "must be a Kubernetes minor version such as 1.34" })
                    .default(DEFAULT_KUBERNETES_VERSION)
                    .describe("EKS Kubernetes minor of every cluster and node group; one of the versions pinned in components/clusters/eks-versions.ts"),
                gvisorRelease: z
                    .string()
                    .regex(/^\d{8}(\.\d+)?$/, { message: "must be a gVisor release such as 20251110.0" })
                    .default(DEFAULT_GVISOR_RELEASE)
                    .describe("gVisor release installed on the sandboxed EKS node groups, such as 20251110.0"),
                natGatewayPerZone: z.boolean().optional().describe("one NAT gateway per availability zone, so a zone outage keeps the others' egress; default: true in prod, false in staging"),
            })
            .strict()
            .describe("the stack's AWS account and the AWS side of every EKS cluster"),
        dns: z
            .object({
                domain: z
                    .string()
                    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, { message: "must be a DNS domain" })
                    .describe("the stack's DNS domain: control-plane and sync hostnames are `<region>.cp.<domain>` and `<dataCenter>.sync.<domain>`"),
            })
            .strict()
            .describe("the stack's DNS zone"),
        images: z
            .object({
                consul: pinnedImage.default("hashicorp/consul:1.20.2").describe("Consul server image, pinned by tag or digest (never `latest`)"),
                agents: agentImagesSchema
                    .optional()
                    .describe("per agent (runtime, jobSupervisor, scaler, broker), a prebuilt image pinned by digest to run instead of building `agents/<agent>`; never one of the program's own registries"),
            })
            .strict()
            .default({})
            .describe("third-party images and prebuilt agent images"),
        alerts: z
            .object({
                emails: z
                    .array(z.string().email())
                    .min(1, { message: "at least one alert target is required" })
                    .describe("email addresses the alert policies notify (at least one)"),
            })
            .strict()
            .describe("where alerts go (dead letters, jobs past their start SLA)"),
        adminCidrs: z
            .array(cidr)
            .min(1, { message: "at least one admin CIDR is required" })
            .describe("CIDRs allowed to reach the clusters' public API endpoints (CI runners, operators); at least one, none broader than /8"),
        global: z
            .object({
                location: z.string().describe("GCP region of the global tier's cluster"),
                cidr: cidr.describe("the global tier's network, a /12../16 block; no overlap with any other tier"),
                systemPool: nodePool("the global cluster's system pool (GKE: per zone of the cluster's three default zones)", { minNodes: 1, maxNodes: 3 })
                    .default({})
                    .describe("the global cluster's system pool (dispatcher, add-ons)"),
            })
            .strict()
            .describe("the global tier: the world network, the global cluster, the root CA, the DNS zone, the dispatcher"),
        pki: pkiSchema.default({}).describe("lifetimes of the certificate authorities (leaf certificates: defaults.region.certificates)"),
        defaults: z
            .object({
                machineTypes: z
                    .object({
                        gcp: machineTypes("gcp", { system: "e2-standard-4", warmPool: "n2-standard-8", jobGrid: "n2-standard-8" }),
                        aws: machineTypes("aws", { system: "m6i.xlarge", warmPool: "m6i.2xlarge", jobGrid: "c6i.2xlarge" }),
                    })
                    .strict()
                    .default({})
                    .describe("machine types per cloud and pool"),
                region: z
                    .object({
                        consul: consulSchema.default({}).describe("every region's Consul servers (a StatefulSet in the continental cluster)"),
                        jobs: jobsSchema.default({}).describe("every region's job queue (Pub/Sub topic, grid subscription, dead-letter topic and alerts)"),
                        certificates: certificatesSchema.default({}).describe("every region's leaf certificates"),
                        controlPlaneQuota: controlPlaneQuotaSchema.default({}).describe("every region's control-plane namespace quota, in the continental cluster"),
                        systemPool: nodePool("the region's data-plane system pool (GKE: per zone of the cluster's three default zones; EKS: in total)", { minNodes: 2, maxNodes: 5 })
                            .default({})
                            .describe("every region's data-plane system pool (scalers, brokers, add-ons)"),
                    })
                    .strict()
                    .default({})
                    .describe("settings of every region; a region overrides any subset"),
                dataCenter: z
                    .object({
                        warmPool: warmPoolSchema.default({}).describe("every data center's warm pool: pre-started sandboxed runtime pods a broker hands to sites"),
                        jobGrid: jobGridSchema.default({}).describe("every data center's job grid: sandboxed pods that run jobs pulled from the region's queue"),
                        namespaceQuota: dataCenterQuotaSchema.default({}).describe("every data center's namespace quota, in the region's data-plane cluster: a runaway grid cannot take the whole cluster"),
                    })
                    .strict()
                    .default({})
                    .describe("settings of every data center; a region or a data center overrides any subset"),
            })
            .strict()
            .default({})
            .describe("what every region and data center gets unless it overrides it"),
        continents: z.record(continentName, continentSchema.describe("one continent: a continental cluster on one cloud, hosting its regions' control planes")).describe("the continents by name (2..6 of a-z0-9; unique across the world), at least one"),
    })
    .strict();

export type RawWorld = z.infer<typeof worldSchema>;
export type RawContinent = z.infer<typeof continentSchema>;
export type RawRegion = z.infer<typeof regionSchema>;
export type RawDataCenter = z.infer<typeof dataCenterSchema>;
export type ConsulSettings = z.infer<typeof consulSchema>;
export type JobsSettings = z.infer<typeof jobsSchema>;
export type CertificateSettings = z.infer<typeof certificatesSchema>;
export type NodePoolSettings = z.infer<typeof nodePoolSchema>;
export type PkiSettings = z.infer<typeof pkiSchema>;
export type ResourceSettings = z.infer<typeof resourcesSchema>;
export type WarmPoolSettings = z.infer<typeof warmPoolSchema> & { machineType: string };
export type JobGridSettings = z.infer<typeof jobGridSchema> & { machineType: string };
