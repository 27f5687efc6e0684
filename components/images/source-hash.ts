import { createHash } from "crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import * as path from "path";

/**
 * What a build with the repository root as context leaves out by default (`.dockerignore` at the
 * root, tests/images.test.ts holds them equal): installed dependencies, build and plan output, VCS
 * and Pulumi state. The agent images narrow their contexts further (AGENT_DOCKERIGNORE).
 */
export const CONTEXT_EXCLUDES = ["node_modules", "dist", "out", "bin", ".git", ".pulumi"];

/** The one Dockerfile of every agent image (the `AGENT` build arg picks the agent). */
export const AGENT_DOCKERFILE = "agents/Dockerfile";
/** Its own ignore file: BuildKit and the docker-build provider read it before the root .dockerignore. */
export const AGENT_DOCKERIGNORE = `${AGENT_DOCKERFILE}.dockerignore`;
/** The named build context holding the agent's own directory (`COPY --from=agent ...`). */
export const AGENT_CONTEXT = "agent";

/** Every workspace manifest: `npm ci` in the image build needs all of them to match the lockfile. */
const WORKSPACE_MANIFESTS = ["policies", "agents/common", "agents/runtime", "agents/job-supervisor", "agents/scaler", "agents/broker"].map((w) => `${w}/package.json`);

/**
 * What every agent's build reads from the repository root (the main context after
 * AGENT_DOCKERIGNORE; tests/agent-dockerfiles.test.ts holds this list, the Dockerfile's COPY sources
 * and the ignore file equal): the manifests and compiler settings, the shared library, the runtime's
 * request contract. No agent's own sources are among them.
 */
export const SHARED_BUILD_INPUTS = ["package.json", "package-lock.json", "tsconfig.json", ...WORKSPACE_MANIFESTS, "agents/tsconfig.build.json", "agents/common/src", "agents/runtime/src/contract.ts"];
/** What an agent's build reads from its own directory (the `agent` named context after AGENT_DOCKERIGNORE). */
export const OWN_BUILD_INPUTS = ["package.json", "tsconfig.build.json", "src"];

/** One line of a .dockerignore: a path pattern, `!` re-including what it matches. */
interface IgnorePattern {
    regex: RegExp;
    include: boolean;
}

/** `**` any number of path segments, `*` and `?` within one segment (moby/patternmatcher). */
function patternRegex(pattern: string): RegExp {
    let re = "";
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (pattern.startsWith("**/", i)) {
            re += "(.*/)?";
            i += 2;
        } else if (pattern.startsWith("**", i)) {
            re += ".*";
            i += 1;
        } else if (c === "*") re += "[^/]*";
        else if (c === "?") re += "[^/]";
        else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`^${re}$`);
}

/** The patterns of an ignore file (comments and blank lines dropped, paths cleaned). */
export function readIgnoreFile(file: string): IgnorePattern[] {
    return readFileSync(file, "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => {
            const include = l.startsWith("!");
            const cleaned = path.posix.normalize((include ? l.slice(1) : l).trim()).replace(/^\/+|\/+$/g, "");
            return { regex: patternRegex(cleaned), include };
        });
}

/** Whether the context leaves `rel` out: the last pattern matching the path or one of its parents decides. */
export function ignored(rel: string, patterns: IgnorePattern[]): boolean {
    const parts = rel.split("/");
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let out = false;
    for (const p of patterns) if (candidates.some((c) => p.regex.test(c))) out = !p.include;
    return out;
}

/** The files of a local build context that an ignore file leaves in (VCS and installed dependencies never walked). */
export function contextFiles(root: string, patterns: IgnorePattern[]): string[] {
    const walk = (rel: string): string[] => {
        const abs = rel ? path.join(root, rel) : root;
        if (!statSync(abs).isDirectory()) return ignored(rel, patterns) ? [] : [rel];
        return readdirSync(abs)
            .filter((entry) => entry !== ".git" && entry !== "node_modules")
            .sort()
            .flatMap((entry) => walk(rel ? path.posix.join(rel, entry) : entry));
    };
    return walk("");
}

/**
 * What the docker-build provider hashes to decide a rebuild (provider/internal/context.go
 * hashBuildContext): the Dockerfile's bytes, then the files of the context and of each named
 * context, all filtered by `<Dockerfile>.dockerignore` if it exists, else the context's .dockerignore.
 */
export function buildContextHash(context: string, dockerfile: string, named: Record<string, string> = {}): string {
    const ignoreFile = [`${dockerfile}.dockerignore`, path.join(context, ".dockerignore")].find((f) => existsSync(f));
    const patterns = ignoreFile ? readIgnoreFile(ignoreFile) : [];
    const h = createHash("sha256").update(readFileSync(dockerfile));
    for (const dir of [context, ...Object.keys(named).sort().map((k) => named[k])]) {
        for (const rel of contextFiles(dir, patterns)) h.update(rel).update("\0").update(readFileSync(path.join(dir, rel))).update("\0");
    }
    return h.digest("hex");
}

/**
 * One agent's source hash: the build context hash of its image (the repository root and its own
 * directory through agents/Dockerfile.dockerignore). It changes when the agent's sources, the shared
 * library or the build settings change, and not when another agent's sources do.
 */
export function agentSourceHash(root: string, dir: string): string {
    return buildContextHash(root, path.join(root, AGENT_DOCKERFILE), { [AGENT_CONTEXT]: path.join(root, "agents", dir) });
}
