import { strict as assert } from "assert";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Storage } from "@google-cloud/storage";
import { ConsulApi } from "../src/consul";
import { CatalogRecordError, CodeArtifactError, SITE_KV_PREFIX, codeObjectName, fetchVerifiedObject, publishSite, readSiteRecord, siteRecordSchema } from "../src/site-catalog";
import { startConsulApiServer, type ConsulApiServer } from "../src/testing/consul-api-server";
import { startStorageServer, type StorageServer } from "../src/testing/storage-server";

/** The site catalog through the real @google-cloud/storage client and the agents' Consul client, against the in-process servers. */
describe("site catalog", () => {
    let consul: ConsulApiServer;
    let gcs: StorageServer;
    let api: ConsulApi;
    let storage: Storage;
    const CODE = "export async function handler() { return { status: 200, body: 'hi' }; }\n";
    const SHA = createHash("sha256").update(CODE).digest("hex");

    beforeEach(async () => {
        consul = await startConsulApiServer();
        gcs = await startStorageServer();
        gcs.buckets.set("site-code", new Map());
        const dir = mkdtempSync(join(tmpdir(), "site-catalog-"));
        writeFileSync(join(dir, "ca.crt"), consul.ca.certPem);
        writeFileSync(join(dir, "tls.crt"), consul.clientCert.certPem);
        writeFileSync(join(dir, "tls.key"), consul.clientCert.keyPem);
        writeFileSync(join(dir, "token"), "sa-token-1\n");
        consul.authMethods.set("data-centers", { bearerTokens: new Set(["sa-token-1"]), rules: [{ resource: "key", prefix: SITE_KV_PREFIX, policy: "write" }], maxTokenTtlMs: 3600_000 });
        api = new ConsulApi({
            address: consul.address,
            datacenter: consul.datacenter,
            tls: { caFile: join(dir, "ca.crt"), certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), serverName: consul.serverName },
            login: { authMethod: "data-centers", bearerTokenFile: join(dir, "token") },
        });
        storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: "test-project" });
    });
    afterEach(async () => {
        api.close();
        await gcs.close();
        await consul.close();
    });

    it("record schema: entry defaults to handler, env to {}, unknown keys and non-hex digests are rejected", () => {
        assert.deepEqual(siteRecordSchema.parse({ code: { sha256: SHA } }), { code: { sha256: SHA, entry: "handler" }, env: {} });
        assert.equal(siteRecordSchema.safeParse({ code: { sha256: SHA }, extra: 1 }).success, false);
        assert.equal(siteRecordSchema.safeParse({ code: { sha256: SHA, url: "x" } }).success, false);
        assert.equal(siteRecordSchema.safeParse({ code: { sha256: SHA.toUpperCase() } }).success, false);
        assert.equal(codeObjectName("sites/", "abc", SHA), `sites/abc/${SHA}.js`);
    });

    it("publishSite uploads the object with one non-resumable multipart request, then writes the KV record", async () => {
        const record = await publishSite({ storage, consul: api, bucket: "site-code", siteId: "abc", code: CODE, env: { GREETING: "hi" } });
        assert.deepEqual(record, { code: { sha256: SHA, entry: "handler" }, env: { GREETING: "hi" } });
        assert.equal(gcs.buckets.get("site-code")!.get(`sites/abc/${SHA}.js`)?.data.toString("utf8"), CODE);
        assert.deepEqual(gcs.log, ["POST /upload/storage/v1/b/site-code/o 200"]);
        assert.deepEqual(await readSiteRecord(api, SITE_KV_PREFIX, "abc"), record);
        assert.equal(await readSiteRecord(api, SITE_KV_PREFIX, "nope"), undefined);
        const body = await fetchVerifiedObject(storage, "site-code", codeObjectName("sites/", "abc", SHA), SHA);
        assert.equal(body.toString("utf8"), CODE);
    });

    it("fetchVerifiedObject: a missing object and a digest mismatch are CodeArtifactErrors naming the object", async () => {
        await assert.rejects(fetchVerifiedObject(storage, "site-code", `sites/abc/${SHA}.js`, SHA), (e: unknown) => e instanceof CodeArtifactError && e.reason === "missing" && e.message.includes(`site-code/sites/abc/${SHA}.js`));
        gcs.buckets.get("site-code")!.set(`sites/abc/${SHA}.js`, { data: Buffer.from("tampered"), contentType: "application/javascript", generation: 1 });
        await assert.rejects(fetchVerifiedObject(storage, "site-code", `sites/abc/${SHA}.js`, SHA), (e: unknown) => e instanceof CodeArtifactError && e.reason === "digest-mismatch");
    });

    it("a malformed catalog record is an error naming the key and field", async () => {
        consul.kv.set(`${SITE_KV_PREFIX}bad`, Buffer.from(JSON.stringify({ code: { sha256: "nope" } })));
        await assert.rejects(readSiteRecord(api, SITE_KV_PREFIX, "bad"), (e: unknown) => e instanceof CatalogRecordError && /globalgrid\/sites\/bad: code\.sha256/.test(e.message));
        consul.kv.set(`${SITE_KV_PREFIX}garbled`, Buffer.from("{not json"));
        await assert.rejects(readSiteRecord(api, SITE_KV_PREFIX, "garbled"), (e: unknown) => e instanceof CatalogRecordError && /globalgrid\/sites\/garbled: not JSON/.test(e.message));
    });
});
