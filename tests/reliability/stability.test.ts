import { strict as assert } from "assert";
import { GraphIndex } from "../../engine/graph";
import { runStack } from "../../engine/run";
import { reveal } from "../../engine/values";
import { stackGraph } from "../support/stacks";
import { stagingPlusRegion, worldOf } from "../support/world-variants";

type Variant = { what: string; world: () => Record<string, any> };

/** Reverses the key order of every object: the YAML written in another order. */
function reorder(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(reorder);
    if (typeof v !== "object" || v === null) return v;
    return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)]));
}

const variants: Variant[] = [
    { what: "adding a gcp region", world: stagingPlusRegion },
    {
        what: "adding a data center to a gcp region and to an aws region",
        world: () => {
            const w = worldOf("staging");
            w.continents.eu.regions.fra.dataCenters.fra3 = { zone: "europe-west3-c" };
            w.continents.na.regions.was.dataCenters.was3 = { zone: "us-east-1c" };
            return w;
        },
    },
    {
        what: "adding a continent",
        world: () => {
            const w = worldOf("staging");
            w.continents.ap = { cloud: "gcp", location: "asia-northeast1", cidr: "10.3.0.0/16", zones: ["asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"], regions: { tyo: { location: "asia-northeast1", cidr: "10.48.0.0/16", dataCenters: { tyo1: { zone: "asia-northeast1-a" } } } } };
            return w;
        },
    },
    { what: "reordering every map in the YAML", world: () => reorder(worldOf("staging")) as Record<string, any> },
];

describe("stability of what exists", () => {
    for (const v of variants) {
        it(`${v.what} changes no URN and no input of any existing resource`, async () => {
            const base = await stackGraph("staging");
            const run = await runStack({ stack: "staging", world: v.world() });
            if (run.error) throw run.error;
            const next = new GraphIndex(run);
            for (const r of base.resources) {
                const same = next.byUrn.get(r.urn);
                assert.ok(same, `${r.urn} disappeared`);
                assert.deepEqual(reveal(same.inputs), reveal(r.inputs), `${r.urn} inputs changed`);
                assert.equal(same.protect, r.protect, `${r.urn} protect changed`);
                assert.equal(same.provider, r.provider, `${r.urn} provider changed`);
            }
            assert.ok(next.resources.length >= base.resources.length);
        });
    }
});
