/**
 * `npm run plan -- --stack <name> [--stack <name> ...] [--baseline <old plan.json>] [--out <dir>]`:
 * runs the real program against the offline engine and writes out/<stack>/: plan.json, the Kubernetes
 * manifests, k8s-report.json, topology.svg/.png, policy-report.json and (with --baseline) diff.json.
 * Exits non-zero on invalid config, an invalid Kubernetes object, an unexcepted Kubernetes finding or a
 * mandatory policy violation.
 */
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { GraphIndex } from "../engine/graph";
import { toPlan, tierTree, type Plan } from "../engine/plan";
import { diffPlans, formatDiff } from "../engine/report/diff";
import { loadExceptions } from "../engine/report/exceptions";
import { k8sErrorLines, k8sReport } from "../engine/report/k8s-report";
import { collectManifests, writeManifests } from "../engine/report/manifests";
import { Progress, summaryLine, type Summary } from "../engine/report/progress";
import { topologyDot, topologyPng, topologySvg } from "../engine/report/topology";
import { runStack, STACK_TYPE, type RunOptions } from "../engine/run";
import { PROJECT_DIR } from "../engine/stack-config";
import { mandatory, policyReport } from "../policies/report";
import type { PackConfig } from "../policies/runner";

interface Args {
    stacks: string[];
    out: string;
    baseline?: string;
}

const USAGE = "usage: npm run plan -- --stack <name> [--stack <name> ...] [--baseline <old plan.json>] [--out <dir>]";

function parseArgs(argv: string[]): Args {
    const stacks: string[] = [];
    let out = path.join(PROJECT_DIR, "out");
    let baseline: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") stacks.push(argv[++i]);
        else if (a.startsWith("--stack=")) stacks.push(a.slice(8));
        else if (a === "--out") out = argv[++i];
        else if (a === "--baseline") baseline = argv[++i];
        else if (a.startsWith("--baseline=")) baseline = a.slice(11);
        else throw new Error(`unknown argument ${a}; ${USAGE}`);
    }
    if (stacks.length === 0 || stacks.some((s) => !s) || (baseline !== undefined && !baseline)) throw new Error(USAGE);
    if (baseline && stacks.length > 1) throw new Error("--baseline compares one stack: give exactly one --stack");
    return { stacks, out, baseline };
}

export interface PlanOptions {
    /** the plan to compare with (read before anything is written: it may be out/<stack>/plan.json itself) */
    baseline?: { plan: Plan; file: string };
    /** replaces the stack file's world (tests, what-ifs) */
    world?: RunOptions["world"];
    /** where progress goes; stderr by default */
    progress?: NodeJS.WriteStream;
    /** replaces policies/config/<stack>.json (tests, what-ifs with a stricter pack config) */
    policyConfig?: PackConfig;
}

const rel = (p: string) => path.relative(process.cwd(), p) || ".";

/** Plans one stack into <outRoot>/<stack>/ and returns its summary. */
export async function plan(stack: string, outRoot: string, opts: PlanOptions = {}): Promise<Summary> {
    const progress = new Progress(stack, opts.progress);
    progress.step("running the program on the offline engine");
    const graph = await runStack({ stack, world: opts.world, onProgress: (n) => progress.tick(`${n} resources registered`) });
    const failed = (): Summary => ({ stack, ok: false, resources: 0, clusters: 0, regions: 0, dataCenters: 0, violations: 0, seconds: progress.elapsed() });
    if (graph.error) {
        console.error(`plan ${stack}: ${graph.error.message}`);
        return failed();
    }
    const g = new GraphIndex(graph);
    const dir = path.join(outRoot, stack);
    mkdirSync(dir, { recursive: true });
    const current = toPlan(g);
    writeFileSync(path.join(dir, "plan.json"), JSON.stringify(current, null, 2) + "\n");
    const resources = current.resources.filter((r) => r.type !== STACK_TYPE).length;
    progress.step(`${resources} resources in ${graph.seconds.toFixed(1)}s -> ${rel(dir)}/plan.json`);
    console.log(`stack ${stack}`);
    console.log(tierTree(g));

    const manifests = collectManifests(g);
    writeManifests(path.join(dir, "manifests"), manifests);
    progress.step(`${manifests.length} Kubernetes objects -> ${rel(dir)}/manifests/`);
    const k8s = await k8sReport(stack, manifests, loadExceptions());
    writeFileSync(path.join(dir, "k8s-report.json"), JSON.stringify(k8s, null, 2) + "\n");
    for (const line of k8sErrorLines(k8s)) console.error(`k8s ${stack}: ${line}`);
    const excepted = k8s.checks.findings.filter((f) => f.excepted).length;
    progress.step(
        `Kubernetes checks: ${k8s.schema.errors.length} schema errors, ${k8s.errors - k8s.schema.errors.length} unexcepted findings (${excepted} excepted)` +
            `${k8s.schema.unvalidated.length ? `, ${k8s.schema.unvalidated.length} without schema` : ""} -> ${rel(dir)}/k8s-report.json`,
    );

    const svg = await topologySvg(topologyDot(g));
    writeFileSync(path.join(dir, "topology.svg"), svg);
    writeFileSync(path.join(dir, "topology.png"), topologyPng(svg));
    progress.step(`topology -> ${rel(dir)}/topology.svg, topology.png`);

    // mandatory policy violations fail the plan
    const policies = await policyReport(graph, opts.policyConfig);
    writeFileSync(path.join(dir, "policy-report.json"), JSON.stringify(policies, null, 2) + "\n");
    const blocking = mandatory(policies);
    for (const v of blocking) console.error(`policy ${v.policy} (mandatory): ${v.message}\n  ${v.urn}`);
    progress.step(`policies: ${blocking.length} mandatory, ${policies.violations.length - blocking.length} advisory -> ${rel(dir)}/policy-report.json`);

    if (opts.baseline) {
        const diff = diffPlans(opts.baseline.plan, current);
        writeFileSync(path.join(dir, "diff.json"), JSON.stringify(diff, null, 2) + "\n");
        console.log(formatDiff(diff, rel(opts.baseline.file)));
        progress.step(`diff -> ${rel(dir)}/diff.json`);
    }

    const violations = blocking.length + k8s.errors;
    return {
        stack,
        ok: violations === 0,
        resources,
        clusters: g.ofType("gcp:container/cluster:Cluster").length + g.ofType("aws:eks/cluster:Cluster").length,
        regions: g.ofType("globalgrid:tier:Region").length,
        dataCenters: g.ofType("globalgrid:tier:DataCenter").length,
        violations,
        seconds: progress.elapsed(),
    };
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const baseline = args.baseline ? { file: args.baseline, plan: JSON.parse(readFileSync(args.baseline, "utf8")) as Plan } : undefined;
    const summaries: Summary[] = [];
    for (const s of args.stacks) summaries.push(await plan(s, args.out, { baseline }));
    for (const s of summaries) console.log(summaryLine(s));
    process.exit(summaries.every((s) => s.ok) ? 0 : 1);
}

if (require.main === module) {
    main().catch((e: Error) => {
        console.error(e.message);
        process.exit(2);
    });
}
