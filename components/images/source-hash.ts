import { createHash } from "crypto";
import { readdirSync, readFileSync, statSync } from "fs";
import * as path from "path";

/**
 * What the build context (the repository root) leaves out: installed dependencies, build and plan
 * output, VCS and Pulumi state. `.dockerignore` at the repository root lists the same entries
 * (tests/images.test.ts holds them equal), so the context BuildKit receives, the docker-build
 * provider's context hash and `sourceHash` all cover the same files.
 */
export const CONTEXT_EXCLUDES = ["node_modules", "dist", "out", "bin", ".git", ".pulumi"];
const EXCLUDED = new Set(CONTEXT_EXCLUDES);

function files(root: string, rel: string): string[] {
    const abs = rel ? path.join(root, rel) : root;
    if (!statSync(abs).isDirectory()) return [rel];
    return readdirSync(abs)
        .filter((entry) => !EXCLUDED.has(entry))
        .sort()
        .flatMap((entry) => files(root, rel ? path.posix.join(rel, entry) : entry));
}

const cache = new Map<string, { stamp: string; hash: string }>();

/**
 * A content hash of the build context under `root` (file names and bytes, in a fixed order),
 * without the excluded directories: what the docker-build provider hashes to decide a rebuild.
 */
export function sourceHash(root: string): string {
    const list = files(path.resolve(root), "");
    // one walk per process and state of the tree: names, sizes and modification times
    const stamp = list.map((f) => `${f}:${statSync(path.join(root, f)).size}:${statSync(path.join(root, f)).mtimeMs}`).join("\n");
    const hit = cache.get(root);
    if (hit?.stamp === stamp) return hit.hash;
    const h = createHash("sha256");
    for (const rel of list) h.update(rel).update("\0").update(readFileSync(path.join(root, rel))).update("\0");
    const hash = h.digest("hex");
    cache.set(root, { stamp, hash });
    return hash;
}
