import { readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/** Reads `Pulumi.<stack>.yaml` and returns its config as Pulumi passes it to a program: structured values JSON-encoded. */
export function loadStackConfig(stack: string, dir = PROJECT_DIR): Record<string, string> {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch {
        throw new Error(`no stack file ${file} (stacks are Pulumi.<name>.yaml in ${dir})`);
    }
    return configFromDocument(parse(text) as { config?: Record<string, unknown> });
}

export function configFromDocument(doc: { config?: Record<string, unknown> } | null): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc?.config ?? {})) out[k] = typeof v === "string" ? v : JSON.stringify(v);
    return out;
}

/** The raw `globalgrid:world` object of a stack file, for tests that derive variants of it. */
export function loadWorldDocument(stack: string, dir = PROJECT_DIR): Record<string, unknown> {
    return JSON.parse(loadStackConfig(stack, dir)["globalgrid:world"]) as Record<string, unknown>;
}
