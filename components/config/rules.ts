import { Names, LIMITS } from "../naming";
import { AWS_ZONE_LETTERS, layout, parseCidr, isAligned, overlaps, type Cidr } from "../network/cidr";
import { GKE_DEFAULT_NODE_ZONES, GKE_MAX_PODS_PER_NODE, gkeNodeCeiling } from "../network/cloud-nat";
import type { RawWorld, RawRegion } from "./schema";
import { resolveWorld, type World } from "./model";
import { EKS_SERVICE_CIDR, EKS_VERSIONS } from "../clusters/eks-versions";
import { continentSystemPool } from "../clusters/continent-system-pool";

export interface ConfigIssue {
    path: string;
    message: string;
}

const GCP_REGION = /^[a-z]+-[a-z]+\d{1,2}$/;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const MACHINE = { gcp: /^[a-z0-9]+-[a-z0-9]+(-\d+)?$/, aws: /^[a-z0-9]+\.[a-z0-9]+$/ } as const;
/** Whole seconds the supervisor needs after the soft limit to stop the job and ack (ack design: messaging/job-queue.ts). */
export const ACK_GRACE_SECONDS = 30;
const MIN_CONSUL_VOLUME_GI = 5;

/** gcp zones are `<region>-<letter>`; aws zones `<region><letter>`, letters a..f (they index the subnet layout). */
function zoneInLocation(cloud: "gcp" | "aws", zone: string, location: string): boolean {
    return cloud === "gcp" ? new RegExp(`^${location}-[a-z]$`).test(zone) : new RegExp(`^${location}[${AWS_ZONE_LETTERS}]$`).test(zone);
}

/**
 * Cross-field rules on a shape-valid world. Values that come from defaults are reported at the
 * place they were written: an override at the region or data center path, otherwise under `defaults`.
 */
export function checkRules(raw: RawWorld): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    // identical issues (one region value breaking a rule in each of its data centers) are reported once
    const add = (path: string, message: string) => {
        if (!issues.some((i) => i.path === path && i.message === message)) issues.push({ path, message });
    };
    const world: World = resolveWorld(raw);
    const names = new Names(raw.environment, raw.dns.domain, raw.aws.accountId, raw.gcp.project);
    const prod = raw.environment === "prod";

    if (!GCP_REGION.test(raw.global.location)) add("global.location", `"${raw.global.location}" is not a GCP region (such as europe-west1)`);
    for (const cloud of ["gcp", "aws"] as const) {
        for (const [pool, type] of Object.entries(raw.defaults.machineTypes[cloud])) {
            if (!MACHINE[cloud].test(type)) add(`defaults.machineTypes.${cloud}.${pool}`, `"${type}" is not a ${cloud} machine type`);
        }
    }

    // Unique names across the whole world: continents, regions and data centers share one namespace.
    const seen = new Map<string, string>();
    const claim = (nameValue: string, path: string) => {
        const prev = seen.get(nameValue);
        if (prev) add(path, `name "${nameValue}" is already used at ${prev}; names must be unique across the world`);
        else seen.set(nameValue, path);
    };

    const ranges: { path: string; cidr: Cidr }[] = [];
    const claimCidr = (text: string, path: string) => {
        const c = parseCidr(text);
        if (!c) {
            add(path, `"${text}" is not a valid IPv4 CIDR`);
            return;
        }
        if (c.prefix < 12 || c.prefix > 16) {
            add(path, `"${text}" must be a /12../16 block (the tier carves /17../28 ranges from it)`);
            return;
        }
        if (!isAligned(c)) {
            add(path, `"${text}" is not aligned to its prefix`);
            return;
        }
        for (const other of ranges) if (overlaps(c, other.cidr)) add(path, `"${text}" overlaps ${other.path}`);
        ranges.push({ path, cidr: c });
    };
    claimCidr(raw.global.cidr, "global.cidr");
    raw.adminCidrs.forEach((text, i) => {
        const c = parseCidr(text);
        if (!c) add(`adminCidrs.${i}`, `"${text}" is not a valid IPv4 CIDR`);
        else if (c.prefix < 8) add(`adminCidrs.${i}`, `"${text}" is too broad; the cluster APIs must not be open to the internet`);
    });

    const limitsCheck = (path: string, list: { kind: keyof typeof LIMITS; value: string }[]) => {
        for (const n of list) {
            if (n.value.length > LIMITS[n.kind]) add(path, `derived ${n.kind} name "${n.value}" is ${n.value.length} characters; the limit is ${LIMITS[n.kind]}`);
        }
    };
    limitsCheck("environment", [
        { kind: "gkeCluster", value: names.globalCluster() },
        { kind: "gcpServiceAccountId", value: names.dispatcherServiceAccount() },
        { kind: "gcpServiceAccountId", value: names.nodeServiceAccount(names.globalCluster()) },
    ]);

    // The IAM roles named for cluster access must be roles of the stack's own account.
    for (const key of ["deployerRoleArn", "breakGlassRoleArn"] as const) {
        const account = /^arn:aws:iam::(\d{12}):/.exec(raw.aws[key])?.[1];
        if (account !== raw.aws.accountId) add(`aws.${key}`, `"${raw.aws[key]}" is not a role of account ${raw.aws.accountId} (aws.accountId)`);
    }
    if (raw.aws.deployerRoleArn === raw.aws.breakGlassRoleArn) add("aws.breakGlassRoleArn", "must differ from aws.deployerRoleArn: break-glass access must not depend on the deployer role");
    if (!EKS_VERSIONS[world.aws.kubernetesVersion]) {
        add("aws.kubernetesVersion", `${world.aws.kubernetesVersion} is not a supported EKS version (${Object.keys(EKS_VERSIONS).join(", ")}; add-on and autoscaler pins in components/clusters/eks-versions.ts)`);
    }
    const eksServiceRange = parseCidr(EKS_SERVICE_CIDR)!;
    const notEksServiceRange = (path: string, text: string) => {
        const c = parseCidr(text);
        if (c && overlaps(c, eksServiceRange)) add(path, `"${text}" overlaps the EKS service range ${EKS_SERVICE_CIDR}`);
    };

    checkPrebuiltImages();

    /** A prebuilt agent image comes from elsewhere: the program's own repositories only ever hold its builds. */
    function checkPrebuiltImages() {
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
    }

    const continentNames = Object.keys(raw.continents);
    if (continentNames.length === 0) add("continents", "at least one continent is required");
    for (const [cName, c] of Object.entries(raw.continents)) {
        const cp = `continents.${cName}`;
        claim(cName, cp);
        const locRe = c.cloud === "gcp" ? GCP_REGION : AWS_REGION;
        if (!locRe.test(c.location)) add(`${cp}.location`, `"${c.location}" is not a ${c.cloud} region`);
        claimCidr(c.cidr, `${cp}.cidr`);
        limitsCheck(cp, [{ kind: c.cloud === "gcp" ? "gkeCluster" : "awsEksCluster", value: names.continentCluster(cName) }]);
        if (c.cloud === "gcp") limitsCheck(cp, [{ kind: "gcpServiceAccountId", value: names.nodeServiceAccount(names.continentCluster(cName)) }]);
        if (c.cloud === "gcp") checkGkeContinentZones(cp, c.location, c.zones);
        else checkEksZones(cp, c.cloud, c.location, c.zones);
        if (c.cloud === "aws") notEksServiceRange(`${cp}.cidr`, c.cidr);
        checkContinentSystemPool(cp, cName);
        const regionNames = Object.keys(c.regions);
        if (regionNames.length === 0) add(`${cp}.regions`, "a continent needs at least one region");
        for (const [rName, r] of Object.entries(c.regions)) {
            checkRegion(`${cp}.regions.${rName}`, rName, r, c.cloud);
        }
    }

    /**
     * A gcp continent's node zones: required, because the control-plane load balancers' backends
     * are the zonal network endpoint groups of these zones. One or more, distinct, inside the location.
     */
    function checkGkeContinentZones(at: string, location: string, zones: string[] | undefined) {
        const list = zones ?? [];
        if (list.length < 1) add(`${at}.zones`, "a gcp continent needs its cluster's node zones (the control-plane load balancers' backends are per zone)");
        if (new Set(list).size !== list.length) add(`${at}.zones`, "zones must be distinct");
        list.forEach((z, i) => {
            if (!zoneInLocation("gcp", z, location)) add(`${at}.zones.${i}`, `"${z}" is not a zone of ${location}`);
        });
    }

    /** The continental system pool must fit one node per Consul server of its largest region. */
    function checkContinentSystemPool(at: string, cName: string) {
        const continent = world.continents.find((x) => x.name === cName);
        if (!continent) return;
        const { minNodes, maxNodes } = continent.systemPool;
        if (minNodes !== undefined && maxNodes !== undefined && minNodes > maxNodes) add(`${at}.systemPool.minNodes`, `minNodes ${minNodes} is greater than maxNodes ${maxNodes}`);
        const pool = continentSystemPool({ cloud: continent.cloud, zones: continent.zones, consulReplicas: continent.regions.map((r) => r.consul.replicas), configured: continent.systemPool });
        if (pool.problem) add(`${at}.systemPool.maxNodes`, pool.problem);
    }

    /** An EKS cluster's control-plane zones: aws only, two or more, distinct, inside the location. */
    function checkEksZones(at: string, cloud: "gcp" | "aws", location: string, zones: string[] | undefined) {
        if (cloud === "gcp") {
            if (zones !== undefined) add(`${at}.zones`, "zones apply to aws only; a GKE cluster is regional");
            return;
        }
        const list = zones ?? [];
        if (list.length < 2) add(`${at}.zones`, "aws needs at least two availability zones (EKS requires subnets in two)");
        if (new Set(list).size !== list.length) add(`${at}.zones`, "zones must be distinct");
        list.forEach((z, i) => {
            if (!zoneInLocation("aws", z, location)) add(`${at}.zones.${i}`, `"${z}" is not an availability zone of ${location}`);
        });
    }

    function checkRegion(rp: string, rName: string, r: RawRegion, cloud: "gcp" | "aws") {
        claim(rName, rp);
        const locRe = cloud === "gcp" ? GCP_REGION : AWS_REGION;
        if (!locRe.test(r.location)) add(`${rp}.location`, `"${r.location}" is not a ${cloud} region`);
        claimCidr(r.cidr, `${rp}.cidr`);
        if (cloud === "aws") notEksServiceRange(`${rp}.cidr`, r.cidr);
        checkEksZones(rp, cloud, r.location, r.zones);
        if (cloud === "aws" && r.pubsubLocation === undefined) add(`${rp}.pubsubLocation`, "required on aws: the GCP region that stores this region's job messages");
        if (r.pubsubLocation !== undefined && !GCP_REGION.test(r.pubsubLocation)) add(`${rp}.pubsubLocation`, `"${r.pubsubLocation}" is not a GCP region`);

        const region = world.continents.flatMap((c) => c.regions).find((x) => x.name === rName && x.cloud === cloud && x.location === r.location);
        if (!region) return;
        const src = (key: string, field: string) => ((r as unknown as Record<string, Record<string, unknown> | undefined>)[key]?.[field] !== undefined ? `${rp}.${key}.${field}` : `defaults.region.${key}.${field}`);

        const consul = region.consul;
        if (consul.replicas % 2 === 0) add(src("consul", "replicas"), `${consul.replicas} is even; Consul needs an odd number of servers for quorum`);
        else if (prod && consul.replicas < 3) add(src("consul", "replicas"), `${consul.replicas} is below 3; prod needs at least 3 Consul servers`);
        const gi = Number(consul.volumeSize.replace(/Gi$/, ""));
        if (gi < MIN_CONSUL_VOLUME_GI) add(src("consul", "volumeSize"), `${consul.volumeSize} is too small; Consul servers need at least ${MIN_CONSUL_VOLUME_GI}Gi`);

        const jobs = region.jobs;
        if (jobs.minBackoffSeconds > jobs.maxBackoffSeconds) {
            add(src("jobs", "minBackoffSeconds"), `minBackoffSeconds ${jobs.minBackoffSeconds} is greater than maxBackoffSeconds ${jobs.maxBackoffSeconds}`);
        }
        if (jobs.deadLetterRetentionSeconds < jobs.messageRetentionSeconds) {
            add(src("jobs", "deadLetterRetentionSeconds"), `deadLetterRetentionSeconds ${jobs.deadLetterRetentionSeconds} is shorter than messageRetentionSeconds ${jobs.messageRetentionSeconds}; dead letters must outlive the jobs`);
        }
        if (region.certificates.earlyRenewalHours >= region.certificates.validityHours) {
            add(src("certificates", "earlyRenewalHours"), `earlyRenewalHours ${region.certificates.earlyRenewalHours} must be below validityHours ${region.certificates.validityHours}`);
        }
        if (region.systemPool.minNodes > region.systemPool.maxNodes) add(src("systemPool", "minNodes"), "minNodes is greater than maxNodes");

        // A GKE data plane's node count is bounded by its pod range (one /24 per node at 110 pods);
        // Cloud NAT reserves addresses for exactly that bound (network/cloud-nat.ts). The system pool's
        // counts are per zone of the cluster's three default zones; each data center's pools use one zone.
        const regionRange = parseCidr(r.cidr);
        if (cloud === "gcp" && region.dataCenters.length && regionRange && regionRange.prefix <= 16) {
            const ceiling = gkeNodeCeiling(parseCidr(layout.gkePods(region.cidr))!.prefix);
            // plus one surge node per pool and zone while GKE upgrades it (default surge upgrade: maxSurge 1)
            const most =
                (region.systemPool.maxNodes + 1) * GKE_DEFAULT_NODE_ZONES + region.dataCenters.reduce((n, d) => n + d.warmPool.nodes.maxNodes + d.jobGrid.nodes.maxNodes + 2, 0);
            if (most > ceiling) {
                add(
                    `${rp}.dataCenters`,
                    `the region's node pools can grow to ${most} nodes (system ${region.systemPool.maxNodes} x ${GKE_DEFAULT_NODE_ZONES} zones + the data centers' warmPool and jobGrid nodes.maxNodes, with one upgrade surge node per pool and zone); its pod range holds at most ${ceiling} nodes at ${GKE_MAX_PODS_PER_NODE} pods per node`,
                );
            }
        }

        const dcEntries = Object.entries(r.dataCenters);
        if (dcEntries.length === 0) add(`${rp}.dataCenters`, "a region needs at least one data center");
        const zones = new Map<string, string>();
        limitsCheck(rp, names.regionNames(rName, cloud, dcEntries.map(([n]) => n)));
        for (const [dcName, rawDc] of dcEntries) {
            const dp = `${rp}.dataCenters.${dcName}`;
            claim(dcName, dp);
            if (!zoneInLocation(cloud, rawDc.zone, r.location)) add(`${dp}.zone`, `"${rawDc.zone}" is not a zone of ${r.location}`);
            const prevZone = zones.get(rawDc.zone);
            if (prevZone) add(`${dp}.zone`, `zone ${rawDc.zone} is already used by data center ${prevZone}`);
            zones.set(rawDc.zone, dcName);
            const dc = region.dataCenters.find((x) => x.name === dcName);
            if (!dc) continue;
            const gsrc = (grid: "warmPool" | "jobGrid", field: string) =>
                rawDc[grid]?.[field as never] !== undefined ? `${dp}.${grid}.${field}` : r[grid]?.[field as never] !== undefined ? `${rp}.${grid}.${field}` : `defaults.dataCenter.${grid}.${field}`;
            for (const grid of ["warmPool", "jobGrid"] as const) {
                const g = dc[grid];
                if (g.minReplicas > g.replicas) add(gsrc(grid, "minReplicas"), `minReplicas ${g.minReplicas} is greater than replicas ${g.replicas}`);
                if (g.replicas > g.maxReplicas) add(gsrc(grid, "maxReplicas"), `maxReplicas ${g.maxReplicas} is below replicas ${g.replicas}`);
                if (g.nodes.minNodes > g.nodes.maxNodes) add(gsrc(grid, "nodes"), `nodes.minNodes ${g.nodes.minNodes} is greater than nodes.maxNodes ${g.nodes.maxNodes}`);
                if (!MACHINE[cloud].test(g.machineType)) add(gsrc(grid, "machineType"), `"${g.machineType}" is not a ${cloud} machine type`);
            }
            // The supervisor acks after the job ends (no lease extension): the ack deadline must cover
            // the soft limit plus the grace to stop the job and ack, or Pub/Sub redelivers a running job.
            const soft = dc.jobGrid.softTimeLimitSeconds;
            if (jobs.ackDeadlineSeconds < soft + ACK_GRACE_SECONDS) {
                add(
                    gsrc("jobGrid", "softTimeLimitSeconds"),
                    `softTimeLimitSeconds ${soft} needs ackDeadlineSeconds >= ${soft + ACK_GRACE_SECONDS} (soft limit + ${ACK_GRACE_SECONDS}s grace), but ${src("jobs", "ackDeadlineSeconds")} is ${jobs.ackDeadlineSeconds}`,
                );
            }
        }
    }
    return issues;
}
