import { z } from "zod";

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
const agentImage = z.object({ prebuilt: digestImage }).strict();
export const agentImagesSchema = z
    .object({ runtime: agentImage.optional(), jobSupervisor: agentImage.optional(), scaler: agentImage.optional(), broker: agentImage.optional() })
    .strict();

export const cidr = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, {
    message: "must be an IPv4 CIDR such as 10.16.0.0/16",
});

const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/, {
    message: "must be a Kubernetes quantity such as 500m, 512Mi or 10Gi",
});
const int = (min: number, max: number) =>
    z.number().int().min(min, { message: `must be ${min}..${max}` }).max(max, { message: `must be ${min}..${max}` });

export const resourcesSchema = z
    .object({ cpu: quantity, memory: quantity, cpuLimit: quantity, memoryLimit: quantity })
    .strict();

export const consulSchema = z
    .object({
        replicas: z.number().int().min(1).max(7),
        volumeSize: z.string().regex(/^\d+Gi$/, { message: "must be a whole number of Gi, such as 10Gi" }),
        storageClass: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
            message: "must be a DNS-1123 label (lowercase letters, digits and '-')",
        }),
        resources: resourcesSchema,
    })
    .strict();

export const jobsSchema = z
    .object({
        ackDeadlineSeconds: int(10, 600),
        maxDeliveryAttempts: int(5, 100),
        minBackoffSeconds: int(0, 600),
        maxBackoffSeconds: int(0, 600),
        messageRetentionSeconds: int(600, 31 * 24 * 3600),
        deadLetterRetentionSeconds: int(600, 31 * 24 * 3600),
        exactlyOnceDelivery: z.boolean(),
        startSlaSeconds: z.number().int().positive({ message: "must be a positive number of seconds" }),
    })
    .strict();

export const certificatesSchema = z
    .object({ validityHours: int(24, 24 * 398), earlyRenewalHours: int(1, 24 * 90) })
    .strict();

export const nodePoolSchema = z.object({ minNodes: int(0, 100), maxNodes: int(1, 200) }).strict();

const gridCommon = {
    replicas: int(1, 500),
    minReplicas: int(1, 500),
    maxReplicas: int(1, 1000),
    nodes: nodePoolSchema,
    machineType: z.string().min(1).optional(),
    resources: resourcesSchema,
};

export const warmPoolSchema = z
    .object({
        ...gridCommon,
        recycleMinutes: int(5, 24 * 60),
        /** fraction of the pool that must stay idle before the scaler adds pods */
        availabilityThreshold: z.number().gt(0).lt(1),
    })
    .strict();

export const jobGridSchema = z
    .object({
        ...gridCommon,
        softTimeLimitSeconds: int(10, 3600),
        backlogPerPod: int(1, 1000),
        lookAheadSeconds: int(0, 3600),
    })
    .strict();

const machineTypes = z.object({ system: z.string(), warmPool: z.string(), jobGrid: z.string() }).strict();

export const dataCenterSchema = z
    .object({
        zone: z.string(),
        warmPool: warmPoolSchema.partial().optional(),
        jobGrid: jobGridSchema.partial().optional(),
    })
    .strict();

export const regionSchema = z
    .object({
        location: z.string(),
        cidr,
        /** aws only, at least two: availability zones of the region's EKS control plane and system nodes */
        zones: z.array(z.string()).optional(),
        /** GCP location for this region's Pub/Sub storage; required on aws, defaults to `location` on gcp */
        pubsubLocation: z.string().optional(),
        /** set to true to lift prod protection before removing the region (see README) */
        decommission: z.boolean().optional(),
        consul: consulSchema.partial().optional(),
        jobs: jobsSchema.partial().optional(),
        certificates: certificatesSchema.partial().optional(),
        systemPool: nodePoolSchema.partial().optional(),
        warmPool: warmPoolSchema.partial().optional(),
        jobGrid: jobGridSchema.partial().optional(),
        dataCenters: z.record(dataCenterName, dataCenterSchema),
    })
    .strict();

export const continentSchema = z
    .object({
        cloud: z.enum(["gcp", "aws"]),
        location: z.string(),
        cidr,
        /** zones of the continental cluster: aws at least two (EKS subnets), gcp at least one (node locations, load balancer NEGs) */
        zones: z.array(z.string()).optional(),
        /** the continental cluster's system pool, in nodes in total (GKE: spread over `zones`); it never goes below the regions' largest Consul replica count */
        systemPool: nodePoolSchema.partial().optional(),
        regions: z.record(regionName, regionSchema),
    })
    .strict();

export const worldSchema = z
    .object({
        environment: z.enum(["staging", "prod"]),
        gcp: z
            .object({ project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { message: "must be a GCP project id" }) })
            .strict(),
        aws: z
            .object({
                accountId: z.string().regex(/^\d{12}$/, { message: "must be a 12-digit AWS account id" }),
                /** the IAM role `pulumi up` runs as (CI): cluster admin on every EKS cluster; kubeconfigs assume it */
                deployerRoleArn: iamRoleArn,
                /** an operators' IAM role that keeps cluster-admin access when the deployer role cannot be used */
                breakGlassRoleArn: iamRoleArn,
                /** EKS Kubernetes minor version of every cluster and node group (default in components/clusters/eks-versions.ts) */
                kubernetesVersion: z.string().regex(/^1\.\d{2}$/, { message: "must be a Kubernetes minor version such as 1.34" }).optional(),
                /** gVisor release installed on the sandboxed node groups, such as 20251110.0 */
                gvisorRelease: z.string().regex(/^\d{8}(\.\d+)?$/, { message: "must be a gVisor release such as 20251110.0" }).optional(),
                /** one NAT gateway per availability zone (default: prod true, staging false) */
                natGatewayPerZone: z.boolean().optional(),
            })
            .strict(),
        dns: z
            .object({ domain: z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, { message: "must be a DNS domain" }) })
            .strict(),
        images: z
            .object({
                consul: pinnedImage,
                /** the platform's agents are built from agents/ unless pinned here (see agentImagesSchema) */
                agents: agentImagesSchema.optional(),
            })
            .strict(),
        alerts: z
            .object({
                emails: z.array(z.string().email()).min(1, { message: "at least one alert target is required" }),
            })
            .strict(),
        /** CIDRs allowed to reach the clusters' public API endpoints (CI runners, operators); never 0.0.0.0/0 */
        adminCidrs: z.array(cidr).min(1, { message: "at least one admin CIDR is required" }),
        global: z.object({ location: z.string(), cidr }).strict(),
        defaults: z
            .object({
                machineTypes: z.object({ gcp: machineTypes, aws: machineTypes }).strict(),
                region: z
                    .object({
                        consul: consulSchema,
                        jobs: jobsSchema,
                        certificates: certificatesSchema,
                        systemPool: nodePoolSchema,
                    })
                    .strict(),
                dataCenter: z.object({ warmPool: warmPoolSchema, jobGrid: jobGridSchema }).strict(),
            })
            .strict(),
        continents: z.record(continentName, continentSchema),
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
export type ResourceSettings = z.infer<typeof resourcesSchema>;
export type WarmPoolSettings = z.infer<typeof warmPoolSchema> & { machineType: string };
export type JobGridSettings = z.infer<typeof jobGridSchema> & { machineType: string };
