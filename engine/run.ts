import * as pulumi from "@pulumi/pulumi";
import { WorldMocks } from "./mocks";
import { recordRegistrations, type RecordedResource } from "./recorder";
import { loadStackConfig } from "./stack-config";

export const PROJECT = "globalgrid";
export const STACK_TYPE = "pulumi:pulumi:Stack";

export interface RunOptions {
    /** stack name; its Pulumi.<stack>.yaml is loaded unless `config` is given */
    stack: string;
    /** full config map (`globalgrid:world` JSON-encoded), instead of the stack file */
    config?: Record<string, string>;
    /** replaces `globalgrid:world` in the stack's config */
    world?: unknown;
    /** the program to run; the real one by default */
    program?: () => unknown;
    /** called about every 250 ms with the number of resources registered so far (progress display) */
    onProgress?: (registered: number) => void;
}

/** The recorded graph of one run. `error` is set when the program threw (for example, invalid config). */
export interface Graph {
    project: string;
    stack: string;
    resources: RecordedResource[];
    /** stack outputs, secrets wrapped */
    outputs: Record<string, unknown>;
    error?: Error;
    seconds: number;
}

// waitForRPCs is exported by the runtime's settings module but not by its public index.
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** Frames kept in the SDK's per-promise debug stacks while a program runs. */
const PROMISE_STACK_FRAMES = 0;

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the program against Pulumi's mock monitor (no CLI, credentials or network) and records the
 * graph. Runs are serialized: the Pulumi runtime is process-global.
 */
export function runStack(opts: RunOptions): Promise<Graph> {
    const run = queue.then(() => runOnce(opts));
    queue = run.catch(() => undefined);
    return run;
}

async function runOnce(opts: RunOptions): Promise<Graph> {
    const config = { ...(opts.config ?? loadStackConfig(opts.stack)) };
    if (opts.world !== undefined) config["globalgrid:world"] = JSON.stringify(opts.world);
    let accountId = "000000000000";
    let project = config["gcp:project"] ?? "gg-mock-project";
    try {
        const w = JSON.parse(config["globalgrid:world"] ?? "{}") as { aws?: { accountId?: string }; gcp?: { project?: string } };
        accountId = w.aws?.accountId ?? accountId;
        project = w.gcp?.project ?? project;
    } catch {
        // the program reports a malformed world itself
    }
    await pulumi.runtime.setMocks(new WorldMocks(project, accountId), PROJECT, opts.stack, false);
    pulumi.runtime.setAllConfig(config);
    const resources = recordRegistrations();
    const program = opts.program ?? (() => (require("../components/world") as typeof import("../components/world")).defineWorld());
    const started = process.hrtime.bigint();
    const progress = opts.onProgress && setInterval(() => opts.onProgress?.(resources.length), 250);
    let error: Error | undefined;
    // The SDK captures `new Error().stack` for every promise it tracks (only to debug leaked
    // promises); with ts-node's source-map support each capture mapped every frame through source
    // maps, which dominated evaluation time. While the program runs, stacks use V8's plain
    // formatting and a short limit (the SDK lifts the limit itself where it needs a resource's
    // source position). See docs/performance.md.
    const errorClass = Error as { prepareStackTrace?: unknown; stackTraceLimit: number };
    const { prepareStackTrace, stackTraceLimit } = errorClass;
    errorClass.prepareStackTrace = undefined;
    errorClass.stackTraceLimit = PROMISE_STACK_FRAMES;
    try {
        await pulumi.runtime.runInPulumiStack(async () => program());
    } catch (e) {
        error = e as Error;
    }
    await settings.waitForRPCs().catch((e: Error) => (error ??= e));
    errorClass.prepareStackTrace = prepareStackTrace;
    errorClass.stackTraceLimit = stackTraceLimit;
    if (progress) clearInterval(progress);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stackResource = resources.find((r) => r.type === STACK_TYPE);
    return { project: PROJECT, stack: opts.stack, resources, outputs: stackResource?.outputs ?? {}, error, seconds };
}

/** The resources a run created, without the stack root that every Pulumi program has. */
export const programResources = (g: Graph): RecordedResource[] => g.resources.filter((r) => r.type !== STACK_TYPE);
