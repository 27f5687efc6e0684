import * as fs from "node:fs";
import { z } from "zod";

/** An agent's config file could not be read or does not match the agent's schema. */
export class ConfigError extends Error {
    constructor(
        message: string,
        readonly problems: string[],
    ) {
        super(message);
        this.name = "ConfigError";
    }
}

/** `a.b[0].c` for a zod issue path. */
export function issuePath(path: Array<string | number>): string {
    let out = "";
    for (const part of path) {
        out += typeof part === "number" ? `[${part}]` : out ? `.${part}` : part;
    }
    return out || "(root)";
}

/**
 * Parses an already-read value with an agent's schema; the error lists every problem with its
 * path, e.g. `subscription.ackDeadlineSeconds: Number must be greater than or equal to 10`.
 */
export function parseConfig<S extends z.ZodTypeAny>(schema: S, value: unknown, source: string): z.infer<S> {
    const result = schema.safeParse(value);
    if (!result.success) {
        const problems = result.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
        throw new ConfigError(
            `invalid config ${source} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}`,
            problems,
        );
    }
    return result.data as z.infer<S>;
}

/** Reads the JSON file at `file` (the agent's mounted ConfigMap) and parses it with `schema`. */
export function loadConfig<S extends z.ZodTypeAny>(schema: S, file: string): z.infer<S> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`, [(err as Error).message]);
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        throw new ConfigError(`config ${file} is not JSON: ${(err as Error).message}`, [(err as Error).message]);
    }
    return parseConfig(schema, value, file);
}
