/**
 * `npm run docs`: writes docs/config.md, the reference of `globalgrid:world`, generated from the zod
 * schema (components/config/schema.ts): every key's path, type, default, bounds and description.
 * tests/config-docs.test.ts fails when the committed file differs from what this renders.
 */
import { writeFileSync } from "fs";
import * as path from "path";
import { z } from "zod";
import { continentName, dataCenterName, overrideTarget, regionName, worldSchema } from "../components/config/schema";

export const CONFIG_DOCS = path.join(__dirname, "..", "docs", "config.md");

interface Row {
    path: string;
    type: string;
    default: string;
    bounds: string;
    description: string;
}

/** How a record's key shows in a path: `continents.<continent>.regions.<region>...`. */
const RECORD_KEYS = new Map<z.ZodTypeAny, string>([
    [continentName, "<continent>"],
    [regionName, "<region>"],
    [dataCenterName, "<dataCenter>"],
]);

/** Peels `.default()`, `.optional()` and refinements off a schema, keeping what they said. */
function unwrap(schema: z.ZodTypeAny): { inner: z.ZodTypeAny; description?: string; defaultValue?: unknown; optional: boolean } {
    let cur = schema;
    let description: string | undefined;
    let defaultValue: unknown;
    let optional = false;
    for (;;) {
        description ??= cur.description;
        if (cur instanceof z.ZodDefault) {
            defaultValue = (cur._def as z.ZodDefaultDef).defaultValue();
            cur = cur.removeDefault();
        } else if (cur instanceof z.ZodOptional) {
            optional = true;
            cur = cur.unwrap();
        } else if (cur instanceof z.ZodEffects) {
            cur = cur.innerType();
        } else return { inner: cur, description, defaultValue, optional };
    }
}

function numberBounds(n: z.ZodNumber): string {
    const checks = n._def.checks;
    const min = checks.find((c) => c.kind === "min") as { value: number; inclusive: boolean } | undefined;
    const max = checks.find((c) => c.kind === "max") as { value: number; inclusive: boolean } | undefined;
    if (min?.inclusive && max?.inclusive) return `${min.value}..${max.value}`;
    return [min && `${min.inclusive ? ">=" : ">"} ${min.value}`, max && `${max.inclusive ? "<=" : "<"} ${max.value}`].filter(Boolean).join(", ");
}

function stringBounds(s: z.ZodString): string {
    return s._def.checks.map((c) => (c.kind === "regex" ? (c.message ?? `matches ${c.regex}`) : c.kind === "min" ? (c.value === 1 ? "not empty" : `at least ${c.value} characters`) : c.kind === "email" ? "an email address" : "")).filter(Boolean).join("; ");
}

/** Type name and bounds of a leaf (or a list of leaves). */
function leaf(schema: z.ZodTypeAny): { type: string; bounds: string } {
    if (schema instanceof z.ZodNumber) return { type: schema.isInt ? "integer" : "number", bounds: numberBounds(schema) };
    if (schema instanceof z.ZodString) return { type: "string", bounds: stringBounds(schema) };
    if (schema instanceof z.ZodBoolean) return { type: "boolean", bounds: "" };
    if (schema instanceof z.ZodEnum) return { type: "enum", bounds: (schema.options as string[]).map((o) => `\`${o}\``).join(" \\| ") };
    if (schema instanceof z.ZodArray) {
        const element = leaf(unwrap(schema.element).inner);
        const min = schema._def.minLength?.value;
        return { type: `list of ${element.type}`, bounds: [min !== undefined ? `at least ${min}` : "", element.bounds].filter(Boolean).join("; ") };
    }
    return { type: schema.constructor.name, bounds: "" };
}

const showDefault = (v: unknown): string => (v === undefined ? "" : typeof v === "object" ? "" : `\`${String(v)}\``);

function walk(schema: z.ZodTypeAny, at: string, rows: Row[], entry = false): void {
    const { inner, description, defaultValue, optional } = unwrap(schema);
    const row = (type: string, bounds = "") =>
        rows.push({ path: at, type, default: showDefault(defaultValue) || (optional ? "(optional)" : defaultValue === undefined && !entry ? "**required**" : ""), bounds, description: description ?? "" });
    const target = overrideTarget(schema);
    if (target) {
        row(`override of \`${target}\``);
        return;
    }
    if (inner instanceof z.ZodObject) {
        if (at) row("object");
        for (const [key, field] of Object.entries(inner.shape as z.ZodRawShape)) walk(field, at ? `${at}.${key}` : key, rows);
    } else if (inner instanceof z.ZodRecord) {
        const key = RECORD_KEYS.get(inner.keySchema) ?? "<name>";
        row(`map of \`${key}\` to object`, stringBounds(unwrap(inner.keySchema).inner as z.ZodString));
        walk(inner.valueSchema, `${at}.${key}`, rows, true);
    } else {
        const { type, bounds } = leaf(inner);
        row(type, bounds);
    }
}

const cell = (text: string) => text.replace(/\|(?<!\\\|)/g, "\\|").replace(/\n/g, " ");

/** docs/config.md as the schema describes it. */
export function renderConfigDocs(): string {
    const rows: Row[] = [];
    walk(worldSchema, "", rows);
    const lines = [
        "# The world config (`globalgrid:world`)",
        "",
        "<!-- Generated by `npm run docs` from components/config/schema.ts; do not edit by hand. -->",
        "",
        "Each stack file (`Pulumi.<stack>.yaml`) holds one structured value, `globalgrid:world`. Every key",
        "below is validated by the schema in [components/config/schema.ts](../components/config/schema.ts)",
        "and the cross-field rules in [components/config/rules.ts](../components/config/rules.ts) before",
        "anything is created. A key with a default may be left out; a stack file holds only what differs.",
        "",
        "Settings are deep-merged, later layers winning: the schema's default < `defaults.*` in the stack",
        "file < a region's block < a data center's block. An *override* row takes any subset of the keys",
        "of the block it names, at any depth (`consul: { resources: { cpu: \"1\" } }` changes only that value).",
        "",
        "| key | type | default | bounds | description |",
        "|---|---|---|---|---|",
        ...rows.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.bounds)} | ${cell(r.description)} |`),
        "",
    ];
    return lines.join("\n");
}

if (require.main === module) {
    writeFileSync(CONFIG_DOCS, renderConfigDocs());
    console.log(`wrote ${path.relative(process.cwd(), CONFIG_DOCS)}`);
}
