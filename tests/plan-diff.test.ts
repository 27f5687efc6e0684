import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
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
        assert.deepEqual(d.counts, { added: added.length, changed: 0, removed: 0, unchanged: staging.resources.length - 1, renamed: 0 }, "the stack root is not counted");
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
        assert.deepEqual(d.counts, { added: 0, changed: 2, removed: 0, unchanged: staging.resources.length - 3, renamed: 0 });
        const all = d.tiers.flatMap((t) => t.changed);
        assert.deepEqual(all.find((c) => c.urn === topic.urn)!.inputs, ["messageRetentionDuration"]);
        assert.deepEqual(all.find((c) => c.urn === ns.urn)!.inputs, ["metadata.labels.team"]);
        assert.deepEqual(d.stateful.map((s) => [s.action, s.urn]), [["changed", topic.urn]]);
        assert.match(formatDiff(d, "b.json"), /!! {3}gcp:pubsub\/topic:Topic \S+ \[global > continent \w+ > region \w+\]: CHANGED messageRetentionDuration/);
    });
});

describe("plan: diff recognises a resource renamed by an alias", () => {
    class Box extends pulumi.ComponentResource {
        constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
            super(type, name, {}, opts);
        }
    }
    /**
     * v1: everything under the tier; v2: the provider, an id and a component move under a new
     * component, and the component's type changes (its child's URN changes with it, and inherits its alias)
     */
    const program = (moved: boolean) => () => {
        const tier = new Box("globalgrid:tier:Global", "global");
        const home = moved ? new Box("globalgrid:cluster:Gke", "home", { parent: tier }) : tier;
        const alias = moved ? { aliases: [{ parent: tier }] } : {};
        const provider = new k8s.Provider("k8s", { kubeconfig: "{}" }, { parent: home, ...alias });
        new random.RandomId("id", { byteLength: 8 }, { parent: home, ...alias });
        const inner = moved
            ? new Box("globalgrid:test:Inner2", "inner", { parent: home, aliases: [{ parent: tier, type: "globalgrid:test:Inner" }] })
            : new Box("globalgrid:test:Inner", "inner", { parent: tier });
        new random.RandomId("inner-id", { byteLength: 4 }, { parent: inner });
        // moved without an alias: `pulumi up` would delete and create it
        new random.RandomId("lost", { byteLength: 2 }, { parent: home });
        // stays where it was; only its provider's URN changes
        new k8s.core.v1.ConfigMap("cm", { metadata: { name: "cm", namespace: "default" }, data: { a: "1" } }, { parent: tier, provider });
    };
    let v1: Plan;
    let v2: Plan;
    before(async () => {
        const run = async (moved: boolean) => {
            const graph = await runStack({ stack: "staging", program: program(moved) });
            if (graph.error) throw graph.error;
            return toPlan(new GraphIndex(graph));
        };
        v1 = await run(false);
        v2 = await run(true);
    });
    const urn = (p: Plan, name: string) => p.resources.find((r) => r.name === name)!.urn;

    it("records each alias as the URN the resource had, including the old URN a child inherits from its moved parent", () => {
        for (const name of ["k8s", "id", "inner", "inner-id"]) {
            assert.notEqual(urn(v2, name), urn(v1, name), `${name} has a new URN`);
            assert.deepEqual(v2.resources.find((r) => r.name === name)!.aliases, [urn(v1, name)], name);
        }
        assert.equal(v2.resources.find((r) => r.name === "lost")!.aliases, undefined);
        assert.ok(v1.resources.every((r) => r.aliases === undefined), "nothing aliased before the move");
    });

    it("lists aliased resources as renamed (unchanged), an unaliased move as removed and added, and reads the old provider through the rename", () => {
        const d = diffPlans(v1, v2);
        const all = (k: "added" | "changed" | "removed") => d.tiers.flatMap((t) => t[k]);
        assert.deepEqual(d.tiers.flatMap((t) => t.renamed).map((r) => [r.name, r.from, r.urn]).sort(), ["id", "inner", "inner-id", "k8s"].map((n) => [n, urn(v1, n), urn(v2, n)]));
        assert.deepEqual(all("changed"), [], "the ConfigMap's provider is the same provider under its new URN");
        assert.deepEqual(all("removed").map((r) => r.name), ["lost"]);
        assert.deepEqual(all("added").map((r) => r.name).sort(), ["home", "lost"]);
        assert.equal(d.stateful.length, 1, "the unaliased RandomId is called out as removed");
        assert.deepEqual(d.counts, { added: 2, changed: 0, removed: 1, unchanged: 6, renamed: 4 });
        const text = formatDiff(d, "v1.json");
        assert.match(text, /: 2 added, 0 changed, 1 removed, 6 unchanged; 4 of them renamed \(matched by alias\)$/m);
        assert.match(text, /^ {2}> random:index\/randomId:RandomId id: parent globalgrid:tier:Global -> globalgrid:cluster:Gke$/m);
        assert.match(text, /^ {2}> random:index\/randomId:RandomId inner-id: parent globalgrid:test:Inner -> globalgrid:test:Inner2$/m);
        assert.match(text, /^ {2}> globalgrid:test:Inner2 inner: parent globalgrid:tier:Global -> globalgrid:cluster:Gke, type globalgrid:test:Inner -> globalgrid:test:Inner2$/m);
    });

    it("still reports a renamed resource whose inputs changed as changed", () => {
        const edited = structuredClone(v2);
        (edited.resources.find((r) => r.name === "id")!.inputs as any).byteLength = 16;
        const d = diffPlans(v1, edited);
        assert.deepEqual(d.tiers.flatMap((t) => t.changed.map((c) => [c.name, c.inputs, c.options])), [["id", ["byteLength"], []]]);
        assert.deepEqual(d.stateful.map((s) => [s.action, s.name]).sort(), [["changed", "id"], ["removed", "lost"]]);
    });

    it("does not take an alias naming a URN that still exists for a rename", () => {
        const both = structuredClone(v1);
        const copy = structuredClone(v2.resources.find((r) => r.name === "id")!);
        both.resources.push(copy);
        const d = diffPlans(v1, both);
        assert.equal(d.counts.renamed, 0);
        assert.deepEqual(d.tiers.flatMap((t) => t.added.map((a) => a.name)), ["id"]);
    });
});
