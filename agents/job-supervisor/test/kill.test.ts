import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { subscriberClient } from "../src/subscriber";
import type { SupervisorOutcome } from "../src/supervisor";
import { freePort } from "../../common/src/testing/ports";
import { Harness, NS, POOL } from "./harness";

const MAIN = path.join(__dirname, "..", "src", "main.ts");

/**
 * The supervisor process (src/main.ts, its real entry point) is SIGKILLed at each step of a job;
 * afterwards the lease runs out (PubSubServer.expireLeases stands for the ack deadline passing)
 * and a fresh supervisor on a fresh pool pod takes over. Each message must end acked exactly once,
 * and never be acked unless a run of the job finished.
 */
describe("job supervisor killed at every step", function () {
    this.timeout(90_000);
    let h: Harness;
    let child: ChildProcess | undefined;
    /** children this test killed on purpose (any other exit before the kill point fails the test) */
    const killing = new Set<ChildProcess>();

    beforeEach(async () => {
        h = await Harness.start();
    });
    afterEach(async () => {
        child?.kill("SIGKILL");
        await h.close();
    });

    async function startChild(pod: string): Promise<{ exited: Promise<number | null> }> {
        const url = new URL(h.kube.url);
        child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", MAIN, `--config=${h.configFile({ metricsPort: await freePort("0.0.0.0") })}`], {
            env: { ...process.env, POD_NAME: pod, KUBE_API_MOUNT: h.mountDir, KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port, TS_NODE_TRANSPILE_ONLY: "true" },
            stdio: ["ignore", "ignore", "inherit"],
        });
        const c = child;
        return { exited: new Promise((resolve) => c.once("exit", (code) => resolve(code))) };
    }

    /** Waits for the kill point; fails at once, instead of at the test's timeout, if the child dies on its own first. */
    async function reached(point: Promise<void>, started: { exited: Promise<number | null> }): Promise<void> {
        const c = child!;
        const died = started.exited.then((code) => {
            if (!killing.has(c)) throw new Error(`the supervisor exited (code ${code}) before the kill point; its log is above`);
            return point;
        });
        await Promise.race([point, died]);
    }

    async function kill(): Promise<void> {
        const c = child!;
        if (c.exitCode !== null || c.signalCode !== null) return;
        killing.add(c);
        const gone = new Promise((r) => c.once("exit", r));
        c.kill("SIGKILL");
        await gone;
    }

    /** A second supervisor, in-process, on a new pool pod, after the first one's lease ran out. */
    async function takeOver(stopAfterMs?: number): Promise<SupervisorOutcome> {
        h.pubsub.expireLeases();
        const pod = h.poolPod();
        const subscriber = subscriberClient(h.pubsub.address);
        const stop = new AbortController();
        if (stopAfterMs) setTimeout(() => stop.abort(), stopAfterMs);
        try {
            return await h.supervisor(subscriber, { pod, terminate: stop.signal }).s.run();
        } finally {
            await subscriber.close();
        }
    }

    it("before detach: the pod stays in the pool, the message is redelivered and completed once", async () => {
        const pod = h.poolPod();
        const id = h.publishJob("k-detach");
        const killed = new Promise<void>((resolve) => {
            h.kube.intercept = (req) => {
                if (req.method !== "PATCH") return undefined;
                void kill().then(resolve);
                return { status: 503, body: { kind: "Status", status: "Failure", code: 503 } };
            };
        });
        await reached(killed, await startChild(pod));
        h.kube.intercept = undefined;
        assert.equal(h.kube.getPod(NS, pod)?.metadata.labels?.[POOL], "jobs");
        assert.deepEqual(h.pubsub.acked, []);
        assert.equal(h.jobs.length, 0);
        assert.equal(await takeOver(), "succeeded");
        assert.deepEqual(h.pubsub.acked, [id]);
        assert.deepEqual(h.jobs.map((j) => [j.jobId, j.attempt]), [["k-detach", 2]]);
    });

    it("during the job: never acked by the dead supervisor; redelivered, run again, acked once; the restarted container deletes its detached pod", async () => {
        const pod = h.poolPod();
        const id = h.publishJob("k-job");
        const killed = new Promise<void>((resolve) => {
            h.behaviour = (job) => {
                if (job.attempt === 1) {
                    void kill().then(resolve);
                    return new Promise(() => undefined);
                }
                return Promise.resolve({ status: 200, body: { status: "succeeded", jobId: job.jobId, durationMs: 1 } });
            };
        });
        await reached(killed, await startChild(pod));
        assert.equal(h.kube.getPod(NS, pod)?.metadata.labels?.[POOL], "running", "it was detached before the job ran");
        assert.deepEqual(h.pubsub.acked, []);

        // the kubelet restarts the supervisor container in the same, detached pod
        const restarted = await startChild(pod);
        assert.equal(await restarted.exited, 0);
        assert.equal(h.kube.getPod(NS, pod), undefined);
        assert.deepEqual(h.pubsub.acked, []);

        assert.equal(await takeOver(), "succeeded");
        assert.deepEqual(h.pubsub.acked, [id]);
        assert.deepEqual(h.jobs.map((j) => j.attempt), [1, 2]);
    });

    it("before the ack reaches Pub/Sub: not acked, redelivered, completed once", async () => {
        const id = h.publishJob("k-before-ack");
        const killed = new Promise<void>((resolve) => {
            h.pubsub.intercept = async (call) => {
                if (call.method !== "Acknowledge" || h.jobs.length !== 1) return undefined;
                await kill();
                resolve();
                return { code: grpc.status.UNAVAILABLE, details: "connection lost", message: "connection lost", name: "Error", metadata: new grpc.Metadata() };
            };
        });
        await reached(killed, await startChild(h.poolPod()));
        h.pubsub.intercept = undefined;
        assert.deepEqual(h.pubsub.acked, []);
        assert.equal(await takeOver(), "succeeded");
        assert.deepEqual(h.pubsub.acked, [id]);
        assert.equal(h.jobs.length, 2);
    });

    it("during the ack (Pub/Sub applied it, the answer never arrived): completed once, not redelivered", async () => {
        const id = h.publishJob("k-during-ack");
        const killed = new Promise<void>((resolve) => {
            h.pubsub.intercept = async (call) => {
                if (call.method !== "Acknowledge") return undefined;
                await kill();
                resolve();
                return undefined; // the server applies the ack; its answer goes to a dead process
            };
        });
        await reached(killed, await startChild(h.poolPod()));
        await new Promise((r) => setTimeout(r, 50));
        h.pubsub.intercept = undefined;
        assert.deepEqual(h.pubsub.acked, [id]);
        assert.equal(await takeOver(600), "drained");
        assert.deepEqual(h.pubsub.acked, [id]);
        assert.equal(h.jobs.length, 1);
        assert.equal(h.pubsub.outstanding, 0);
    });
});
