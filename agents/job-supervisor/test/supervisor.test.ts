import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sha256Of } from "../../common/src/site-catalog";
import { kubeClients } from "../../common/src";
import { subscriberClient, type Subscriber } from "../src/subscriber";
import type { SupervisorConfig } from "../src/config";
import { Harness, NS, POOL, SITE_CODE } from "./harness";

/**
 * The supervisor in-process, through its real clients (@kubernetes/client-node over HTTPS,
 * the generated Pub/Sub Subscriber over gRPC, @google-cloud/storage over the JSON API) against the
 * in-process servers.
 */
describe("job supervisor", () => {
    let h: Harness;
    let subscriber: Subscriber;

    beforeEach(async () => {
        h = await Harness.start({ maxDeliveryAttempts: 3 });
        subscriber = subscriberClient(h.pubsub.address);
    });
    afterEach(async () => {
        await subscriber.close();
        await h.close();
    });

    const supervisor = (pod: string, config: Partial<SupervisorConfig> = {}, terminate?: AbortSignal, timeScale?: number) =>
        h.supervisor(subscriber, { pod, config, terminate, timeScale });

    it("pulls one job, detaches its pod before running it, acks after success, deletes the pod", async () => {
        const pod = h.poolPod();
        const id = h.publishJob("job-1", { n: 7 });
        let labelWhileRunning: string | undefined;
        h.behaviour = async (job) => {
            labelWhileRunning = h.kube.getPod(NS, pod)?.metadata.labels?.[POOL];
            return { status: 200, body: { status: "succeeded", jobId: job.jobId, durationMs: 3 } };
        };
        const { s, lines, registry } = supervisor(pod);
        assert.equal(await s.run(), "succeeded");

        assert.equal(labelWhileRunning, "running");
        assert.equal(h.jobs.length, 1);
        assert.deepEqual({ ...h.jobs[0], deadline: undefined, scheduledAt: undefined }, {
            jobId: "job-1",
            messageId: id,
            attempt: 1,
            siteId: "site-a",
            handler: "nightly",
            code: { url: pathToFileURL(path.join(h.config().code.dir, `${h.codeSha256}.js`)).href, sha256: h.codeSha256, entry: "nightly" },
            payload: { n: 7 },
            deadline: undefined,
            scheduledAt: undefined,
        });
        // the app read the release from the shared volume, and it is the published code
        assert.equal(h.codeRead[0].toString("utf8"), SITE_CODE);
        assert.equal(sha256Of(fs.readFileSync(fileURLToPath(h.jobs[0].code.url))), h.codeSha256);
        assert.deepEqual(h.pubsub.acked, [id]);
        assert.equal(h.kube.getPod(NS, pod), undefined, "the detached pod is deleted");
        // the detach patch was a merge patch carrying the pod's resourceVersion
        const patch = h.kube.requests.find((r) => r.method === "PATCH");
        assert.equal(patch?.contentType, "application/merge-patch+json");
        assert.ok((patch?.body as { metadata: { resourceVersion?: string } }).metadata.resourceVersion);
        // the Deployment replaces the detached pod
        assert.equal(h.kube.reconcile().length, 1);

        const finished = lines.find((l) => l.message === "job.finished")!;
        assert.equal(finished.jobId, "job-1");
        assert.equal(finished.attempt, 1);
        assert.equal(finished.outcome, "succeeded");
        assert.equal(typeof finished.durationMs, "number");
        const text = await registry.metrics();
        assert.match(text, /globalgrid_supervisor_jobs_total\{outcome="succeeded",agent="job-supervisor"\} 1/);
        assert.match(text, /globalgrid_supervisor_job_duration_seconds_count\{agent="job-supervisor"\} 1/);
    });

    it("nacks a failed job: redelivered with the next delivery attempt, dead-lettered after the maximum", async () => {
        const id = h.publishJob("job-f");
        h.behaviour = async (job) => ({ status: 200, body: { status: "failed", jobId: job.jobId, durationMs: 1, error: "boom", retryable: true } });
        for (let attempt = 1; attempt <= 3; attempt++) {
            const { s } = supervisor(h.poolPod());
            assert.equal(await s.run(), "failed");
            assert.equal(h.jobs.at(-1)?.attempt, attempt);
        }
        assert.deepEqual(h.pubsub.acked, []);
        assert.deepEqual(h.pubsub.deadLettered.map((m) => m.messageId), [id]);
        assert.ok(h.pubsub.calls.filter((c) => c.method === "ModifyAckDeadline").every((c) => c.request.ackDeadlineSeconds === 0));
    });

    it("treats an unreachable or malformed app answer as a failure (nack, never ack)", async () => {
        h.publishJob("job-x");
        h.behaviour = async () => ({ status: 500, body: "oops" });
        const { s } = supervisor(h.poolPod());
        assert.equal(await s.run(), "app_error");
        assert.deepEqual(h.pubsub.acked, []);
        assert.equal(h.pubsub.outstanding, 1);
    });

    it("keeps the lease alive with ModifyAckDeadline while the job runs", async () => {
        const id = h.publishJob("job-long");
        // 10 s deadline at 1/50 time: extensions every 100 ms; the job takes 600 ms
        h.behaviour = (job) => new Promise((r) => setTimeout(() => r({ status: 200, body: { status: "succeeded", jobId: job.jobId, durationMs: 600 } }), 600));
        const { s } = supervisor(h.poolPod(), { ackDeadlineSeconds: 10, softTimeLimitSeconds: 60 }, undefined, 0.02);
        assert.equal(await s.run(), "succeeded");
        const extensions = h.pubsub.calls.filter((c) => c.method === "ModifyAckDeadline" && c.request.ackDeadlineSeconds === 10);
        assert.ok(extensions.length >= 3, `${extensions.length} extensions`);
        assert.deepEqual(h.pubsub.acked, [id]);
    });

    it("enforces the soft time limit: the job is abandoned and nacked, not acked", async () => {
        h.publishJob("job-slow");
        h.behaviour = () => new Promise(() => undefined); // never answers
        const started = Date.now();
        const { s, lines } = supervisor(h.poolPod(), { softTimeLimitSeconds: 10 }, undefined, 0.03); // 300 ms
        assert.equal(await s.run(), "timed_out");
        assert.ok(Date.now() - started < 5000);
        assert.deepEqual(h.pubsub.acked, []);
        assert.equal(h.pubsub.outstanding, 1);
        assert.equal(lines.find((l) => l.message === "job.finished")?.outcome, "timed_out");
    });

    it("retries the detach after a 409 Conflict with a fresh resourceVersion", async () => {
        const pod = h.poolPod();
        const id = h.publishJob("job-c");
        let touched = false;
        h.kube.intercept = (req) => {
            if (req.method === "PATCH" && !touched) {
                touched = true;
                h.kube.updatePodStatus(NS, pod, { hostIP: "10.1.1.1" }); // the kubelet writes first
            }
            return undefined;
        };
        const { s, registry } = supervisor(pod);
        assert.equal(await s.run(), "succeeded");
        assert.equal(h.kube.requests.filter((r) => r.method === "PATCH").length, 2);
        assert.match(await registry.metrics(), /globalgrid_supervisor_detach_conflicts_total\{agent="job-supervisor"\} 1/);
        assert.deepEqual(h.pubsub.acked, [id]);
    });

    it("nacks a message that is not a job of the topic's schema", async () => {
        h.pubsub.publish("not json");
        const { s } = supervisor(h.poolPod());
        assert.equal(await s.run(), "bad_message");
        assert.deepEqual(h.pubsub.acked, []);
        assert.equal(h.jobs.length, 0);
    });

    it("SIGTERM while waiting: stops pulling, takes no job, leaves its pod in the pool", async () => {
        const pod = h.poolPod();
        const stop = new AbortController();
        const { s } = supervisor(pod, {}, stop.signal);
        const run = s.run();
        await new Promise((r) => setTimeout(r, 300));
        stop.abort();
        assert.equal(await run, "drained");
        h.publishJob("job-after");
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(h.jobs.length, 0);
        assert.equal(h.kube.getPod(NS, pod)?.metadata.labels?.[POOL], "jobs");
    });

    it("SIGTERM during a job: the job runs on and is acked", async () => {
        const id = h.publishJob("job-t");
        const stop = new AbortController();
        h.behaviour = (job) =>
            new Promise((r) => {
                stop.abort();
                setTimeout(() => r({ status: 200, body: { status: "succeeded", jobId: job.jobId, durationMs: 300 } }), 300);
            });
        const { s } = supervisor(h.poolPod(), {}, stop.signal);
        assert.equal(await s.run(), "succeeded");
        assert.deepEqual(h.pubsub.acked, [id]);
    });

    it("a supervisor restarted in an already detached pod takes no job and deletes the pod", async () => {
        const pod = h.poolPod();
        h.kube.reconcile();
        const k = kubeClients({ mountDir: h.mountDir, server: h.kube.url });
        const { PatchStrategy, setHeaderOptions } = await import("@kubernetes/client-node");
        await k.core.patchNamespacedPod({ name: pod, namespace: NS, body: { metadata: { labels: { [POOL]: "running" } } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
        h.publishJob("job-z");
        const { s } = supervisor(pod);
        assert.equal(await s.run(), "already_detached");
        assert.equal(h.kube.getPod(NS, pod), undefined);
        assert.equal(h.pubsub.calls.filter((c) => c.method === "Pull").length, 0);
    });
});
