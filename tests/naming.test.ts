import { strict as assert } from "assert";
import { LIMITS, Names } from "../components/naming";
import { STACKS, stackGraph } from "./support/stacks";

describe("physical names", () => {
    it("stay within every cloud's limits for the longest names the schema allows", () => {
        const names = new Names("staging", "a-very-long-subdomain.staging.globalgrid.dev", "123456789012");
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
        assert.ok(names.nodeServiceAccount(new Names("prod", "x.dev", "123456789012").globalCluster()).length <= LIMITS.gcpServiceAccountId);
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
