import { checkRules, type ConfigIssue } from "./rules";
import { worldSchema } from "./schema";
import { resolveWorld, type World } from "./model";

/** Thrown for an invalid `globalgrid:world`: one error listing every problem with its path. */
export class WorldConfigError extends Error {
    constructor(readonly issues: ConfigIssue[]) {
        super(`invalid globalgrid:world (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` + issues.map((i) => `  ${i.path}: ${i.message}`).join("\n"));
        this.name = "WorldConfigError";
    }
}

/** Parses and validates a raw `globalgrid:world` value; returns the effective world or throws WorldConfigError. */
export function parseWorld(raw: unknown): World {
    if (raw === undefined || raw === null) throw new WorldConfigError([{ path: "(root)", message: "globalgrid:world is not set" }]);
    const parsed = worldSchema.safeParse(raw);
    if (!parsed.success) {
        throw new WorldConfigError(
            parsed.error.issues.flatMap((i) =>
                i.code === "unrecognized_keys"
                    ? i.keys.map((k) => ({ path: [...i.path, k].join("."), message: `unknown key "${k}" (not part of the world schema; check the spelling)` }))
                    : [{ path: i.path.length ? i.path.join(".") : "(root)", message: i.message }],
            ),
        );
    }
    const issues = checkRules(parsed.data);
    if (issues.length) throw new WorldConfigError(issues);
    return resolveWorld(parsed.data);
}
