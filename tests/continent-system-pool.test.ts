import { strict as assert } from "assert";
import { parseWorld } from "../components/config/load";
import { continentSystemPool } from "../components/clusters/continent-system-pool";
import { GraphIndex } from "../engine/graph";
import type { RecordedResource } from "../engine/recorder";
import { at } from "../engine/values";
import { STACKS, runWorld, stackGraph } from "./support/stacks";
import { configProblems, setPath, worldOf } from "./support/world-variants";

/** Nodes the continental system pool starts with, in total: a GKE regional pool's bound is per zone. */
function minTotal(g: GraphIndex, continent: { name: string; cloud: string; zones: string[] }): number {
    if (continent.cloud === "aws") return Number(at(g.get("aws:eks/nodeGroup:NodeGroup", `${continent.name}-cp-system`).inputs, "scalingConfig.minSize"));
    const pool = g.get("gcp:container/nodePool:NodePool", `${continent.name}-cp-system`);
    const cluster = g.ofType("gcp:container/cluster:Cluster").find((c) => c.name === `${continent.name}-cp`)!;
    assert.deepEqual(cluster.inputs.nodeLocations, continent.zones);
    return Number(at(pool.inputs, "autoscaling.minNodeCount")) * continent.zones.length;
}

/** Consul StatefulSets of the regions a continent hosts, with their required hostname anti-affinity. */
function consulServers(g: GraphIndex, regions: string[]): RecordedResource[] {
    return g.ofType("kubernetes:apps/v1:StatefulSet").filter((s) => regions.includes(g.regionOf(s) ?? "") && /consul-server/.test(s.name));
}

describe("continental system pool: one node per Consul server", () => {
    for (const stack of STACKS) {
        it(`${stack}: every continental pool starts with at least as many nodes as its largest Consul datacenter has servers`, async () => {
            const g = await stackGraph(stack);
            const world = parseWorld(worldOf(stack));
            for (const c of world.continents) {
                const servers = consulServers(g, c.regions.map((r) => r.name));
                assert.equal(servers.length, c.regions.length);
                for (const s of servers) {
                    const terms = at(s.inputs, "spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution") as { topologyKey: string }[];
                    assert.ok(terms.some((t) => t.topologyKey === "kubernetes.io/hostname"), `${s.name} needs a node per server`);
                    assert.ok(minTotal(g, c) >= Number(at(s.inputs, "spec.replicas")), `${c.name}: ${minTotal(g, c)} nodes for ${s.name}`);
                }
            }
        });
    }

    it("prod: na (EKS) starts with 3 nodes; eu (GKE, 3 zones) with 2 per zone for fra's 5 servers", async () => {
        const g = await stackGraph("prod");
        assert.deepEqual(at(g.get("aws:eks/nodeGroup:NodeGroup", "na-cp-system").inputs, "scalingConfig"), { minSize: 3, maxSize: 5, desiredSize: 3 });
        assert.deepEqual(at(g.get("gcp:container/nodePool:NodePool", "eu-cp-system").inputs, "autoscaling"), { minNodeCount: 2, maxNodeCount: 2 });
    });

    it("follows the config: more Consul servers raise the minimum, continents.<c>.systemPool sets the bounds", async () => {
        const w = worldOf("prod");
        setPath(w, "continents.na.regions.sfo.consul", { replicas: 5 });
        setPath(w, "continents.na.systemPool", { minNodes: 1, maxNodes: 9 });
        setPath(w, "continents.eu.systemPool", { maxNodes: 9 });
        const run = await runWorld({ stack: "prod", world: w });
        if (run.error) throw run.error;
        const g = new GraphIndex(run);
        assert.deepEqual(at(g.get("aws:eks/nodeGroup:NodeGroup", "na-cp-system").inputs, "scalingConfig"), { minSize: 5, maxSize: 9, desiredSize: 5 });
        assert.deepEqual(at(g.get("gcp:container/nodePool:NodePool", "eu-cp-system").inputs, "autoscaling"), { minNodeCount: 2, maxNodeCount: 3 });
    });

    it("rejects a configured maximum that cannot hold the servers, at its path", () => {
        const w = worldOf("prod");
        setPath(w, "continents.na.regions.sfo.consul", { replicas: 7 });
        setPath(w, "continents.na.systemPool", { maxNodes: 6 });
        setPath(w, "continents.ap.systemPool", { minNodes: 4, maxNodes: 3 });
        const found = configProblems(w);
        assert.deepEqual(
            found.filter((p) => p.path.includes("systemPool")),
            [
                { path: "continents.na.systemPool.maxNodes", message: "6 cannot hold 7 nodes (one per Consul server of the largest region, 7, and at least minNodes)" },
                { path: "continents.ap.systemPool.minNodes", message: "minNodes 4 is greater than maxNodes 3" },
                { path: "continents.ap.systemPool.maxNodes", message: "3 cannot hold 6 nodes: the GKE pool counts nodes per zone, 3 zones x 2 (one per Consul server of the largest region, 3, and at least minNodes)" },
            ],
        );
    });

    it("sizing: totals on aws, per zone (min rounded up, max down) on gcp", () => {
        assert.deepEqual(continentSystemPool({ cloud: "aws", zones: ["a", "b"], consulReplicas: [3, 1], configured: {} }), { minNodes: 3, maxNodes: 5, required: 3, problem: undefined });
        assert.deepEqual(continentSystemPool({ cloud: "aws", zones: ["a", "b"], consulReplicas: [7], configured: {} }), { minNodes: 7, maxNodes: 7, required: 7, problem: undefined });
        assert.deepEqual(continentSystemPool({ cloud: "gcp", zones: ["a", "b", "c"], consulReplicas: [5, 3], configured: { maxNodes: 7 } }), { minNodes: 2, maxNodes: 2, required: 5, problem: undefined });
        assert.equal(continentSystemPool({ cloud: "gcp", zones: ["a", "b", "c"], consulReplicas: [5], configured: { maxNodes: 5 } }).problem?.includes("per zone"), true);
        assert.deepEqual(continentSystemPool({ cloud: "gcp", zones: ["a"], consulReplicas: [1], configured: { minNodes: 2 } }), { minNodes: 2, maxNodes: 5, required: 1, problem: undefined });
    });
});
