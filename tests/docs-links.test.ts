import { strict as assert } from "assert";
import { existsSync, readdirSync, readFileSync } from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");

/** The repository's own documents: the README and everything in docs/. */
const documents = ["README.md", ...readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Relative markdown link targets `[text](target)` of a document, without #anchors. */
function relativeLinks(markdown: string): string[] {
    return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1].split("#")[0])
        .filter((t) => t !== "" && !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe("documents link only to files of the repository", () => {
    for (const doc of documents) {
        it(`${doc}: every relative link resolves inside the repository`, () => {
            const dir = path.dirname(path.join(ROOT, doc));
            for (const target of relativeLinks(readFileSync(path.join(ROOT, doc), "utf8"))) {
                const resolved = path.resolve(dir, target);
                assert.ok(!path.relative(ROOT, resolved).startsWith(".."), `${doc} links ${target}, outside the repository (a clone does not have it)`);
                assert.ok(existsSync(resolved), `${doc} links ${target}, which does not exist`);
            }
        });
    }
});
