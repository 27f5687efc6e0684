import { strict as assert } from "assert";
import { GraphIndex } from "../engine/graph";
import { toPlan, type Plan } from "../engine/plan";
import { diffPlans, formatDiff, STATEFUL_TYPES } from "../engine/report/diff";
import { runStack } from "../engine/run";
import { stackGraph } from "./support/stacks";
import { stagingPlusRegion } from "./support/world-variants";

describe("plan: diff against a baseline plan.json", () => {
    let staging: Plan;
    let plusRegion: Plan;
    let newRegionUrns: string[];

    before(async () => {
        staging = toPlan(await stackGraph("staging"));
        const graph = await runStack({ stack: "staging", world: stagingPlusRegion() });
        if (graph.error) throw graph.error;
        const g = new GraphIndex(graph);
        plusRegion = toPlan(g);
        const mil = g.get("globalgrid:tier:Region", "mil");
        newRegionUrns = [mil.urn, ...g.descendants(mil.urn).map((r) => r.urn)].sort();
    });

    it("of staging plus one region lists exactly the new region's resources as added, nothing changed or removed", () => {
        const d = diffPlans(staging, plusRegion);
        assert.deepEqual(d.tiers.flatMap((t) => t.changed.map((c) => `${c.urn}: ${[...c.inputs, ...c.options].join(", ")}`)), []);
        assert.deepEqual(d.tiers.flatMap((t) => t.removed.map((r) => r.urn)), []);
        assert.deepEqual(d.stateful, []);
        const added = d.tiers.flatMap((t) => t.added.map((a) => a.urn)).sort();
        assert.deepEqual(added, newRegionUrns);
        assert.ok(added.length > 20, "a region is more than a handful of resources");
        for (const t of d.tiers) assert.match(t.tier, /^global > continent eu > region mil( > data center mil1)?$/);
        assert.deepEqual(d.counts, { added: added.length, changed: 0, removed: 0, unchanged: staging.resources.length - 1 }, "the stack root is not counted");
        const text = formatDiff(d, "baseline/plan.json");
        assert.match(text, /no stateful resource is removed or changed/);
        assert.match(text, /^global > continent eu > region mil: \+\d+ ~0 -0$/m);
        assert.match(text, /^global > continent eu > region mil > data center mil1: \+\d+ ~0 -0$/m);
    });

    it("calls out removed stateful resources first (the region taken away again)", () => {
        const d = diffPlans(plusRegion, staging);
        assert.equal(d.counts.added, 0);
        assert.equal(d.counts.removed, newRegionUrns.length);
        const removed = d.stateful.filter((s) => s.action === "removed").map((s) => s.type);
        for (const type of ["gcp:container/cluster:Cluster", "gcp:pubsub/topic:Topic", "gcp:pubsub/subscription:Subscription", "kubernetes:apps/v1:StatefulSet", "tls:index/privateKey:PrivateKey"]) {
            assert.ok(removed.includes(type), `${type} removal is called out`);
        }
        assert.ok(d.stateful.every((s) => STATEFUL_TYPES.has(s.type) || plusRegion.resources.find((r) => r.urn === s.urn)?.protect));
        const lines = formatDiff(d, "b.json").split("\n");
        assert.match(lines[1], /^!! \d+ stateful resource\(s\) removed or changed/);
        assert.ok(lines.slice(2, 2 + d.stateful.length).every((l) => l.startsWith("!!   ")));
    });

    it("names the changed inputs, and calls out a changed stateful resource", () => {
        const changed = structuredClone(staging);
        const topic = changed.resources.find((r) => r.type === "gcp:pubsub/topic:Topic")!;
        (topic.inputs as any).messageRetentionDuration = "1s";
        const ns = changed.resources.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
        (ns.inputs as any).metadata.labels.team = "x";
        const d = diffPlans(staging, changed);
        assert.deepEqual(d.counts, { added: 0, changed: 2, removed: 0, unchanged: staging.resources.length - 3 });
        const all = d.tiers.flatMap((t) => t.changed);
        assert.deepEqual(all.find((c) => c.urn === topic.urn)!.inputs, ["messageRetentionDuration"]);
        assert.deepEqual(all.find((c) => c.urn === ns.urn)!.inputs, ["metadata.labels.team"]);
        assert.deepEqual(d.stateful.map((s) => [s.action, s.urn]), [["changed", topic.urn]]);
        assert.match(formatDiff(d, "b.json"), /!! {3}gcp:pubsub\/topic:Topic \S+ \[global > continent \w+ > region \w+\]: CHANGED messageRetentionDuration/);
    });
});
