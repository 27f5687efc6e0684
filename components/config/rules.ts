import { Names, LIMITS, type PhysicalName } from "../naming";
import { AWS_ZONE_LETTERS, layout, parseCidr, isAligned, overlaps, type Cidr } from "../network/cidr";
import { GKE_DEFAULT_NODE_ZONES, GKE_MAX_PODS_PER_NODE, gkeNodeCeiling } from "../network/cloud-nat";
import type { RawContinent, RawDataCenter, RawRegion, RawWorld } from "./schema";
import { resolveWorld, type Cloud, type DataCenter, type Region, type World } from "./model";
import { EKS_SERVICE_CIDR, EKS_VERSIONS } from "../clusters/eks-versions";
import { continentSystemPool } from "../clusters/continent-system-pool";
import { CONSUL_MIN_SERVERS, consulQuorumProblem } from "../../policies/rules/consul-quorum";

export interface ConfigIssue {
    path: string;
    message: string;
}

const GCP_REGION = /^[a-z]+-[a-z]+\d{1,2}$/;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const REGION_OF = { gcp: GCP_REGION, aws: AWS_REGION } as const;
const MACHINE = { gcp: /^[a-z0-9]+-[a-z0-9]+(-\d+)?$/, aws: /^[a-z0-9]+\.[a-z0-9]+$/ } as const;
/** Whole seconds the supervisor needs after the soft limit to stop the job and ack (ack design: messaging/job-queue.ts). */
export const ACK_GRACE_SECONDS = 30;
const MIN_CONSUL_VOLUME_GI = 5;

/** gcp zones are `<region>-<letter>`; aws zones `<region><letter>`, letters a..f (they index the subnet layout). */
function zoneInLocation(cloud: Cloud, zone: string, location: string): boolean {
    return cloud === "gcp" ? new RegExp(`^${location}-[a-z]$`).test(zone) : new RegExp(`^${location}[${AWS_ZONE_LETTERS}]$`).test(zone);
}

/**
 * What a rule sees: the raw world (where each value was written, for the issue's path), the
 * resolved world (the effective values after defaults), the physical names, and where to report.
 */
export interface RuleContext {
    raw: RawWorld;
    world: World;
    names: Names;
    add(path: string, message: string): void;
}

/** One cross-field rule: reports every problem it finds through `ctx.add`. */
export type Rule = (ctx: RuleContext) => void;

interface ContinentAt {
    path: string;
    name: string;
    raw: RawContinent;
}
interface RegionAt {
    path: string;
    name: string;
    raw: RawRegion;
    cloud: Cloud;
    /** the region as resolved (defaults merged) */
    region: Region;
}
interface DataCenterAt {
    path: string;
    name: string;
    raw: RawDataCenter;
    dc: DataCenter;
    region: RegionAt;
}

const continentsOf = ({ raw }: RuleContext): ContinentAt[] => Object.entries(raw.continents).map(([name, c]) => ({ path: `continents.${name}`, name, raw: c }));

function regionsOf(ctx: RuleContext): RegionAt[] {
    return continentsOf(ctx).flatMap((c) =>
        Object.entries(c.raw.regions).map(([name, r]) => ({
            path: `${c.path}.regions.${name}`,
            name,
            raw: r,
            cloud: c.raw.cloud,
            region: ctx.world.continents.find((x) => x.name === c.name)!.regions.find((x) => x.name === name)!,
        })),
    );
}

const dataCentersOf = (ctx: RuleContext): DataCenterAt[] =>
    regionsOf(ctx).flatMap((r) =>
        Object.entries(r.raw.dataCenters).map(([name, d]) => ({ path: `${r.path}.dataCenters.${name}`, name, raw: d, dc: r.region.dataCenters.find((x) => x.name === name)!, region: r })),
    );

type RegionBlock = "consul" | "jobs" | "certificates" | "systemPool";
/** Where a region's effective value was written: its own override, otherwise `defaults.region`. */
const regionSource = (at: RegionAt, block: RegionBlock, field: string): string =>
    (at.raw[block] as Record<string, unknown> | undefined)?.[field] !== undefined ? `${at.path}.${block}.${field}` : `defaults.region.${block}.${field}`;

/** Where a data center's effective grid value was written: the data center, its region, otherwise `defaults.dataCenter`. */
const gridSource = (at: DataCenterAt, grid: "warmPool" | "jobGrid", field: string): string =>
    (at.raw[grid] as Record<string, unknown> | undefined)?.[field] !== undefined
        ? `${at.path}.${grid}.${field}`
        : (at.region.raw[grid] as Record<string, unknown> | undefined)?.[field] !== undefined
          ? `${at.region.path}.${grid}.${field}`
          : `defaults.dataCenter.${grid}.${field}`;

/** The global tier's cluster runs on GCP: its location is a GCP region. */
export const globalLocation: Rule = ({ raw, add }) => {
    if (!GCP_REGION.test(raw.global.location)) add("global.location", `"${raw.global.location}" is not a GCP region (such as europe-west1)`);
};

/** Each default machine type is a machine type of its cloud. */
export const defaultMachineTypes: Rule = ({ raw, add }) => {
    for (const cloud of ["gcp", "aws"] as const) {
        for (const [pool, type] of Object.entries(raw.defaults.machineTypes[cloud])) {
            if (!MACHINE[cloud].test(type)) add(`defaults.machineTypes.${cloud}.${pool}`, `"${type}" is not a ${cloud} machine type`);
        }
    }
};

/** Continents, regions and data centers share one namespace: each name is used once across the world. */
export const uniqueNames: Rule = ({ raw, add }) => {
    const seen = new Map<string, string>();
    const claim = (name: string, path: string) => {
        const prev = seen.get(name);
        if (prev) add(path, `name "${name}" is already used at ${prev}; names must be unique across the world`);
        else seen.set(name, path);
    };
    for (const [cName, c] of Object.entries(raw.continents)) {
        claim(cName, `continents.${cName}`);
        for (const [rName, r] of Object.entries(c.regions)) {
            claim(rName, `continents.${cName}.regions.${rName}`);
            for (const dcName of Object.keys(r.dataCenters)) claim(dcName, `continents.${cName}.regions.${rName}.dataCenters.${dcName}`);
        }
    }
};

/** Each tier's network (global, continents, regions) is a valid, aligned /12../16 block that overlaps no other. */
export const networkRanges: Rule = (ctx) => {
    const { raw, add } = ctx;
    const ranges: { path: string; cidr: Cidr }[] = [];
    const claim = (text: string, path: string) => {
        const c = parseCidr(text);
        if (!c) return add(path, `"${text}" is not a valid IPv4 CIDR`);
        if (c.prefix < 12 || c.prefix > 16) return add(path, `"${text}" must be a /12../16 block (the tier carves /17../28 ranges from it)`);
        if (!isAligned(c)) return add(path, `"${text}" is not aligned to its prefix`);
        for (const other of ranges) if (overlaps(c, other.cidr)) add(path, `"${text}" overlaps ${other.path}`);
        ranges.push({ path, cidr: c });
    };
    claim(raw.global.cidr, "global.cidr");
    for (const c of continentsOf(ctx)) {
        claim(c.raw.cidr, `${c.path}.cidr`);
        for (const [rName, r] of Object.entries(c.raw.regions)) claim(r.cidr, `${c.path}.regions.${rName}.cidr`);
    }
};

/** An aws continent's or region's network must not overlap the service range every EKS cluster uses. */
export const clearOfEksServiceRange: Rule = (ctx) => {
    const service = parseCidr(EKS_SERVICE_CIDR)!;
    const check = (path: string, text: string) => {
        const c = parseCidr(text);
        if (c && overlaps(c, service)) ctx.add(path, `"${text}" overlaps the EKS service range ${EKS_SERVICE_CIDR}`);
    };
    for (const c of continentsOf(ctx)) if (c.raw.cloud === "aws") check(`${c.path}.cidr`, c.raw.cidr);
    for (const r of regionsOf(ctx)) if (r.cloud === "aws") check(`${r.path}.cidr`, r.raw.cidr);
};

/** Admin CIDRs are valid and no broader than /8: the cluster APIs must not be open to the internet. */
export const adminCidrs: Rule = ({ raw, add }) => {
    raw.adminCidrs.forEach((text, i) => {
        const c = parseCidr(text);
        if (!c) add(`adminCidrs.${i}`, `"${text}" is not a valid IPv4 CIDR`);
        else if (c.prefix < 8) add(`adminCidrs.${i}`, `"${text}" is too broad; the cluster APIs must not be open to the internet`);
    });
};

/** Every physical name derived from the world's names fits its cloud's length limit. */
export const nameLengths: Rule = (ctx) => {
    const { names, add } = ctx;
    const check = (path: string, list: PhysicalName[]) => {
        for (const n of list) {
            if (n.value.length > LIMITS[n.kind]) add(path, `derived ${n.kind} name "${n.value}" is ${n.value.length} characters; the limit is ${LIMITS[n.kind]}`);
        }
    };
    check("environment", [
        { kind: "gkeCluster", value: names.globalCluster() },
        { kind: "gcpServiceAccountId", value: names.dispatcherServiceAccount() },
        { kind: "gcpServiceAccountId", value: names.nodeServiceAccount(names.globalCluster()) },
    ]);
    for (const c of continentsOf(ctx)) {
        const cluster = names.continentCluster(c.name);
        check(c.path, [{ kind: c.raw.cloud === "gcp" ? "gkeCluster" : "awsEksCluster", value: cluster }]);
        if (c.raw.cloud === "gcp") check(c.path, [{ kind: "gcpServiceAccountId", value: names.nodeServiceAccount(cluster) }]);
    }
    for (const r of regionsOf(ctx)) check(r.path, names.regionNames(r.name, r.cloud, Object.keys(r.raw.dataCenters)));
};

/** The IAM roles named for cluster access are roles of the stack's own account, and two different roles. */
export const awsRoles: Rule = ({ raw, add }) => {
    for (const key of ["deployerRoleArn", "breakGlassRoleArn"] as const) {
        const account = /^arn:aws:iam::(\d{12}):/.exec(raw.aws[key])?.[1];
        if (account !== raw.aws.accountId) add(`aws.${key}`, `"${raw.aws[key]}" is not a role of account ${raw.aws.accountId} (aws.accountId)`);
    }
    if (raw.aws.deployerRoleArn === raw.aws.breakGlassRoleArn) add("aws.breakGlassRoleArn", "must differ from aws.deployerRoleArn: break-glass access must not depend on the deployer role");
};

/** The EKS version is one the program carries add-on and autoscaler pins for. */
export const eksVersion: Rule = ({ world, add }) => {
    if (!EKS_VERSIONS[world.aws.kubernetesVersion]) {
        add("aws.kubernetesVersion", `${world.aws.kubernetesVersion} is not a supported EKS version (${Object.keys(EKS_VERSIONS).join(", ")}; add-on and autoscaler pins in components/clusters/eks-versions.ts)`);
    }
};

/** A prebuilt agent image comes from elsewhere: the program's own repositories only ever hold its builds. */
export const prebuiltImages: Rule = ({ raw, names, add }) => {
    const own = [names.registryRepository(), names.buildCacheRepository()];
    for (const [agent, image] of Object.entries(raw.images.agents ?? {})) {
        const ref = image?.prebuilt;
        if (!ref) continue;
        const [host, ...repo] = ref.split("@")[0].split("/");
        const inArtifactRegistry = /^[a-z0-9-]+-docker\.pkg\.dev$/.test(host) && repo[0] === raw.gcp.project && own.includes(repo[1]);
        const inEcr = new RegExp(`^${raw.aws.accountId}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com$`).test(host) && `${repo.join("/")}/`.startsWith(`${names.prefix}/`);
        if (inArtifactRegistry || inEcr) {
            add(
                `images.agents.${agent}.prebuilt`,
                `"${ref}" points into the program's own registry (${host}/${repo.slice(0, inArtifactRegistry ? 2 : 1).join("/")}), which holds only the program's builds; remove the entry to build the agent, or pin an image from another registry`,
            );
        }
    }
};

/** At least one continent, each with at least one region, each with at least one data center. */
export const notEmpty: Rule = (ctx) => {
    if (Object.keys(ctx.raw.continents).length === 0) ctx.add("continents", "at least one continent is required");
    for (const c of continentsOf(ctx)) if (Object.keys(c.raw.regions).length === 0) ctx.add(`${c.path}.regions`, "a continent needs at least one region");
    for (const r of regionsOf(ctx)) if (Object.keys(r.raw.dataCenters).length === 0) ctx.add(`${r.path}.dataCenters`, "a region needs at least one data center");
};

/** Continent and region locations are regions of their cloud; a region's Pub/Sub location is a GCP region, required on aws. */
export const locations: Rule = (ctx) => {
    for (const c of continentsOf(ctx)) {
        if (!REGION_OF[c.raw.cloud].test(c.raw.location)) ctx.add(`${c.path}.location`, `"${c.raw.location}" is not a ${c.raw.cloud} region`);
    }
    for (const { path, raw: r, cloud } of regionsOf(ctx)) {
        if (!REGION_OF[cloud].test(r.location)) ctx.add(`${path}.location`, `"${r.location}" is not a ${cloud} region`);
        if (cloud === "aws" && r.pubsubLocation === undefined) ctx.add(`${path}.pubsubLocation`, "required on aws: the GCP region that stores this region's job messages");
        if (r.pubsubLocation !== undefined && !GCP_REGION.test(r.pubsubLocation)) ctx.add(`${path}.pubsubLocation`, `"${r.pubsubLocation}" is not a GCP region`);
    }
};

/** Zones are distinct and inside the location. */
function distinctZonesIn(add: RuleContext["add"], at: string, cloud: Cloud, location: string, list: string[]) {
    if (new Set(list).size !== list.length) add(`${at}.zones`, "zones must be distinct");
    list.forEach((z, i) => {
        if (!zoneInLocation(cloud, z, location)) add(`${at}.zones.${i}`, cloud === "gcp" ? `"${z}" is not a zone of ${location}` : `"${z}" is not an availability zone of ${location}`);
    });
}

/**
 * Cluster zones. A gcp continent names one or more: the control-plane load balancers' backends are
 * the zonal network endpoint groups of these zones. An EKS cluster (aws continent or region) needs
 * two or more (EKS requires subnets in two). A gcp region names none: its GKE cluster is regional.
 */
export const clusterZones: Rule = (ctx) => {
    for (const c of continentsOf(ctx)) {
        const list = c.raw.zones ?? [];
        if (c.raw.cloud === "gcp" && list.length < 1) ctx.add(`${c.path}.zones`, "a gcp continent needs its cluster's node zones (the control-plane load balancers' backends are per zone)");
        if (c.raw.cloud === "aws" && list.length < 2) ctx.add(`${c.path}.zones`, "aws needs at least two availability zones (EKS requires subnets in two)");
        distinctZonesIn(ctx.add, c.path, c.raw.cloud, c.raw.location, list);
    }
    for (const r of regionsOf(ctx)) {
        if (r.cloud === "gcp") {
            if (r.raw.zones !== undefined) ctx.add(`${r.path}.zones`, "zones apply to aws only; a GKE cluster is regional");
            continue;
        }
        const list = r.raw.zones ?? [];
        if (list.length < 2) ctx.add(`${r.path}.zones`, "aws needs at least two availability zones (EKS requires subnets in two)");
        distinctZonesIn(ctx.add, r.path, "aws", r.raw.location, list);
    }
};

/** The continental system pool fits one node per Consul server of its largest region, and its bounds are ordered. */
export const continentSystemPoolFits: Rule = (ctx) => {
    for (const { path: at, name } of continentsOf(ctx)) {
        const continent = ctx.world.continents.find((x) => x.name === name)!;
        const { minNodes, maxNodes } = continent.systemPool;
        if (minNodes !== undefined && maxNodes !== undefined && minNodes > maxNodes) ctx.add(`${at}.systemPool.minNodes`, `minNodes ${minNodes} is greater than maxNodes ${maxNodes}`);
        const pool = continentSystemPool({ cloud: continent.cloud, zones: continent.zones, consulReplicas: continent.regions.map((r) => r.consul.replicas), configured: continent.systemPool });
        if (pool.problem) ctx.add(`${at}.systemPool.maxNodes`, pool.problem);
    }
};

/** Consul servers form a quorum: an odd count (Raft needs a majority), at least the environment's minimum (policies/rules/consul-quorum.ts). */
export const consulQuorum: Rule = (ctx) => {
    const env = ctx.raw.environment;
    const min = CONSUL_MIN_SERVERS[env];
    for (const at of regionsOf(ctx)) {
        const { replicas } = at.region.consul;
        const problem = consulQuorumProblem(replicas, min);
        if (problem === "even") ctx.add(regionSource(at, "consul", "replicas"), `${replicas} is even; Consul needs an odd number of servers for quorum`);
        if (problem === "too few") ctx.add(regionSource(at, "consul", "replicas"), `${replicas} is below ${min}; ${env} needs at least ${min} Consul servers`);
    }
};

/** Consul's volumes hold the Raft log and snapshots: at least 5Gi. */
export const consulVolume: Rule = (ctx) => {
    for (const at of regionsOf(ctx)) {
        const { volumeSize } = at.region.consul;
        if (Number(volumeSize.replace(/Gi$/, "")) < MIN_CONSUL_VOLUME_GI) ctx.add(regionSource(at, "consul", "volumeSize"), `${volumeSize} is too small; Consul servers need at least ${MIN_CONSUL_VOLUME_GI}Gi`);
    }
};

/** The retry policy's backoff bounds are ordered; dead letters are kept at least as long as the jobs. */
export const jobRetention: Rule = (ctx) => {
    for (const at of regionsOf(ctx)) {
        const jobs = at.region.jobs;
        if (jobs.minBackoffSeconds > jobs.maxBackoffSeconds) {
            ctx.add(regionSource(at, "jobs", "minBackoffSeconds"), `minBackoffSeconds ${jobs.minBackoffSeconds} is greater than maxBackoffSeconds ${jobs.maxBackoffSeconds}`);
        }
        if (jobs.deadLetterRetentionSeconds < jobs.messageRetentionSeconds) {
            ctx.add(
                regionSource(at, "jobs", "deadLetterRetentionSeconds"),
                `deadLetterRetentionSeconds ${jobs.deadLetterRetentionSeconds} is shorter than messageRetentionSeconds ${jobs.messageRetentionSeconds}; dead letters must outlive the jobs`,
            );
        }
    }
};

/** A certificate's early renewal starts before it expires: the CAs' and every region's leaf certificates. */
export const certificateRenewal: Rule = (ctx) => {
    for (const ca of ["rootCa", "regionCa"] as const) {
        const { earlyRenewalHours, validityHours } = ctx.raw.pki[ca];
        if (earlyRenewalHours >= validityHours) ctx.add(`pki.${ca}.earlyRenewalHours`, `earlyRenewalHours ${earlyRenewalHours} must be below validityHours ${validityHours}`);
    }
    for (const at of regionsOf(ctx)) {
        const { earlyRenewalHours, validityHours } = at.region.certificates;
        if (earlyRenewalHours >= validityHours) ctx.add(regionSource(at, "certificates", "earlyRenewalHours"), `earlyRenewalHours ${earlyRenewalHours} must be below validityHours ${validityHours}`);
    }
};

/** The global cluster's and each region's system pool bounds are ordered. */
export const systemPoolBounds: Rule = (ctx) => {
    const global = ctx.raw.global.systemPool;
    if (global.minNodes > global.maxNodes) ctx.add("global.systemPool.minNodes", `minNodes ${global.minNodes} is greater than maxNodes ${global.maxNodes}`);
    for (const at of regionsOf(ctx)) {
        if (at.region.systemPool.minNodes > at.region.systemPool.maxNodes) ctx.add(regionSource(at, "systemPool", "minNodes"), "minNodes is greater than maxNodes");
    }
};

/**
 * The control-plane namespace's quota admits every Consul server's volume claim: one claim per
 * server and their sizes together, or the StatefulSet's claims are refused and servers stay Pending.
 */
export const controlPlaneQuotaFitsConsul: Rule = (ctx) => {
    for (const at of regionsOf(ctx)) {
        const { replicas, volumeSize } = at.region.consul;
        const quota = at.region.controlPlaneQuota;
        const claims = Number(quota.persistentvolumeclaims);
        const source = (field: string) => ((at.raw.controlPlaneQuota as Record<string, unknown> | undefined)?.[field] !== undefined ? `${at.path}.controlPlaneQuota.${field}` : `defaults.region.controlPlaneQuota.${field}`);
        if (replicas > claims) ctx.add(source("persistentVolumeClaims"), `${claims} claims cannot hold the region's ${replicas} Consul server volumes`);
        const need = replicas * Number(volumeSize.replace(/Gi$/, ""));
        const storage = Number(quota["requests.storage"].replace(/Gi$/, ""));
        if (need > storage) ctx.add(source("requestsStorage"), `${quota["requests.storage"]} cannot hold the region's ${replicas} Consul volumes of ${volumeSize} (${need}Gi)`);
    }
};

/**
 * A GKE data plane's node count is bounded by its pod range (one /24 per node at 110 pods); Cloud
 * NAT reserves addresses for exactly that bound (network/cloud-nat.ts). The system pool's counts are
 * per zone of the cluster's three default zones; each data center's pools use one zone; every pool
 * and zone adds one surge node while GKE upgrades it (default surge upgrade: maxSurge 1).
 */
export const podRangeHoldsNodes: Rule = (ctx) => {
    for (const { path, raw: r, cloud, region } of regionsOf(ctx)) {
        const range = parseCidr(r.cidr);
        if (cloud !== "gcp" || !region.dataCenters.length || !range || range.prefix > 16) continue;
        const ceiling = gkeNodeCeiling(parseCidr(layout.gkePods(region.cidr))!.prefix);
        const most = (region.systemPool.maxNodes + 1) * GKE_DEFAULT_NODE_ZONES + region.dataCenters.reduce((n, d) => n + d.warmPool.nodes.maxNodes + d.jobGrid.nodes.maxNodes + 2, 0);
        if (most > ceiling) {
            ctx.add(
                `${path}.dataCenters`,
                `the region's node pools can grow to ${most} nodes (system ${region.systemPool.maxNodes} x ${GKE_DEFAULT_NODE_ZONES} zones + the data centers' warmPool and jobGrid nodes.maxNodes, with one upgrade surge node per pool and zone); its pod range holds at most ${ceiling} nodes at ${GKE_MAX_PODS_PER_NODE} pods per node`,
            );
        }
    }
};

/** Each data center is a zone of its region's location, and no two data centers of a region share a zone. */
export const dataCenterZones: Rule = (ctx) => {
    for (const r of regionsOf(ctx)) {
        const used = new Map<string, string>();
        for (const [dcName, dc] of Object.entries(r.raw.dataCenters)) {
            const at = `${r.path}.dataCenters.${dcName}.zone`;
            if (!zoneInLocation(r.cloud, dc.zone, r.raw.location)) ctx.add(at, `"${dc.zone}" is not a zone of ${r.raw.location}`);
            const prev = used.get(dc.zone);
            if (prev) ctx.add(at, `zone ${dc.zone} is already used by data center ${prev}`);
            used.set(dc.zone, dcName);
        }
    }
};

/** Each grid's replica and node bounds are ordered, and its machine type is one of its cloud. */
export const gridBounds: Rule = (ctx) => {
    for (const at of dataCentersOf(ctx)) {
        for (const grid of ["warmPool", "jobGrid"] as const) {
            const g = at.dc[grid];
            if (g.minReplicas > g.replicas) ctx.add(gridSource(at, grid, "minReplicas"), `minReplicas ${g.minReplicas} is greater than replicas ${g.replicas}`);
            if (g.replicas > g.maxReplicas) ctx.add(gridSource(at, grid, "maxReplicas"), `maxReplicas ${g.maxReplicas} is below replicas ${g.replicas}`);
            if (g.nodes.minNodes > g.nodes.maxNodes) ctx.add(gridSource(at, grid, "nodes"), `nodes.minNodes ${g.nodes.minNodes} is greater than nodes.maxNodes ${g.nodes.maxNodes}`);
            if (!MACHINE[at.dc.cloud].test(g.machineType)) ctx.add(gridSource(at, grid, "machineType"), `"${g.machineType}" is not a ${at.dc.cloud} machine type`);
        }
    }
};

/**
 * The ack deadline covers the soft limit plus the grace the supervisor needs to stop the job and
 * ack: a running job is not redelivered even when the supervisor's lease extensions do not arrive.
 */
export const ackDeadlineCoversSoftLimit: Rule = (ctx) => {
    for (const at of dataCentersOf(ctx)) {
        const soft = at.dc.jobGrid.softTimeLimitSeconds;
        const { ackDeadlineSeconds } = at.region.region.jobs;
        if (ackDeadlineSeconds < soft + ACK_GRACE_SECONDS) {
            ctx.add(
                gridSource(at, "jobGrid", "softTimeLimitSeconds"),
                `softTimeLimitSeconds ${soft} needs ackDeadlineSeconds >= ${soft + ACK_GRACE_SECONDS} (soft limit + ${ACK_GRACE_SECONDS}s grace), but ${regionSource(at.region, "jobs", "ackDeadlineSeconds")} is ${ackDeadlineSeconds}`,
            );
        }
    }
};

/** Every cross-field rule, in the order their issues are listed. */
export const RULES: readonly Rule[] = [
    globalLocation,
    defaultMachineTypes,
    uniqueNames,
    networkRanges,
    clearOfEksServiceRange,
    adminCidrs,
    nameLengths,
    awsRoles,
    eksVersion,
    prebuiltImages,
    notEmpty,
    locations,
    clusterZones,
    continentSystemPoolFits,
    consulQuorum,
    consulVolume,
    jobRetention,
    certificateRenewal,
    systemPoolBounds,
    controlPlaneQuotaFitsConsul,
    podRangeHoldsNodes,
    dataCenterZones,
    gridBounds,
    ackDeadlineCoversSoftLimit,
];

/** A context over a shape-valid world and the issues its rules report into (each distinct issue once). */
export function ruleContext(raw: RawWorld): { ctx: RuleContext; issues: ConfigIssue[] } {
    const issues: ConfigIssue[] = [];
    const ctx: RuleContext = {
        raw,
        world: resolveWorld(raw),
        names: new Names(raw.environment, raw.dns.domain, raw.aws.accountId, raw.gcp.project),
        add: (path, message) => {
            if (!issues.some((i) => i.path === path && i.message === message)) issues.push({ path, message });
        },
    };
    return { ctx, issues };
}

/**
 * Runs `rules` on a shape-valid world. Values that come from defaults are reported at the place
 * they were written: an override at the region or data center path, otherwise under `defaults`.
 * Identical issues (one region value breaking a rule in each of its data centers) are reported once.
 */
export function checkRules(raw: RawWorld, rules: readonly Rule[] = RULES): ConfigIssue[] {
    const { ctx, issues } = ruleContext(raw);
    for (const rule of rules) rule(ctx);
    return issues;
}
