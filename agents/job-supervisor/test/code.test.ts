import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Storage } from "@google-cloud/storage";
import { fileURLToPath } from "node:url";
import { sha256Of } from "../../common/src/site-catalog";
import { subscriberClient, type Subscriber } from "../src/subscriber";
import { BUCKET, Harness, NS, SITE_CODE } from "./harness";

/**
 * A job's code: the release its message names (`codeSha256`) is downloaded from the code bucket
 * through @google-cloud/storage, verified, written atomically into the directory shared with the
 * app, and handed to the app as a `file:` URL. A release that cannot be loaded never reaches the
 * app; it is nacked until the subscription dead-letters it.
 */
describe("job supervisor: job code", () => {
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

    const supervisor = (pod = h.poolPod(), storage: Storage = h.storage) => h.supervisor(subscriber, { pod, storage });
    const codeDir = () => h.config().code.dir;
    const downloads = () => h.gcs.log.filter((l) => l.startsWith(`GET /storage/v1/b/${BUCKET}/o/`));

    it("stages the release as <dir>/<sha256>.js (read-only, no temporary file left) and the app gets its file: URL", async () => {
        h.publishJob("job-1");
        const { s, lines } = supervisor();
        assert.equal(await s.run(), "succeeded");
        const file = path.join(codeDir(), `${h.codeSha256}.js`);
        assert.equal(fileURLToPath(h.jobs[0].code.url), file);
        assert.deepEqual(h.jobs[0].code, { url: h.jobs[0].code.url, sha256: h.codeSha256, entry: "nightly" });
        assert.equal(sha256Of(fs.readFileSync(file)), h.codeSha256);
        assert.equal(h.codeRead[0].toString("utf8"), SITE_CODE);
        assert.equal(fs.statSync(file).mode & 0o777, 0o444);
        assert.deepEqual(fs.readdirSync(codeDir()), [`${h.codeSha256}.js`]);
        assert.deepEqual(downloads(), [`GET /storage/v1/b/${BUCKET}/o/${encodeURIComponent(h.objectOf(h.codeSha256))} 200`]);
        assert.equal(lines.find((l) => l.message === "code.staged")?.url, h.jobs[0].code.url);
    });

    it("uses a file already staged with the right content, and replaces one whose content is wrong", async () => {
        h.publishJob("job-1");
        assert.equal(await supervisor().s.run(), "succeeded");
        h.publishJob("job-2");
        assert.equal(await supervisor().s.run(), "succeeded");
        assert.equal(downloads().length, 1, "the second job used the staged file");

        const file = path.join(codeDir(), `${h.codeSha256}.js`);
        fs.chmodSync(file, 0o644);
        fs.writeFileSync(file, "exports.nightly = () => 'truncated");
        h.publishJob("job-3");
        assert.equal(await supervisor().s.run(), "succeeded");
        assert.equal(downloads().length, 2);
        assert.equal(fs.readFileSync(file, "utf8"), SITE_CODE);
        assert.deepEqual(h.jobs.map((j) => j.jobId), ["job-1", "job-2", "job-3"]);
    });

    it("a missing code object: nacked with a log line naming the object, never run, dead-lettered after the maximum attempts", async () => {
        const unpublished = sha256Of(Buffer.from("exports.nightly = () => 'never uploaded';\n"));
        const id = h.publishJob("job-missing", { n: 1 }, { codeSha256: unpublished });
        for (let attempt = 1; attempt <= 3; attempt++) {
            const pod = h.poolPod();
            const { s, lines, registry } = supervisor(pod);
            assert.equal(await s.run(), "code_rejected");
            const rejected = lines.find((l) => l.message === "code.rejected");
            assert.equal(rejected?.object, `gs://${BUCKET}/${h.objectOf(unpublished)}`);
            assert.equal(rejected?.reason, "missing");
            assert.equal(rejected?.attempt, attempt);
            assert.equal(h.kube.getPod(NS, pod), undefined, "the detached pod is deleted");
            assert.match(await registry.metrics(), /globalgrid_supervisor_jobs_total\{outcome="code_rejected",agent="job-supervisor"\} 1/);
        }
        assert.equal(h.jobs.length, 0, "the app never got the job");
        assert.deepEqual(h.pubsub.acked, []);
        assert.deepEqual(h.pubsub.deadLettered.map((m) => m.messageId), [id]);
        assert.ok(h.pubsub.calls.filter((c) => c.method === "ModifyAckDeadline" && c.request.ackDeadlineSeconds === 0).length === 3);
    });

    it("a code object whose content does not match codeSha256: nacked, logged, nothing written to the shared directory", async () => {
        h.gcs.buckets.get(BUCKET)!.get(h.objectOf(h.codeSha256))!.data = Buffer.from("exports.nightly = () => 'tampered';\n");
        h.publishJob("job-tampered");
        const { s, lines } = supervisor();
        assert.equal(await s.run(), "code_rejected");
        const rejected = lines.find((l) => l.message === "code.rejected");
        assert.equal(rejected?.object, `gs://${BUCKET}/${h.objectOf(h.codeSha256)}`);
        assert.equal(rejected?.reason, "digest-mismatch");
        assert.match(String(rejected?.error), new RegExp(`content has sha256 [0-9a-f]{64}, expected ${h.codeSha256}`));
        assert.equal(h.jobs.length, 0);
        assert.deepEqual(h.pubsub.acked, []);
        assert.equal(h.pubsub.outstanding, 1);
        assert.deepEqual(fs.existsSync(codeDir()) ? fs.readdirSync(codeDir()) : [], []);
    });

    it("a storage outage (5xx after the client's own retry): code_unavailable, nacked for a later delivery, never run", async () => {
        h.gcs.fault = (r) => (r.method === "GET" ? 503 : undefined);
        h.publishJob("job-outage");
        const storage = new Storage({ apiEndpoint: h.gcs.endpoint, retryOptions: { maxRetries: 1, maxRetryDelay: 0.2 } });
        const pod = h.poolPod();
        const { s, lines } = supervisor(pod, storage);
        assert.equal(await s.run(), "code_unavailable");
        assert.equal(h.gcs.log.filter((l) => l.endsWith(" 503")).length, 2, "the client retried once");
        assert.equal(lines.find((l) => l.message === "code.unavailable")?.bucket, BUCKET);
        assert.equal(h.jobs.length, 0);
        assert.deepEqual(h.pubsub.acked, []);
        assert.equal(h.pubsub.outstanding, 1);
        assert.equal(h.kube.getPod(NS, pod), undefined, "the detached pod is deleted");
    });

    for (const [what, codeSha256] of [
        ["absent", undefined],
        ["not hex", "z".repeat(64)],
        ["upper-case hex", "A".repeat(64)],
        ["too short", "a".repeat(63)],
        ["not a string", 42],
    ] as const) {
        it(`a message whose codeSha256 is ${what} is a bad message: nacked, no download, no job`, async () => {
            h.publishJob("job-bad", { n: 1 }, { codeSha256 });
            const { s } = supervisor();
            assert.equal(await s.run(), "bad_message");
            assert.deepEqual(h.pubsub.acked, []);
            assert.equal(h.pubsub.outstanding, 1);
            assert.deepEqual(downloads(), []);
            assert.equal(h.jobs.length, 0);
        });
    }
});
