import type {
    CertificateSettings,
    ConsulSettings,
    JobGridSettings,
    JobsSettings,
    NodePoolSettings,
    PkiSettings,
    RawWorld,
    Sparse,
    WarmPoolSettings,
} from "./schema";

export type Cloud = "gcp" | "aws";

/** The fully-resolved world: defaults merged into every region and data center, entries sorted by name. */
export interface World {
    environment: "staging" | "prod";
    gcpProject: string;
    awsAccountId: string;
    /** the AWS side of every EKS cluster: who administers it, what it runs */
    aws: AwsSettings;
    domain: string;
    images: RawWorld["images"];
    alertEmails: string[];
    adminCidrs: string[];
    global: { location: string; cidr: string; systemMachineType: string; systemPool: NodePoolSettings };
    /** lifetimes of the root CA and of each region's intermediate and client CAs */
    pki: PkiSettings;
    continents: Continent[];
}

export interface AwsSettings {
    accountId: string;
    deployerRoleArn: string;
    breakGlassRoleArn: string;
    kubernetesVersion: string;
    gvisorRelease: string;
    natGatewayPerZone: boolean;
}

export interface Continent {
    name: string;
    cloud: Cloud;
    location: string;
    cidr: string;
    zones: string[];
    systemMachineType: string;
    /** the system pool as configured (nodes in total); see clusters/continent-system-pool.ts for the effective size */
    systemPool: Partial<NodePoolSettings>;
    regions: Region[];
}

export interface Region {
    name: string;
    continent: string;
    cloud: Cloud;
    location: string;
    cidr: string;
    /** aws: the EKS control plane's availability zones; empty on gcp */
    zones: string[];
    pubsubLocation: string;
    decommission: boolean;
    /** prod and not marked for decommission: stateful resources are protected */
    protect: boolean;
    consul: ConsulSettings;
    jobs: JobsSettings;
    certificates: CertificateSettings;
    systemPool: NodePoolSettings & { machineType: string };
    /** the control-plane namespace's ResourceQuota `spec.hard` */
    controlPlaneQuota: Record<string, string>;
    dataCenters: DataCenter[];
}

export interface DataCenter {
    name: string;
    region: string;
    continent: string;
    cloud: Cloud;
    zone: string;
    warmPool: WarmPoolSettings;
    jobGrid: JobGridSettings;
    /** the data center namespace's ResourceQuota `spec.hard` */
    namespaceQuota: Record<string, string>;
}

/** Deep merge of plain objects; arrays and scalars from later layers replace earlier ones. */
export function deepMerge<T>(...layers: (Sparse<T> | undefined)[]): T {
    const out: Record<string, unknown> = {};
    for (const layer of layers) {
        if (!layer) continue;
        for (const [k, v] of Object.entries(layer)) {
            if (v === undefined) continue;
            const prev = out[k];
            out[k] = isPlainObject(v) && isPlainObject(prev) ? deepMerge(prev, v) : v;
        }
    }
    return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

type DataCenterQuota = RawWorld["defaults"]["dataCenter"]["namespaceQuota"];
type ControlPlaneQuota = RawWorld["defaults"]["region"]["controlPlaneQuota"];

/** ResourceQuota `spec.hard` of a data center's namespace. */
const dataCenterHard = (q: DataCenterQuota): Record<string, string> => ({ "requests.cpu": q.requestsCpu, "requests.memory": q.requestsMemory, "limits.memory": q.limitsMemory, pods: String(q.pods) });

/** ResourceQuota `spec.hard` of a region's control-plane namespace. */
const controlPlaneHard = (q: ControlPlaneQuota): Record<string, string> => ({
    "requests.cpu": q.requestsCpu,
    "requests.memory": q.requestsMemory,
    "limits.memory": q.limitsMemory,
    persistentvolumeclaims: String(q.persistentVolumeClaims),
    "requests.storage": q.requestsStorage,
});

const byName = <T>(rec: Record<string, T>): [string, T][] => Object.entries(rec).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Turns a shape-valid raw world into effective definitions. Pure; no validation beyond the schema. */
export function resolveWorld(raw: RawWorld): World {
    const prod = raw.environment === "prod";
    const d = raw.defaults;
    return {
        environment: raw.environment,
        gcpProject: raw.gcp.project,
        awsAccountId: raw.aws.accountId,
        aws: {
            accountId: raw.aws.accountId,
            deployerRoleArn: raw.aws.deployerRoleArn,
            breakGlassRoleArn: raw.aws.breakGlassRoleArn,
            kubernetesVersion: raw.aws.kubernetesVersion,
            gvisorRelease: raw.aws.gvisorRelease,
            natGatewayPerZone: raw.aws.natGatewayPerZone ?? prod,
        },
        domain: raw.dns.domain,
        images: raw.images,
        alertEmails: [...raw.alerts.emails],
        adminCidrs: [...raw.adminCidrs],
        global: { ...raw.global, systemMachineType: d.machineTypes.gcp.system },
        pki: raw.pki,
        continents: byName(raw.continents).map(([cName, c]) => ({
            name: cName,
            cloud: c.cloud,
            location: c.location,
            cidr: c.cidr,
            zones: c.zones ?? [],
            systemMachineType: d.machineTypes[c.cloud].system,
            systemPool: { ...c.systemPool },
            regions: byName(c.regions).map(([rName, r]): Region => {
                const machines = d.machineTypes[c.cloud];
                const decommission = r.decommission;
                return {
                    name: rName,
                    continent: cName,
                    cloud: c.cloud,
                    location: r.location,
                    cidr: r.cidr,
                    zones: r.zones ?? [],
                    pubsubLocation: r.pubsubLocation ?? r.location,
                    decommission,
                    protect: prod && !decommission,
                    consul: deepMerge<ConsulSettings>(d.region.consul, r.consul),
                    jobs: deepMerge<JobsSettings>(d.region.jobs, r.jobs),
                    certificates: deepMerge<CertificateSettings>(d.region.certificates, r.certificates),
                    systemPool: { ...deepMerge<NodePoolSettings>(d.region.systemPool, r.systemPool), machineType: machines.system },
                    controlPlaneQuota: controlPlaneHard(deepMerge<ControlPlaneQuota>(d.region.controlPlaneQuota, r.controlPlaneQuota)),
                    dataCenters: byName(r.dataCenters).map(([dcName, dc]) => ({
                        name: dcName,
                        region: rName,
                        continent: cName,
                        cloud: c.cloud,
                        zone: dc.zone,
                        warmPool: deepMerge<WarmPoolSettings>({ machineType: machines.warmPool }, d.dataCenter.warmPool, r.warmPool, dc.warmPool),
                        jobGrid: deepMerge<JobGridSettings>({ machineType: machines.jobGrid }, d.dataCenter.jobGrid, r.jobGrid, dc.jobGrid),
                        namespaceQuota: dataCenterHard(deepMerge<DataCenterQuota>(d.dataCenter.namespaceQuota, dc.namespaceQuota)),
                    })),
                };
            }),
        })),
    };
}

export const allRegions = (w: World): Region[] => w.continents.flatMap((c) => c.regions);
export const allDataCenters = (w: World): DataCenter[] => allRegions(w).flatMap((r) => r.dataCenters);
