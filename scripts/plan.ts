/**
 * `npm run plan -- --stack <name> [--stack <name> ...]`: runs the real program against the offline
 * engine and writes out/<stack>/plan.json. Exits non-zero on invalid config.
 */
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { GraphIndex } from "../engine/graph";
import { toPlan, tierTree } from "../engine/plan";
import { runStack } from "../engine/run";
import { PROJECT_DIR } from "../engine/stack-config";

function parseArgs(argv: string[]): { stacks: string[]; out: string } {
    const stacks: string[] = [];
    let out = path.join(PROJECT_DIR, "out");
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") stacks.push(argv[++i]);
        else if (a.startsWith("--stack=")) stacks.push(a.slice(8));
        else if (a === "--out") out = argv[++i];
        else throw new Error(`unknown argument ${a}; usage: npm run plan -- --stack <name> [--out <dir>]`);
    }
    if (stacks.length === 0 || stacks.some((s) => !s)) throw new Error("usage: npm run plan -- --stack <name> [--stack <name> ...] [--out <dir>]");
    return { stacks, out };
}

export async function plan(stack: string, outRoot: string): Promise<boolean> {
    const graph = await runStack({ stack });
    if (graph.error) {
        console.error(`plan ${stack}: ${graph.error.message}`);
        return false;
    }
    const g = new GraphIndex(graph);
    const dir = path.join(outRoot, stack);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "plan.json"), JSON.stringify(toPlan(g), null, 2) + "\n");
    console.log(`stack ${stack}`);
    console.log(tierTree(g));
    console.log(`wrote ${path.relative(PROJECT_DIR, dir)}/plan.json in ${graph.seconds.toFixed(2)}s`);
    return true;
}

async function main() {
    const { stacks, out } = parseArgs(process.argv.slice(2));
    let ok = true;
    for (const s of stacks) ok = (await plan(s, out)) && ok;
    process.exit(ok ? 0 : 1);
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(2);
});
