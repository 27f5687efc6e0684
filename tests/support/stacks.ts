import * as fs from "node:fs";
import * as path from "node:path";
import { runStack, type Graph, type RunOptions } from "../../engine/run";
import { GraphIndex } from "../../engine/graph";

const cache = new Map<string, Promise<GraphIndex>>();

/** The recorded graph of a stack file, run once per test process. */
export function stackGraph(stack: "staging" | "prod"): Promise<GraphIndex> {
    let g = cache.get(stack);
    if (!g) {
        g = runStack({ stack }).then((graph) => {
            if (graph.error) throw graph.error;
            return new GraphIndex(graph);
        });
        cache.set(stack, g);
    }
    return g;
}

/** Runs a one-off config (not cached). */
export async function runWorld(opts: RunOptions): Promise<Graph> {
    return runStack(opts);
}

export const STACKS = ["staging", "prod"] as const;

/**
 * A small world of its own for component tests: one GCP region with two data centers and one AWS
 * region with one (tests/fixtures/world-small.json). Tests on it assert what a component does with any world,
 * not what the stack files happen to hold; editing a stack file never breaks them.
 */
export function fixtureWorld(): Record<string, any> {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "world-small.json"), "utf8")) as Record<string, any>;
}

let fixture: Promise<GraphIndex> | undefined;

/** The recorded graph of the fixture world, run once per test process. */
export function fixtureGraph(): Promise<GraphIndex> {
    fixture ??= runStack({ stack: "fixture", config: { "globalgrid:world": JSON.stringify(fixtureWorld()) } }).then((graph) => {
        if (graph.error) throw graph.error;
        return new GraphIndex(graph);
    });
    return fixture;
}
