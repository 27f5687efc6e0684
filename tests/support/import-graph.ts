import { existsSync, readdirSync, readFileSync } from "fs";
import * as path from "path";
import * as ts from "typescript";

/** Relative imports between a set of source files: file -> the files it imports (type-only imports count too). */
export type ImportGraph = Map<string, string[]>;

/** Every `.ts` file under `dir`, as paths relative to `root` with forward slashes. */
export function sourceFiles(root: string, dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.name.endsWith(".ts")) out.push(path.relative(root, p).split(path.sep).join("/"));
        }
    };
    walk(path.join(root, dir));
    return out.sort();
}

/**
 * The import graph of `files` (paths relative to `root`), read with `ts.preProcessFile`: every
 * relative `import`/`export ... from`/`import type` that resolves to `<x>.ts` or `<x>/index.ts`.
 * `read` is how a file's text is obtained (the disk by default; tests pass fixtures).
 */
export function importGraph(root: string, files: string[], read: (rel: string) => string | undefined = (rel) => (existsSync(path.join(root, rel)) ? readFileSync(path.join(root, rel), "utf8") : undefined)): ImportGraph {
    const known = new Set(files);
    const graph: ImportGraph = new Map();
    for (const file of files) {
        const text = read(file) ?? "";
        const targets = new Set<string>();
        for (const imp of ts.preProcessFile(text, true, true).importedFiles) {
            if (!imp.fileName.startsWith(".")) continue;
            const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), imp.fileName));
            const hit = [`${base}.ts`, `${base}/index.ts`, base].find((c) => known.has(c));
            if (hit) targets.add(hit);
        }
        graph.set(file, [...targets].sort());
    }
    return graph;
}

/** Imports `from -> to` where `to` matches `forbidden` and `from` does not match `allowed`. */
export function forbiddenImports(graph: ImportGraph, forbidden: (to: string) => boolean, allowed: (from: string) => boolean): string[] {
    const out: string[] = [];
    for (const [from, tos] of graph) {
        if (allowed(from)) continue;
        for (const to of tos) if (forbidden(to)) out.push(`${from} -> ${to}`);
    }
    return out.sort();
}

/** The import cycles of the graph: its strongly connected components of more than one file (or a file importing itself), each sorted. */
export function importCycles(graph: ImportGraph): string[][] {
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
        index.set(v, next);
        low.set(v, next);
        next++;
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) {
                low.set(v, Math.min(low.get(v)!, index.get(w)!));
            }
        }
        if (low.get(v) === index.get(v)) {
            const scc: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                scc.push(w);
            } while (w !== v);
            if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort());
        }
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    return cycles;
}
