import { strict as assert } from "assert";
import { readFileSync } from "fs";
import { z } from "zod";
import { overrideTarget, worldSchema } from "../components/config/schema";
import { CONFIG_DOCS, renderConfigDocs } from "../scripts/config-docs";

describe("docs/config.md", () => {
    it("is what `npm run docs` generates from the current schema", () => {
        assert.ok(readFileSync(CONFIG_DOCS, "utf8") === renderConfigDocs(), "docs/config.md is out of date with components/config/schema.ts: run `npm run docs` and commit the result");
    });

    it("documents every key of the schema with a description", () => {
        const undocumented: string[] = [];
        const visit = (schema: z.ZodTypeAny, at: string) => {
            if (at && !schema.description) undocumented.push(at);
            // an override is documented as a reference to the block it overrides
            if (overrideTarget(schema)) return;
            let inner = schema;
            while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional || inner instanceof z.ZodEffects) {
                inner = inner instanceof z.ZodDefault ? inner.removeDefault() : inner instanceof z.ZodOptional ? inner.unwrap() : inner.innerType();
            }
            if (inner instanceof z.ZodObject) for (const [k, v] of Object.entries(inner.shape as z.ZodRawShape)) visit(v, at ? `${at}.${k}` : k);
            if (inner instanceof z.ZodRecord) visit(inner.valueSchema, `${at}.<name>`);
        };
        visit(worldSchema, "");
        assert.deepEqual(undocumented, []);
    });
});
