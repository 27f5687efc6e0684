import { strict as assert } from "assert";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions } from "../components/config/model";
import { TIER_TYPES } from "../engine/graph";
import { makeUrn, parseUrn } from "../engine/recorder";
import { STACKS, stackGraph } from "./support/stacks";
import { worldOf } from "./support/world-variants";

const COMPONENT = { gcp: "globalgrid:cluster:Gke", aws: "globalgrid:cluster:Eks" } as const;
const CLUSTER = { gcp: "gcp:container/cluster:Cluster", aws: "aws:eks/cluster:Cluster" } as const;

describe("cluster components: one GKE or EKS component per cluster, behind one contract", () => {
    for (const stack of STACKS) {
        describe(stack, () => {
            const world = parseWorld(worldOf(stack));
            const expected = [
                { name: "global", cloud: "gcp" as const, tier: "globalgrid:tier:Global" },
                ...world.continents.map((c) => ({ name: `${c.name}-cp`, cloud: c.cloud, tier: "globalgrid:tier:Continent" })),
                ...allRegions(world).map((r) => ({ name: `${r.name}-dp`, cloud: r.cloud, tier: "globalgrid:tier:Region" })),
            ];

            it("builds each cluster as a component of its cloud directly under the tier that owns it, with the cluster, system pool and Kubernetes provider inside", async () => {
                const g = await stackGraph(stack);
                assert.equal(g.ofType(COMPONENT.gcp).length + g.ofType(COMPONENT.aws).length, expected.length);
                for (const e of expected) {
                    const component = g.get(COMPONENT[e.cloud], e.name);
                    assert.equal(g.byUrn.get(component.parent!)!.type, e.tier, `${e.name} under its ${e.tier}`);
                    const inside = g.children(component.urn);
                    assert.equal(inside.filter((r) => r.type === CLUSTER[e.cloud]).length, 1, `${e.name}: its cluster`);
                    assert.ok(inside.some((r) => r.type === "pulumi:providers:kubernetes" && r.name === `${e.name}-k8s`), `${e.name}: its Kubernetes provider`);
                    assert.ok(inside.some((r) => r.type === (e.cloud === "gcp" ? "gcp:container/nodePool:NodePool" : "aws:eks/nodeGroup:NodeGroup") && r.name === `${e.name}-system`), `${e.name}: its system pool`);
                    assert.ok(!inside.some((r) => (TIER_TYPES as readonly string[]).includes(r.type)), "no tier inside a cluster");
                }
            });

            it("aliases every resource it moved to the URN it had under the tier, so `pulumi up` renames and replaces nothing", async () => {
                const g = await stackGraph(stack);
                let moved = 0;
                for (const e of expected) {
                    const component = g.get(COMPONENT[e.cloud], e.name);
                    const tier = component.parent!;
                    const { stack: s, project } = parseUrn(component.urn);
                    for (const r of g.children(component.urn)) {
                        assert.ok(r.aliases?.includes(makeUrn(s, project, tier, r.type, r.name)), `${r.type} ${r.name} keeps its URN under ${parseUrn(tier).name}`);
                        moved++;
                    }
                }
                assert.ok(moved >= expected.length * 10, `${moved} resources moved`);
            });

            it("gives each data center's sandboxed pools to the data center (the contract adds them to the region's cluster)", async () => {
                const g = await stackGraph(stack);
                for (const dc of allDataCenters(world)) {
                    const tier = g.get("globalgrid:tier:DataCenter", dc.name);
                    const region = allRegions(world).find((r) => r.dataCenters.some((d) => d.name === dc.name))!;
                    const type = region.cloud === "gcp" ? "gcp:container/nodePool:NodePool" : "aws:eks/nodeGroup:NodeGroup";
                    const pools = g.children(tier.urn).filter((r) => r.type === type);
                    assert.deepEqual(pools.map((p) => p.name).sort(), [`${dc.name}-job-grid`, `${dc.name}-warm-pool`]);
                    const cluster = g.children(g.get(COMPONENT[region.cloud], `${region.name}-dp`).urn).find((r) => r.type === CLUSTER[region.cloud])!;
                    for (const p of pools) assert.ok(Object.values(p.propertyDependencies).flat().includes(cluster.urn), `${p.name} joins ${cluster.name}`);
                }
            });

            it("the control plane trusts the token issuer the contract gives for each data-plane cluster, whichever cloud", async () => {
                const g = await stackGraph(stack);
                for (const r of allRegions(world)) {
                    const method = g.ofType("consul:index/aclAuthMethod:AclAuthMethod").find((m) => g.regionOf(m) === r.name)!;
                    const config = JSON.parse(method.inputs.configJson as string) as { BoundIssuer: string };
                    const cluster = g.children(g.get(COMPONENT[r.cloud], `${r.name}-dp`).urn).find((x) => x.type === CLUSTER[r.cloud])!;
                    const issuer =
                        r.cloud === "gcp"
                            ? `https://container.googleapis.com/v1/projects/${world.gcpProject}/locations/${r.location}/clusters/${cluster.inputs.name}`
                            : (cluster.outputs.identities as { oidcs: { issuer: string }[] }[])[0].oidcs[0].issuer;
                    assert.equal(config.BoundIssuer, issuer, r.name);
                }
            });
        });
    }
});
