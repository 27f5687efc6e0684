import { strict as assert } from "assert";
import { LIMITS, Names } from "../components/naming";
import { STACKS, stackGraph } from "./support/stacks";

describe("physical names", () => {
    describe("derived from environment and world path only", () => {
        const stg = new Names("staging", "staging.globalgrid.dev", "210987654321", "gg-staging");
        const prd = new Names("prod", "globalgrid.dev", "123456789012", "gg-prod");
        const cases: [string, string, string][] = [
            ["global cluster", stg.globalCluster(), "gg-stg-global"],
            ["continent cluster", prd.continentCluster("eu"), "gg-prd-eu-cp"],
            ["region cluster", stg.regionCluster("fra"), "gg-stg-fra-dp"],
            ["control-plane namespace", stg.controlPlaneNamespace("fra"), "cp-fra"],
            ["data-center namespace", stg.dataCenterNamespace("fra1"), "dc-fra1"],
            ["data-center pool", stg.dataCenterPool("fra1", "job-grid"), "fra1-job-grid"],
            ["jobs topic", prd.jobsTopic("was"), "gg-prd-was-jobs"],
            ["jobs subscription", prd.jobsSubscription("was"), "gg-prd-was-jobs-grid"],
            ["dead-letter topic", prd.deadLetterTopic("was"), "gg-prd-was-jobs-dead-letter"],
            ["control-plane host", stg.controlPlaneHost("fra"), "fra.cp.staging.globalgrid.dev"],
            ["control-plane GCP resource", stg.controlPlaneGcpResource("fra", "be"), "gg-stg-fra-cp-be"],
            ["CA bundle bucket (account-scoped)", prd.caBundleBucket("was"), "gg-prd-was-cp-ca-123456789012"],
            ["sync host", prd.syncHost("was1"), "was1.sync.globalgrid.dev"],
            ["sync GCP resource", stg.syncGcpResource("fra1", "proxy"), "gg-stg-fra1-sync-proxy"],
            ["broker NEG", stg.brokerNeg("fra1"), "gg-stg-fra1-broker-neg"],
            ["ECR repository", prd.ecrRepository("broker"), "gg-prd/broker"],
            ["site-code bucket (project-scoped)", prd.siteCodeBucket("was"), "gg-prd-was-code-gg-prod"],
            ["node service account", stg.nodeServiceAccount(stg.regionCluster("fra")), "gg-stg-fra-dp-nodes"],
        ];
        for (const [what, got, want] of cases) it(`${what}: ${want}`, () => assert.equal(got, want));
    });

    it("gives every name of a region a value unique within its kind, on both clouds", () => {
        const names = new Names("prod", "globalgrid.dev", "123456789012", "gg-prod");
        for (const cloud of ["gcp", "aws"] as const) {
            const all = names.regionNames("was", cloud, ["was1", "was2", "was3"]);
            const seen = new Set<string>();
            for (const n of all) {
                const key = `${n.kind}/${n.value}`;
                assert.ok(!seen.has(key), `${cloud}: ${key} twice`);
                seen.add(key);
            }
            // every data center contributes its own names: a third data center adds names, none are shared
            assert.ok(all.length > names.regionNames("was", cloud, ["was1", "was2"]).length);
        }
    });

    it("stay within every cloud's limits for the longest names the schema allows", () => {
        const names = new Names("staging", "a-very-long-subdomain.staging.globalgrid.dev", "123456789012", "a-thirty-character-project-id0");
        const region = "abcdefgh"; // 8: the schema's maximum region name
        const dcs = ["abcdefghi1", "abcdefghi2"]; // 10: the maximum data center name
        for (const cloud of ["gcp", "aws"] as const) {
            for (const n of names.regionNames(region, cloud, dcs)) {
                assert.ok(n.value.length <= LIMITS[n.kind], `${n.kind} ${n.value} (${n.value.length} > ${LIMITS[n.kind]})`);
            }
        }
        assert.ok(names.continentCluster("abcdef").length <= LIMITS.gkeCluster);
        assert.ok(names.dispatcherServiceAccount().length <= LIMITS.gcpServiceAccountId);
        assert.ok(names.nodeServiceAccount(names.continentCluster("abcdef")).length <= LIMITS.gcpServiceAccountId);
        assert.ok(names.nodeServiceAccount(new Names("prod", "x.dev", "123456789012", "gg-prod").globalCluster()).length <= LIMITS.gcpServiceAccountId);
    });

    for (const stack of STACKS) {
        it(`${stack}: clusters, node pools and namespaces have unique physical names`, async () => {
            const g = await stackGraph(stack);
            const seen = new Map<string, string>();
            const claim = (kind: string, value: unknown, urn: string) => {
                const key = `${kind}/${String(value)}`;
                assert.ok(!seen.has(key), `${key} used by ${seen.get(key)} and ${urn}`);
                seen.set(key, urn);
            };
            for (const r of g.resources) {
                if (r.type === "gcp:container/cluster:Cluster" || r.type === "aws:eks/cluster:Cluster") claim("cluster", r.inputs.name, r.urn);
                if (r.type === "aws:eks/nodeGroup:NodeGroup") claim("nodegroup", r.inputs.nodeGroupName, r.urn);
                if (r.type === "gcp:container/nodePool:NodePool") claim(`nodepool/${String(r.inputs.cluster)}`, r.inputs.name, r.urn);
                if (r.type === "kubernetes:core/v1:Namespace") claim(`ns/${r.provider}`, (r.inputs.metadata as { name: string }).name, r.urn);
            }
        });
    }
});
