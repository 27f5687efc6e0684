import { strict as assert } from "assert";
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { WorldConfigError } from "../../components/config/load";
import { programResources, runStack } from "../../engine/run";
import { setPath, worldOf } from "../support/world-variants";

interface Fixture {
    what: string;
    base: "staging" | "prod";
    set?: Record<string, unknown>;
    unset?: string[];
    expect: { path: string; rule: string };
}

const DIR = path.join(__dirname, "..", "fixtures", "invalid");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort();

/** The fixture's whole stack config: its base stack's world with the edits applied. */
function worldFor(f: Fixture): Record<string, any> {
    const w = worldOf(f.base);
    for (const [p, v] of Object.entries(f.set ?? {})) setPath(w, p, v);
    for (const p of f.unset ?? []) setPath(w, p, undefined);
    return w;
}

describe("bad input corpus (tests/fixtures/invalid)", () => {
    it("holds at least 30 malformed configs", () => assert.ok(files.length >= 30, `${files.length} fixtures`));

    for (const file of files) {
        const fixture = parse(readFileSync(path.join(DIR, file), "utf8")) as Fixture;
        it(`${file}: ${fixture.what} -> ${fixture.expect.path}`, async () => {
            const g = await runStack({ stack: fixture.base, world: worldFor(fixture) });
            assert.ok(g.error instanceof WorldConfigError, `expected a WorldConfigError, got ${g.error?.message ?? "success"}`);
            const hit = g.error.issues.find((i) => i.path === fixture.expect.path);
            assert.ok(hit, `no problem at ${fixture.expect.path}; got ${g.error.issues.map((i) => i.path).join(", ")}`);
            assert.ok(hit.message.includes(fixture.expect.rule), `"${hit.message}" does not state the rule "${fixture.expect.rule}"`);
            assert.ok(g.error.message.includes(`${fixture.expect.path}: ${hit.message}`), "the thrown message names path and rule");
            assert.deepEqual(programResources(g).map((r) => r.urn), [], "nothing may be registered");
        });
    }
});
