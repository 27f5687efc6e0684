import { strict as assert } from "assert";
import { Storage } from "@google-cloud/storage";
import { codeObjectName, SITE_KV_PREFIX, sha256Of, storageClient } from "@globalgrid/common";
import { startStorageServer, type StorageServer } from "@globalgrid/common/src/testing/storage-server";
import { CodeStore, codePath, podIpFromEnv } from "../src/code-store";
import { createMetrics } from "../src/metrics";
import { SITE_LABEL } from "../src/site";
import { BUCKET, siteModule, startWorld, request, type World } from "./support/world";

/**
 * A site's release on the sync path: the broker reads the catalog record from Consul, downloads and
 * verifies the code object through @google-cloud/storage, serves it on its code port, and sends the
 * runtime a PUT /v1/site that the runtime's own schema accepts, whose URL the runtime fetches and
 * whose sha256 it checks (support/runtime-fake.ts). An unknown site or a broken release takes no pod.
 */

const writes = (w: World) => w.kube.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);
const downloads = (gcs: StorageServer) => gcs.log.filter((l) => l.startsWith(`GET /storage/v1/b/${BUCKET}/o/`));
const snapshot = (w: World) => w.kube.pods().map((p) => `${p.metadata!.name}@${p.metadata!.resourceVersion}`).sort();

function get(url: string): Promise<{ status: number; body: Buffer }> {
    return fetch(url).then(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) }));
}

describe("broker: site code", function () {
    this.timeout(60_000);
    let w: World;
    afterEach(async () => {
        await w?.close();
        w = undefined as unknown as World;
    });

    it("loads the published release: the runtime gets {siteId, code:{url on the code port, sha256, entry}, env}, fetches it and checks the digest", async () => {
        w = await startWorld({ pool: 2 });
        const record = await w.publish("site-code", { env: { GREETING: "hi" }, entry: "serve" });
        const b = await w.startBroker("broker-a");
        const answer = await request(b.port, "site-code", "/x");
        assert.equal(answer.status, 200);
        assert.equal(answer.body.codeSha256, record.code.sha256);
        const runtime = w.runtimes.get(answer.body.pod)!;
        const url = `http://127.0.0.1:${b.codePort}${codePath("site-code", record.code.sha256)}`;
        assert.deepEqual(runtime.release, { siteId: "site-code", code: { url, sha256: record.code.sha256, entry: "serve" }, env: { GREETING: "hi" } });
        assert.equal(runtime.code?.toString("utf8"), siteModule("site-code"));
        assert.deepEqual(downloads(w.gcs), [`GET /storage/v1/b/${BUCKET}/o/${encodeURIComponent(codeObjectName("sites/", "site-code", record.code.sha256))} 200`]);

        // the code port serves that artifact, and nothing else
        const served = await get(url);
        assert.deepEqual([served.status, sha256Of(served.body)], [200, record.code.sha256]);
        assert.equal((await get(`http://127.0.0.1:${b.codePort}${codePath("site-code", "a".repeat(64))}`)).status, 404, "a digest it never fetched");
        assert.equal((await get(`http://127.0.0.1:${b.codePort}${codePath("site-other", record.code.sha256)}`)).status, 404, "the same digest for another site");
        assert.equal((await get(`http://127.0.0.1:${b.codePort}/metrics`)).status, 404);
        assert.equal((await fetch(url, { method: "POST" })).status, 404);
    });

    it("answers 404 `unknown site` for a site with no catalog record, without claiming a pod", async () => {
        w = await startWorld({ pool: 2 });
        const b = await w.startBroker("broker-a");
        await b.broker.resync();
        const before = snapshot(w);
        w.kube.requests.length = 0;
        const answer = await request(b.port, "site-nobody");
        assert.equal(answer.status, 404);
        assert.match(answer.body.error, /^unknown site site-nobody$/);
        assert.deepEqual(writes(w), [], "no claim, patch or delete");
        assert.deepEqual(snapshot(w), before, "the pool is untouched");
        assert.deepEqual(downloads(w.gcs), []);
        assert.ok([...w.runtimes.values()].every((r) => r.loads === 0));
    });

    it("answers 502 for a release whose code object is missing or does not match its sha256, logs the object, takes no pod; a repaired release loads", async () => {
        w = await startWorld({ pool: 2 });
        const gone = await w.publish("site-gone");
        const goneObject = codeObjectName("sites/", "site-gone", gone.code.sha256);
        w.gcs.buckets.get(BUCKET)!.delete(goneObject);
        const bad = await w.publish("site-bad");
        const badObject = codeObjectName("sites/", "site-bad", bad.code.sha256);
        w.gcs.buckets.get(BUCKET)!.get(badObject)!.data = Buffer.from("exports.handler = () => 'tampered';\n");
        const b = await w.startBroker("broker-a");
        await b.broker.resync();
        const before = snapshot(w);
        w.kube.requests.length = 0;

        const missing = await request(b.port, "site-gone");
        assert.equal(missing.status, 502);
        assert.match(missing.body.error, /site site-gone cannot be loaded: its code object is missing/);
        assert.doesNotMatch(missing.body.error, new RegExp(BUCKET), "the bucket is named in the log, not to the client");
        const mismatch = await request(b.port, "site-bad");
        assert.equal(mismatch.status, 502);
        assert.match(mismatch.body.error, /site site-bad cannot be loaded: its code does not match the release's sha256/);

        assert.deepEqual(writes(w), [], "no pod claimed");
        assert.deepEqual(snapshot(w), before);
        const logged = w.logs.filter((l) => l.level === "error" && l.msg === "site release cannot be loaded");
        assert.deepEqual(logged.map((l) => l.fields?.site), ["site-gone", "site-bad"]);
        assert.match(String(logged[0].fields?.error), new RegExp(`gs://${BUCKET}/${goneObject}: no such object`));
        assert.match(String(logged[1].fields?.error), new RegExp(`gs://${BUCKET}/${badObject}: content has sha256 [0-9a-f]{64}, expected ${bad.code.sha256}`));
        const metric = await b.broker.metrics.registry.getSingleMetricAsString("broker_code_downloads_total");
        assert.match(metric, /result="missing"\} 1/);
        assert.match(metric, /result="digest-mismatch"\} 1/);
        assert.equal((await get(`http://127.0.0.1:${b.codePort}${codePath("site-bad", bad.code.sha256)}`)).status, 404, "an unverified artifact is never served");

        // nothing negative is cached: once the object is there, the next request loads it
        await w.publish("site-gone");
        const ok = await request(b.port, "site-gone");
        assert.equal(ok.status, 200);
        assert.equal(w.kube.pods().filter((p) => p.metadata?.labels?.[SITE_LABEL]).length, 1);
    });

    it("answers 502 for an invalid catalog record, without claiming a pod", async () => {
        w = await startWorld({ pool: 1 });
        w.consul.kv.set(`${SITE_KV_PREFIX}site-odd`, Buffer.from(JSON.stringify({ code: { sha256: "not-a-digest" } })));
        const b = await w.startBroker("broker-a");
        w.kube.requests.length = 0;
        const answer = await request(b.port, "site-odd");
        assert.equal(answer.status, 502);
        assert.match(answer.body.error, /its catalog record is invalid/);
        assert.deepEqual(writes(w), []);
        assert.match(String(w.logs.find((l) => l.msg === "site release cannot be loaded")?.fields?.error), /site catalog globalgrid\/sites\/site-odd: code\.sha256/);
    });

    it("a storage outage (5xx after the client's own retry) is 503 with Retry-After, takes no pod; the next request loads", async () => {
        w = await startWorld({ pool: 1, sites: ["site-later"] });
        let failing = true;
        w.gcs.fault = (r) => (failing && r.method === "GET" ? 503 : undefined);
        const storage = new Storage({ apiEndpoint: w.gcs.endpoint, retryOptions: { maxRetries: 1, maxRetryDelay: 0.2 } });
        const b = await w.startBroker("broker-a", { storage });
        await b.broker.resync();
        w.kube.requests.length = 0;
        const down = await request(b.port, "site-later");
        assert.equal(down.status, 503);
        assert.equal(down.headers["retry-after"], "2");
        assert.match(down.body.error, /retry later/);
        assert.equal(downloads(w.gcs).filter((l) => l.endsWith(" 503")).length, 2, "the client retried the 503 once");
        assert.deepEqual(writes(w), [], "no pod claimed");
        assert.match(await b.broker.metrics.registry.getSingleMetricAsString("broker_code_downloads_total"), /result="error"\} 1/);
        failing = false;
        assert.equal((await request(b.port, "site-later")).status, 200);
    });

    it("a stalled Cloud Storage costs a first request its fetch budget, then 503 with Retry-After and no pod; never a hang", async () => {
        w = await startWorld({ pool: 1, sites: ["site-stall"] });
        let stalled = true;
        w.gcs.fault = (r) => (stalled && r.method === "GET" ? "stall" : undefined);
        // what main.ts builds from code.fetchTimeoutSeconds (here 1 s instead of the default 10)
        const b = await w.startBroker("broker-a", { storage: storageClient(w.gcs.endpoint, { timeoutSeconds: 1 }) });
        await b.broker.resync();
        w.kube.requests.length = 0;
        const down = await request(b.port, "site-stall", "/", 20_000);
        assert.equal(down.status, 503);
        assert.equal(down.headers["retry-after"], "2");
        assert.deepEqual(
            downloads(w.gcs).map((l) => l.split(" ").pop()),
            ["stalled", "stalled"],
            "one attempt, one retry, each cut off by the request timeout",
        );
        assert.deepEqual(writes(w), [], "no pod claimed");
        stalled = false;
        assert.equal((await request(b.port, "site-stall")).status, 200);
    });

    it("POD_IP is required and must be an IP address", () => {
        assert.throws(() => podIpFromEnv({}), /POD_IP is not set: .*downward API fieldRef status\.podIP/);
        assert.throws(() => podIpFromEnv({ POD_IP: "broker-0" }), /POD_IP is "broker-0", not an IP address/);
        assert.equal(podIpFromEnv({ POD_IP: "10.20.0.7" }), "10.20.0.7");
    });
});

describe("broker code store", () => {
    let gcs: StorageServer;
    let store: CodeStore;
    const publish = (siteId: string, code: string) => {
        const sha256 = sha256Of(Buffer.from(code));
        gcs.buckets.get(BUCKET)!.set(codeObjectName("sites/", siteId, sha256), { data: Buffer.from(code), contentType: "application/javascript", generation: 1 });
        return { sha256, entry: "handler" };
    };
    beforeEach(async () => {
        gcs = await startStorageServer();
        gcs.buckets.set(BUCKET, new Map());
        store = new CodeStore(storageClient(gcs.endpoint), { bucket: BUCKET, objectPrefix: "sites/", cacheEntries: 2 }, "fd00::7", createMetrics());
        await store.start("127.0.0.1", 0);
    });
    afterEach(async () => {
        await store.close();
        await gcs.close();
    });

    it("downloads a release once for concurrent and later callers, and names the pod IP (IPv6 in brackets) in the URL", async () => {
        const a = publish("site-a", siteModule("site-a"));
        const refs = await Promise.all([store.codeRef("site-a", a), store.codeRef("site-a", a), store.codeRef("site-a", a)]);
        await store.codeRef("site-a", a);
        assert.equal(downloads(gcs).length, 1);
        assert.match(refs[0].url, new RegExp(`^http://\\[fd00::7\\]:\\d+/v1/code/site-a/${a.sha256}\\.js$`));
        assert.equal(store.get("site-a", a.sha256)?.toString("utf8"), siteModule("site-a"));
    });

    it("keeps cacheEntries artifacts, least recently used out first; the same bytes under two sites are checked for each site", async () => {
        const a = publish("site-a", siteModule("site-a"));
        const b = publish("site-b", siteModule("site-b"));
        const c = publish("site-c", siteModule("site-c"));
        await store.codeRef("site-a", a);
        await store.codeRef("site-b", b);
        assert.ok(store.get("site-a", a.sha256), "site-a used again: site-b is now the oldest");
        await store.codeRef("site-c", c);
        assert.equal(store.get("site-b", b.sha256), undefined, "evicted");
        assert.ok(store.get("site-a", a.sha256));
        assert.ok(store.get("site-c", c.sha256));

        // site-d publishes site-a's bytes: its own object is downloaded and checked before it is served for site-d
        assert.equal(store.get("site-d", a.sha256), undefined);
        await assert.rejects(store.codeRef("site-d", a), /gs:\/\/.*site-d.*no such object/);
        publish("site-d", siteModule("site-a"));
        await store.codeRef("site-d", a);
        assert.ok(store.get("site-d", a.sha256));
        assert.ok(store.get("site-a", a.sha256));
    });
});
