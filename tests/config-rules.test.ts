/**
 * Each cross-field rule of components/config/rules.ts on a small fixture world: a fragment of
 * config (dotted path -> value) in, the exact issues (path and message) out. The fixture passes
 * every rule; each case breaks one thing.
 */
import { strict as assert } from "assert";
import { Names } from "../components/naming";
import { worldSchema, type RawWorld } from "../components/config/schema";
import * as rules from "../components/config/rules";
import { checkRules, ruleContext, RULES, type ConfigIssue, type Rule } from "../components/config/rules";
import { setPath } from "./support/world-variants";

const DIGEST = "a".repeat(64);

/** One gcp continent (eu: region fra, data center fra1) and one aws continent (na: region was, data center was1). */
const FIXTURE = {
    environment: "staging",
    gcp: { project: "gg-test-1234" },
    aws: { accountId: "123456789012", deployerRoleArn: "arn:aws:iam::123456789012:role/deployer", breakGlassRoleArn: "arn:aws:iam::123456789012:role/break-glass" },
    dns: { domain: "test.globalgrid.dev" },
    alerts: { emails: ["oncall@test.globalgrid.dev"] },
    adminCidrs: ["203.0.113.0/24"],
    global: { location: "europe-west1", cidr: "10.0.0.0/16" },
    continents: {
        eu: {
            cloud: "gcp",
            location: "europe-west1",
            cidr: "10.1.0.0/16",
            zones: ["europe-west1-b"],
            regions: { fra: { location: "europe-west3", cidr: "10.16.0.0/16", dataCenters: { fra1: { zone: "europe-west3-a" } } } },
        },
        na: {
            cloud: "aws",
            location: "us-east-1",
            cidr: "10.2.0.0/16",
            zones: ["us-east-1a", "us-east-1b"],
            regions: { was: { location: "us-east-1", cidr: "10.32.0.0/16", zones: ["us-east-1a", "us-east-1b"], pubsubLocation: "us-east4", dataCenters: { was1: { zone: "us-east-1a" } } } },
        },
    },
};

/** The fixture with `edits` applied (`undefined` deletes a key), through the schema as parseWorld does. */
function world(edits: Record<string, unknown>): RawWorld {
    const raw = structuredClone(FIXTURE) as Record<string, any>;
    for (const [path, value] of Object.entries(edits)) setPath(raw, path, value);
    const parsed = worldSchema.safeParse(raw);
    assert.ok(parsed.success, `the fragment must be shape-valid: ${JSON.stringify(parsed.error?.issues)}`);
    return parsed.data;
}

type Case = [what: string, edits: Record<string, unknown>, issues: ConfigIssue[]];
const issue = (path: string, message: string): ConfigIssue => ({ path, message });

const AWS_REGION_SFO = { location: "us-west-1", cidr: "10.33.0.0/16", zones: ["us-west-1a", "us-west-1c"], pubsubLocation: "us-west2", dataCenters: { sfo1: { zone: "us-west-1a" } } };

const TABLE: [string, Rule, Case[]][] = [
    ["globalLocation", rules.globalLocation, [["a location that is no GCP region", { "global.location": "europe" }, [issue("global.location", '"europe" is not a GCP region (such as europe-west1)')]]]],
    [
        "defaultMachineTypes",
        rules.defaultMachineTypes,
        [
            ["a gcp name for an aws pool", { "defaults.machineTypes.aws.jobGrid": "c6i-2xlarge" }, [issue("defaults.machineTypes.aws.jobGrid", '"c6i-2xlarge" is not a aws machine type')]],
            ["an aws name for a gcp pool", { "defaults.machineTypes.gcp.system": "m6i.xlarge" }, [issue("defaults.machineTypes.gcp.system", '"m6i.xlarge" is not a gcp machine type')]],
        ],
    ],
    [
        "uniqueNames",
        rules.uniqueNames,
        [
            ["a region name used on another continent", { "continents.na.regions.fra": AWS_REGION_SFO }, [issue("continents.na.regions.fra", 'name "fra" is already used at continents.eu.regions.fra; names must be unique across the world')]],
            ["a data center named like a continent", { "continents.eu.regions.fra.dataCenters.eu": { zone: "europe-west3-b" } }, [issue("continents.eu.regions.fra.dataCenters.eu", 'name "eu" is already used at continents.eu; names must be unique across the world')]],
        ],
    ],
    [
        "networkRanges",
        rules.networkRanges,
        [
            ["an octet above 255", { "continents.eu.regions.fra.cidr": "10.16.0.300/16" }, [issue("continents.eu.regions.fra.cidr", '"10.16.0.300/16" is not a valid IPv4 CIDR')]],
            ["a block smaller than /16", { "continents.eu.regions.fra.cidr": "10.16.0.0/20" }, [issue("continents.eu.regions.fra.cidr", '"10.16.0.0/20" must be a /12../16 block (the tier carves /17../28 ranges from it)')]],
            ["a block not aligned to its prefix", { "continents.na.cidr": "10.2.1.0/16" }, [issue("continents.na.cidr", '"10.2.1.0/16" is not aligned to its prefix')]],
            ["a region overlapping the global network", { "continents.na.regions.was.cidr": "10.0.0.0/16" }, [issue("continents.na.regions.was.cidr", '"10.0.0.0/16" overlaps global.cidr')]],
            ["a continent containing a region", { "continents.na.cidr": "10.16.0.0/12" }, [issue("continents.na.cidr", '"10.16.0.0/12" overlaps continents.eu.regions.fra.cidr')]],
        ],
    ],
    [
        "clearOfEksServiceRange",
        rules.clearOfEksServiceRange,
        [
            ["an aws region on the EKS service range", { "continents.na.regions.was.cidr": "172.20.0.0/16" }, [issue("continents.na.regions.was.cidr", '"172.20.0.0/16" overlaps the EKS service range 172.20.0.0/16')]],
            ["a gcp region on it is fine", { "continents.eu.regions.fra.cidr": "172.20.0.0/16" }, []],
        ],
    ],
    [
        "adminCidrs",
        rules.adminCidrs,
        [
            ["the whole internet", { adminCidrs: ["203.0.113.0/24", "0.0.0.0/0"] }, [issue("adminCidrs.1", '"0.0.0.0/0" is too broad; the cluster APIs must not be open to the internet')]],
            ["an octet above 255", { adminCidrs: ["256.0.0.0/8"] }, [issue("adminCidrs.0", '"256.0.0.0/8" is not a valid IPv4 CIDR')]],
        ],
    ],
    [
        "awsRoles",
        rules.awsRoles,
        [
            ["a deployer role of another account", { "aws.deployerRoleArn": "arn:aws:iam::999999999999:role/deployer" }, [issue("aws.deployerRoleArn", '"arn:aws:iam::999999999999:role/deployer" is not a role of account 123456789012 (aws.accountId)')]],
            ["the same role twice", { "aws.breakGlassRoleArn": "arn:aws:iam::123456789012:role/deployer" }, [issue("aws.breakGlassRoleArn", "must differ from aws.deployerRoleArn: break-glass access must not depend on the deployer role")]],
        ],
    ],
    [
        "eksVersion",
        rules.eksVersion,
        [["a version without pins", { "aws.kubernetesVersion": "1.20" }, [issue("aws.kubernetesVersion", "1.20 is not a supported EKS version (1.33, 1.34, 1.35; add-on and autoscaler pins in components/clusters/eks-versions.ts)")]]],
    ],
    [
        "prebuiltImages",
        rules.prebuiltImages,
        [
            [
                "the program's own Artifact Registry repository",
                { "images.agents": { broker: { prebuilt: `europe-docker.pkg.dev/gg-test-1234/globalgrid/broker@sha256:${DIGEST}` } } },
                [
                    issue(
                        "images.agents.broker.prebuilt",
                        `"europe-docker.pkg.dev/gg-test-1234/globalgrid/broker@sha256:${DIGEST}" points into the program's own registry (europe-docker.pkg.dev/gg-test-1234/globalgrid), which holds only the program's builds; remove the entry to build the agent, or pin an image from another registry`,
                    ),
                ],
            ],
            ["another registry", { "images.agents": { runtime: { prebuilt: `ghcr.io/acme/runtime@sha256:${DIGEST}` } } }, []],
        ],
    ],
    [
        "notEmpty",
        rules.notEmpty,
        [
            ["no continents", { continents: {} }, [issue("continents", "at least one continent is required")]],
            ["a continent without regions", { "continents.na.regions": {} }, [issue("continents.na.regions", "a continent needs at least one region")]],
            ["a region without data centers", { "continents.eu.regions.fra.dataCenters": {} }, [issue("continents.eu.regions.fra.dataCenters", "a region needs at least one data center")]],
        ],
    ],
    [
        "locations",
        rules.locations,
        [
            ["an aws region on a gcp continent", { "continents.eu.location": "eu-west-1" }, [issue("continents.eu.location", '"eu-west-1" is not a gcp region')]],
            ["a gcp region in an aws region", { "continents.na.regions.was.location": "us-east1" }, [issue("continents.na.regions.was.location", '"us-east1" is not a aws region')]],
            ["an aws region without pubsubLocation", { "continents.na.regions.was.pubsubLocation": undefined }, [issue("continents.na.regions.was.pubsubLocation", "required on aws: the GCP region that stores this region's job messages")]],
            ["a pubsubLocation that is no GCP region", { "continents.eu.regions.fra.pubsubLocation": "eu-central-1" }, [issue("continents.eu.regions.fra.pubsubLocation", '"eu-central-1" is not a GCP region')]],
        ],
    ],
    [
        "clusterZones",
        rules.clusterZones,
        [
            ["a gcp continent without zones", { "continents.eu.zones": undefined }, [issue("continents.eu.zones", "a gcp continent needs its cluster's node zones (the control-plane load balancers' backends are per zone)")]],
            ["a gcp continent zone outside its location", { "continents.eu.zones": ["europe-west1-b", "europe-west3-a"] }, [issue("continents.eu.zones.1", '"europe-west3-a" is not a zone of europe-west1')]],
            ["an aws continent with one zone", { "continents.na.zones": ["us-east-1a"] }, [issue("continents.na.zones", "aws needs at least two availability zones (EKS requires subnets in two)")]],
            ["an aws region zone twice", { "continents.na.regions.was.zones": ["us-east-1a", "us-east-1a"] }, [issue("continents.na.regions.was.zones", "zones must be distinct")]],
            ["an aws region zone outside its location", { "continents.na.regions.was.zones": ["us-east-1a", "us-west-1b"] }, [issue("continents.na.regions.was.zones.1", '"us-west-1b" is not an availability zone of us-east-1')]],
            ["zones on a gcp region", { "continents.eu.regions.fra.zones": ["europe-west3-a"] }, [issue("continents.eu.regions.fra.zones", "zones apply to aws only; a GKE cluster is regional")]],
        ],
    ],
    [
        "continentSystemPoolFits",
        rules.continentSystemPoolFits,
        [
            ["bounds out of order", { "continents.na.systemPool": { minNodes: 4, maxNodes: 3 } }, [issue("continents.na.systemPool.minNodes", "minNodes 4 is greater than maxNodes 3"), issue("continents.na.systemPool.maxNodes", "3 cannot hold 4 nodes (one per Consul server of the largest region, 3, and at least minNodes)")]],
            ["an aws maximum below the Consul servers", { "continents.na.systemPool": { maxNodes: 2 } }, [issue("continents.na.systemPool.maxNodes", "2 cannot hold 3 nodes (one per Consul server of the largest region, 3, and at least minNodes)")]],
            [
                "a gcp maximum that rounds below the servers per zone",
                { "continents.eu.zones": ["europe-west1-b", "europe-west1-c"], "continents.eu.systemPool": { maxNodes: 3 } },
                [issue("continents.eu.systemPool.maxNodes", "3 cannot hold 4 nodes: the GKE pool counts nodes per zone, 2 zones x 2 (one per Consul server of the largest region, 3, and at least minNodes)")],
            ],
        ],
    ],
    [
        "consulQuorum",
        rules.consulQuorum,
        [
            ["an even count in a region", { "continents.eu.regions.fra.consul": { replicas: 4 } }, [issue("continents.eu.regions.fra.consul.replicas", "4 is even; Consul needs an odd number of servers for quorum")]],
            ["an even default, reported once for both regions", { "defaults.region.consul.replicas": 2 }, [issue("defaults.region.consul.replicas", "2 is even; Consul needs an odd number of servers for quorum")]],
            ["one server in prod", { environment: "prod", "continents.na.regions.was.consul": { replicas: 1 } }, [issue("continents.na.regions.was.consul.replicas", "1 is below 3; prod needs at least 3 Consul servers")]],
            ["one server in staging is fine", { "continents.na.regions.was.consul": { replicas: 1 } }, []],
        ],
    ],
    ["consulVolume", rules.consulVolume, [["a volume below 5Gi", { "continents.eu.regions.fra.consul": { volumeSize: "4Gi" } }, [issue("continents.eu.regions.fra.consul.volumeSize", "4Gi is too small; Consul servers need at least 5Gi")]]]],
    [
        "jobRetention",
        rules.jobRetention,
        [
            ["backoff bounds out of order", { "continents.eu.regions.fra.jobs": { minBackoffSeconds: 120, maxBackoffSeconds: 60 } }, [issue("continents.eu.regions.fra.jobs.minBackoffSeconds", "minBackoffSeconds 120 is greater than maxBackoffSeconds 60")]],
            [
                "dead letters kept shorter than jobs",
                { "defaults.region.jobs.deadLetterRetentionSeconds": 3600 },
                [issue("defaults.region.jobs.deadLetterRetentionSeconds", "deadLetterRetentionSeconds 3600 is shorter than messageRetentionSeconds 604800; dead letters must outlive the jobs")],
            ],
        ],
    ],
    [
        "certificateRenewal",
        rules.certificateRenewal,
        [
            ["leaf renewal not before expiry", { "continents.eu.regions.fra.certificates": { validityHours: 2000, earlyRenewalHours: 2000 } }, [issue("continents.eu.regions.fra.certificates.earlyRenewalHours", "earlyRenewalHours 2000 must be below validityHours 2000")]],
            ["root CA renewal not before expiry", { "pki.rootCa": { validityHours: 8760, earlyRenewalHours: 9000 } }, [issue("pki.rootCa.earlyRenewalHours", "earlyRenewalHours 9000 must be below validityHours 8760")]],
            ["region CA renewal over the default validity", { "pki.regionCa.earlyRenewalHours": 17520 }, [issue("pki.regionCa.earlyRenewalHours", "earlyRenewalHours 17520 must be below validityHours 17520")]],
        ],
    ],
    [
        "systemPoolBounds",
        rules.systemPoolBounds,
        [
            ["region bounds out of order", { "defaults.region.systemPool": { minNodes: 6, maxNodes: 5 } }, [issue("defaults.region.systemPool.minNodes", "minNodes is greater than maxNodes")]],
            ["global bounds out of order", { "global.systemPool": { minNodes: 4 } }, [issue("global.systemPool.minNodes", "minNodes 4 is greater than maxNodes 3")]],
        ],
    ],
    [
        "controlPlaneQuotaFitsConsul",
        rules.controlPlaneQuotaFitsConsul,
        [
            ["fewer claims than servers", { "continents.eu.regions.fra.controlPlaneQuota": { persistentVolumeClaims: 2 } }, [issue("continents.eu.regions.fra.controlPlaneQuota.persistentVolumeClaims", "2 claims cannot hold the region's 3 Consul server volumes")]],
            [
                "less storage than the volumes",
                { "defaults.region.consul.volumeSize": "200Gi" },
                [issue("defaults.region.controlPlaneQuota.requestsStorage", "500Gi cannot hold the region's 3 Consul volumes of 200Gi (600Gi)")],
            ],
        ],
    ],
    [
        "podRangeHoldsNodes",
        rules.podRangeHoldsNodes,
        [
            [
                "a gcp region whose pools outgrow its /17 pod range",
                { "continents.eu.regions.fra.dataCenters.fra1.warmPool": { nodes: { maxNodes: 100 } } },
                [
                    issue(
                        "continents.eu.regions.fra.dataCenters",
                        "the region's node pools can grow to 130 nodes (system 5 x 3 zones + the data centers' warmPool and jobGrid nodes.maxNodes, with one upgrade surge node per pool and zone); its pod range holds at most 128 nodes at 110 pods per node",
                    ),
                ],
            ],
            ["the same pools on aws are not bound by it", { "continents.na.regions.was.dataCenters.was1.warmPool": { nodes: { maxNodes: 100 } } }, []],
        ],
    ],
    [
        "dataCenterZones",
        rules.dataCenterZones,
        [
            ["a zone outside the region", { "continents.eu.regions.fra.dataCenters.fra1.zone": "europe-west1-b" }, [issue("continents.eu.regions.fra.dataCenters.fra1.zone", '"europe-west1-b" is not a zone of europe-west3')]],
            ["two data centers in one zone", { "continents.eu.regions.fra.dataCenters.fra2": { zone: "europe-west3-a" } }, [issue("continents.eu.regions.fra.dataCenters.fra2.zone", "zone europe-west3-a is already used by data center fra1")]],
        ],
    ],
    [
        "gridBounds",
        rules.gridBounds,
        [
            ["a data center minimum above its replicas", { "continents.eu.regions.fra.dataCenters.fra1.jobGrid": { minReplicas: 3 } }, [issue("continents.eu.regions.fra.dataCenters.fra1.jobGrid.minReplicas", "minReplicas 3 is greater than replicas 2")]],
            ["a region maximum below the replicas", { "continents.na.regions.was.warmPool": { maxReplicas: 6 } }, [issue("continents.na.regions.was.warmPool.maxReplicas", "maxReplicas 6 is below replicas 8")]],
            ["node bounds out of order", { "defaults.dataCenter.warmPool.nodes": { minNodes: 11 } }, [issue("defaults.dataCenter.warmPool.nodes", "nodes.minNodes 11 is greater than nodes.maxNodes 10")]],
            ["an aws machine type in a gcp data center", { "continents.eu.regions.fra.dataCenters.fra1.warmPool": { machineType: "m6i.2xlarge" } }, [issue("continents.eu.regions.fra.dataCenters.fra1.warmPool.machineType", '"m6i.2xlarge" is not a gcp machine type')]],
        ],
    ],
    [
        "ackDeadlineCoversSoftLimit",
        rules.ackDeadlineCoversSoftLimit,
        [
            [
                "a soft limit the default ack deadline cannot cover",
                { "continents.eu.regions.fra.dataCenters.fra1.jobGrid": { softTimeLimitSeconds: 340 } },
                [issue("continents.eu.regions.fra.dataCenters.fra1.jobGrid.softTimeLimitSeconds", "softTimeLimitSeconds 340 needs ackDeadlineSeconds >= 370 (soft limit + 30s grace), but defaults.region.jobs.ackDeadlineSeconds is 360")],
            ],
            [
                "a region's ack deadline below the default soft limit",
                { "continents.na.regions.was.jobs": { ackDeadlineSeconds: 300 } },
                [issue("defaults.dataCenter.jobGrid.softTimeLimitSeconds", "softTimeLimitSeconds 300 needs ackDeadlineSeconds >= 330 (soft limit + 30s grace), but continents.na.regions.was.jobs.ackDeadlineSeconds is 300")],
            ],
        ],
    ],
];

describe("config rules, one by one", () => {
    it("the fixture world passes every rule", () => {
        assert.deepEqual(checkRules(world({})), []);
    });

    it("every rule in RULES has a table here", () => {
        const tested = new Set(TABLE.map(([, rule]) => rule));
        const untested = Object.entries(rules).filter(([, v]) => RULES.includes(v as Rule) && !tested.has(v as Rule) && v !== rules.nameLengths);
        // nameLengths has its own cases below
        assert.deepEqual(untested.map(([k]) => k), []);
    });

    for (const [name, rule, cases] of TABLE) {
        describe(name, () => {
            for (const [what, edits, expected] of cases) {
                it(`${what}: ${expected.length ? expected.map((i) => i.path).join(", ") : "no issue"}`, () => {
                    const raw = world(edits);
                    assert.deepEqual(checkRules(raw, [rule]), expected);
                    // the whole rule set reports the same issues among its others
                    const all = checkRules(raw);
                    for (const i of expected) assert.ok(all.some((a) => a.path === i.path && a.message === i.message), `${i.path} missing from checkRules`);
                });
            }
        });
    }

    describe("nameLengths", () => {
        it("accepts the longest names the schema allows", () => {
            const longest = world({
                "continents.eu.regions": { abcdefgh: { location: "europe-west3", cidr: "10.16.0.0/16", dataCenters: { abcdefghij: { zone: "europe-west3-a" } } } },
                "continents.na": { ...FIXTURE.continents.na },
                "continents.abcdef": { ...FIXTURE.continents.eu, cidr: "10.3.0.0/16", regions: { xyzwvuts: { location: "europe-west3", cidr: "10.48.0.0/16", dataCenters: { zyxwvutsrq: { zone: "europe-west3-b" } } } } },
            });
            assert.deepEqual(checkRules(longest, [rules.nameLengths]), []);
        });

        it("reports a derived name over its cloud's limit at the name that produced it", () => {
            // no name the schema allows is too long today; a longer naming prefix shows what the rule guards
            const raw = world({});
            const { ctx, issues } = ruleContext(raw);
            const names = new Names(raw.environment, raw.dns.domain, raw.aws.accountId, raw.gcp.project);
            Object.defineProperty(names, "prefix", { value: "gg-staging-long-prefix" });
            rules.nameLengths({ ...ctx, names });
            const tooLong = (path: string, kind: string, value: string, limit: number) => issue(path, `derived ${kind} name "${value}" is ${value.length} characters; the limit is ${limit}`);
            assert.deepEqual(issues, [
                tooLong("environment", "gcpServiceAccountId", "gg-staging-long-prefix-dispatcher", 30),
                tooLong("environment", "gcpServiceAccountId", "gg-staging-long-prefix-global-nodes", 30),
                tooLong("continents.eu", "gcpServiceAccountId", "gg-staging-long-prefix-eu-cp-nodes", 30),
                tooLong("continents.eu.regions.fra", "gcpServiceAccountId", "gg-staging-long-prefix-fra-dp-nodes", 30),
                tooLong("continents.eu.regions.fra", "gcpServiceAccountId", "gg-staging-long-prefix-fra1-grid", 30),
                tooLong("continents.na.regions.was", "awsTargetGroup", "gg-staging-long-prefix-was-consul", 32),
                tooLong("continents.na.regions.was", "awsTargetGroup", "gg-staging-long-prefix-was1-broker", 32),
                tooLong("continents.na.regions.was", "gcpServiceAccountId", "gg-staging-long-prefix-was1-grid", 30),
            ]);
        });
    });
});
