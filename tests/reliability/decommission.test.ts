import { strict as assert } from "assert";
import { GraphIndex } from "../../engine/graph";
import { runStack } from "../../engine/run";
import { stackGraph } from "../support/stacks";
import { worldOf } from "../support/world-variants";

describe("removing a region in prod", () => {
    it("is refused by protection until the region is marked for decommission, which unprotects that region only", async () => {
        const prod = await stackGraph("prod");
        const protectedIn = (g: GraphIndex, region: string) => g.resources.filter((r) => r.protect && g.regionOf(r) === region).map((r) => r.urn);
        const before = protectedIn(prod, "par");
        assert.ok(before.length > 0, "par has protected resources in prod");

        const w = worldOf("prod");
        w.continents.eu.regions.par.decommission = true;
        const run = await runStack({ stack: "prod", world: w });
        if (run.error) throw run.error;
        const next = new GraphIndex(run);
        assert.deepEqual(protectedIn(next, "par"), [], "a decommissioning region protects nothing");
        for (const r of prod.resources) {
            if (prod.regionOf(r) === "par") continue;
            assert.equal(next.byUrn.get(r.urn)?.protect, r.protect, `${r.urn} outside par keeps its protection`);
        }
        const gke = next.get("gcp:container/cluster:Cluster", "par-dp");
        assert.equal(gke.inputs.deletionProtection, false, "GKE deletion protection is lifted too");
    });
});
