import { strict as assert } from "assert";
import { TIER_TYPES } from "../engine/graph";
import { crossRegionEdges } from "../engine/graph-metrics";
import { STACK_TYPE } from "../engine/run";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions } from "../components/config/model";
import { fixtureGraph, fixtureWorld } from "./support/stacks";

describe("tiers", () => {
    // the fixture world (tests/fixtures/world-small.json): a gcp region with two data centers, an aws region with one
    const world = parseWorld(fixtureWorld());

    it("has one Global, and a Continent, Region and DataCenter per config entry", async () => {
        const g = await fixtureGraph();
        assert.equal(g.ofType("globalgrid:tier:Global").length, 1);
        assert.deepEqual(g.ofType("globalgrid:tier:Continent").map((r) => r.name).sort(), world.continents.map((c) => c.name).sort());
        assert.deepEqual(g.ofType("globalgrid:tier:Region").map((r) => r.name).sort(), allRegions(world).map((r) => r.name).sort());
        assert.deepEqual(g.ofType("globalgrid:tier:DataCenter").map((r) => r.name).sort(), allDataCenters(world).map((d) => d.name).sort());
    });

    it("nests continents under global, regions under their continent, data centers under their region", async () => {
        const g = await fixtureGraph();
        const global = g.ofType("globalgrid:tier:Global")[0];
        for (const c of world.continents) {
            const cont = g.get("globalgrid:tier:Continent", c.name);
            assert.equal(cont.parent, global.urn);
            for (const r of c.regions) {
                const reg = g.get("globalgrid:tier:Region", r.name);
                assert.equal(reg.parent, cont.urn, `${r.name} under ${c.name}`);
                for (const dc of r.dataCenters) assert.equal(g.get("globalgrid:tier:DataCenter", dc.name).parent, reg.urn, `${dc.name} under ${r.name}`);
            }
        }
    });

    it("puts every resource below exactly one tier path that starts at Global", async () => {
        const g = await fixtureGraph();
        for (const r of g.resources) {
            if (r.type === STACK_TYPE) continue;
            const path = g.tierPath(r).map((t) => t.type);
            assert.ok(path.length >= 1, `${r.urn} sits below no tier`);
            assert.deepEqual(path, TIER_TYPES.slice(0, path.length), `${r.urn} has tier path ${path.join(" > ")}`);
        }
    });

    it("never adds a dependency from one region's resources to another region's", async () => {
        const g = await fixtureGraph();
        assert.ok(g.resources.some((r) => g.regionOf(r)), "the graph has regional resources");
        assert.deepEqual(crossRegionEdges(g), []);
    });
});
