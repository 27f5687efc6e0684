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
