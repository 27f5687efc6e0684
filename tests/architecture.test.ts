import { strict as assert } from "assert";
import * as path from "path";
import { forbiddenImports, importCycles, importGraph, sourceFiles } from "./support/import-graph";

const ROOT = path.resolve(__dirname, "..");

/** Tiers compose leaves; a leaf (cluster, network, workload, config...) never reaches back up into a tier. */
const isTier = (f: string) => f.startsWith("components/tiers/");
const mayImportTiers = (f: string) => isTier(f) || f === "components/world.ts";

describe("architecture of components/", () => {
    const files = sourceFiles(ROOT, "components");
    const graph = importGraph(ROOT, files);

    it("reads the real tree (the checks below see every component file and its imports)", () => {
        assert.ok(files.length > 50, `${files.length} files`);
        assert.ok(files.includes("components/tiers/region.ts"));
        assert.ok(graph.get("components/world.ts")!.includes("components/tiers/global.ts"), "world.ts imports the global tier");
    });

    it("no file outside components/tiers/ and components/world.ts imports from components/tiers/", () => {
        assert.deepEqual(forbiddenImports(graph, isTier, mayImportTiers), []);
    });

    it("has no import cycle among components/ files", () => {
        assert.deepEqual(importCycles(graph), []);
    });

    describe("the checks themselves, on a fixture tree", () => {
        const fixture: Record<string, string> = {
            "components/world.ts": `import { T } from "./tiers/t";`,
            "components/tiers/t.ts": `import { leaf } from "../a/leaf"; import type { U } from "./u";`,
            "components/tiers/u.ts": `export type U = 1;`,
            "components/a/leaf.ts": `import type { T } from "../tiers/t"; export * from "./b";`,
            "components/a/b.ts": `import { c } from "./c/index"; import * as pulumi from "@pulumi/pulumi";`,
            "components/a/c/index.ts": `export { b } from "../b";`,
        };
        const g = importGraph("/nowhere", Object.keys(fixture), (f) => fixture[f]);

        it("resolves relative imports, type-only ones and re-exports, and ignores packages", () => {
            assert.deepEqual(g.get("components/a/leaf.ts"), ["components/a/b.ts", "components/tiers/t.ts"]);
            assert.deepEqual(g.get("components/a/b.ts"), ["components/a/c/index.ts"]);
        });

        it("finds a leaf importing a tier, and lets world.ts and tiers do it", () => {
            assert.deepEqual(forbiddenImports(g, isTier, mayImportTiers), ["components/a/leaf.ts -> components/tiers/t.ts"]);
        });

        it("names the files of every cycle", () => {
            const cycles = importCycles(g).sort((a, b) => a[0].localeCompare(b[0]));
            assert.deepEqual(cycles, [
                ["components/a/b.ts", "components/a/c/index.ts"],
                ["components/a/leaf.ts", "components/tiers/t.ts"],
            ]);
        });
    });
});
