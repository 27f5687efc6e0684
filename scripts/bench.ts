/**
 * `npm run bench`: evaluation cost of the program at world scale, through the offline engine.
 * For synthetic worlds of 6, 25 and 100 regions (2 data centers each, mixed clouds) it measures our
 * program and a floor program that registers the same custom resources (types, names, recorded
 * inputs) flat, with no components, config or output plumbing: the SDK's own cost. Prints a table
 * and a final `bench:` line. Figures, not assertions: the machines are shared and noisy.
 *
 * Options: --regions 6,25,100   --repeat 3 (median of N runs per program)
 */
import * as pulumi from "@pulumi/pulumi";
import { GraphIndex } from "../engine/graph";
import { crossRegionEdges, dependencyDepth } from "../engine/graph-metrics";
import { runStack, STACK_TYPE, type Graph } from "../engine/run";
import { syntheticWorld } from "../engine/synthetic-world";
import { loadStackConfig } from "../engine/stack-config";
import { resourceClass } from "../engine/resource-classes";

interface Sample {
    seconds: number;
    peakHeapMb: number;
    graph: Graph;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function measure(run: () => Promise<Graph>): Promise<Sample> {
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
    const started = process.hrtime.bigint();
    const graph = await run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    if (graph.error) throw graph.error;
    return { seconds, peakHeapMb: (peak - baseline) / 2 ** 20, graph };
}

const median = (xs: Sample[]) => [...xs].sort((a, b) => a.seconds - b.seconds)[Math.floor(xs.length / 2)];

/** A resource of any type with given inputs: what the floor program registers. */
class FlatResource extends pulumi.CustomResource {
    constructor(type: string, name: string, inputs: pulumi.Inputs) {
        super(type, name, inputs);
    }
}

/** Every custom resource of our run, registered flat through its own SDK class with its recorded inputs. */
function floorProgram(ours: Graph): () => void {
    const flat = ours.resources.filter((r) => r.custom && r.type !== STACK_TYPE && !r.type.startsWith("pulumi:providers:"));
    const missing = [...new Set(flat.filter((r) => !resourceClass(r.type)).map((r) => r.type))];
    if (missing.length) console.error(`floor: no SDK class for ${missing.join(", ")}; registering those generically`);
    return () => {
        for (const r of flat) {
            const Cls = resourceClass(r.type);
            if (Cls) new Cls(r.name, r.inputs);
            else new FlatResource(r.type, r.name, r.inputs);
        }
    };
}

function arg(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main() {
    const sizes = arg("regions", "6,25,100").split(",").map(Number);
    const repeat = Number(arg("repeat", "3"));
    const config = loadStackConfig("staging");
    const cfg = (regions: number) => ({ ...config, "globalgrid:world": JSON.stringify(syntheticWorld(regions)) });
    await runStack({ stack: "bench", config: cfg(2) }); // warm up module loading and the JIT

    const header = ["regions", "resources", "ours s", "floor s", "ratio", "ours MB", "floor MB", "us/res", "KB/res", "depth", "x-region"];
    console.log(header.map((h) => h.padStart(9)).join(" "));
    let last = "";
    for (const regions of sizes) {
        const oursRuns: Sample[] = [];
        for (let i = 0; i < repeat; i++) oursRuns.push(await measure(() => runStack({ stack: "bench", config: cfg(regions) })));
        const ours = median(oursRuns);
        const floor = floorProgram(ours.graph);
        const floorRuns: Sample[] = [];
        for (let i = 0; i < repeat; i++) floorRuns.push(await measure(() => runStack({ stack: "bench", config: {}, program: floor })));
        const fl = median(floorRuns);
        const g = new GraphIndex(ours.graph);
        const resources = g.resources.length - 1;
        const ratio = ours.seconds / fl.seconds;
        const depth = dependencyDepth(g);
        const cross = crossRegionEdges(g).length;
        const row = [regions, resources, ours.seconds.toFixed(2), fl.seconds.toFixed(2), ratio.toFixed(2), ours.peakHeapMb.toFixed(0), fl.peakHeapMb.toFixed(0), ((ours.seconds * 1e6) / resources).toFixed(0), ((ours.peakHeapMb * 1024) / resources).toFixed(1), depth, cross];
        console.log(row.map((c) => String(c).padStart(9)).join(" "));
        last = `bench: regions=${regions} resources=${resources} ratio=${ratio.toFixed(2)} depth=${depth} cross_region_edges=${cross}`;
    }
    console.log(last);
}

main().then(
    () => process.exit(0),
    (e: Error) => {
        console.error(e.stack ?? e.message);
        process.exit(1);
    },
);
