/**
 * The fully resolved world of each stack file (parseWorld: schema defaults, `defaults` and overrides
 * merged into every region and data center) against a committed snapshot. A change to the schema's
 * defaults, to the merge or to a stack file that alters any effective value fails here.
 *
 * When the change is intended, regenerate the snapshots and review their diff before committing:
 *
 *     UPDATE_RESOLVED=1 npx mocha --no-config -r ts-node/register/transpile-only --extension ts tests/config-resolved.test.ts
 */
import { strict as assert } from "assert";
import { existsSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { parseWorld } from "../components/config/load";
import { loadWorldDocument } from "../engine/stack-config";
import { STACKS } from "./support/stacks";

const fixture = (stack: string) => path.join(__dirname, "fixtures", `resolved-${stack}.json`);
const UPDATE = process.env.UPDATE_RESOLVED === "1";

describe("resolved world snapshot", () => {
    for (const stack of STACKS) {
        it(`${stack}: parseWorld(Pulumi.${stack}.yaml) equals tests/fixtures/resolved-${stack}.json`, () => {
            // a JSON round trip: the snapshot compares values, not object identity or undefined keys
            const resolved = JSON.parse(JSON.stringify(parseWorld(loadWorldDocument(stack))));
            const file = fixture(stack);
            if (UPDATE) writeFileSync(file, JSON.stringify(resolved, null, 2) + "\n");
            assert.ok(existsSync(file), `${path.relative(process.cwd(), file)} is missing; generate it with UPDATE_RESOLVED=1 (see the top of this test)`);
            assert.deepEqual(resolved, JSON.parse(readFileSync(file, "utf8")), `the resolved ${stack} world changed; if intended, regenerate with UPDATE_RESOLVED=1 and review the fixture diff`);
        });
    }
});
