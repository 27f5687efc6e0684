import { strict as assert } from "assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsulApi, ConsulError } from "../src/consul";
import type { ConsulAccess } from "../src/consul-access";
import { startConsulApiServer, type ConsulApiServer } from "../src/testing/consul-api-server";
import { testCa } from "../src/testing/test-pki";

/** The agents' Consul client against the in-process Consul API server (ACLs on, default deny, mTLS). */
describe("Consul API client", () => {
    let consul: ConsulApiServer;
    let dir: string;
    const clients: ConsulApi[] = [];

    const access = (over: Partial<ConsulAccess["tls"]> = {}): ConsulAccess => ({
        address: consul.address,
        datacenter: consul.datacenter,
        tls: { caFile: join(dir, "ca.crt"), certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), serverName: consul.serverName, ...over },
        login: { authMethod: "data-centers", bearerTokenFile: join(dir, "token"), meta: { pod: "broker-0" } },
    });
    const client = (a = access(), opts = {}) => {
        const c = new ConsulApi(a, opts);
        clients.push(c);
        return c;
    };
    const reg = (id: string, service = "site-abc") => ({
        Node: "fra1-warm-pool",
        Address: "10.0.0.1",
        NodeMeta: { "external-node": "true" },
        Service: { ID: id, Service: service, Address: "10.1.2.3", Port: 8080 },
        Checks: [{ Node: "fra1-warm-pool", CheckID: `${id}:runtime`, Name: "runtime", ServiceID: id, Status: "passing" as const }],
    });

    beforeEach(async () => {
        consul = await startConsulApiServer();
        dir = mkdtempSync(join(tmpdir(), "consul-client-"));
        writeFileSync(join(dir, "ca.crt"), consul.ca.certPem);
        writeFileSync(join(dir, "tls.crt"), consul.clientCert.certPem);
        writeFileSync(join(dir, "tls.key"), consul.clientCert.keyPem);
        writeFileSync(join(dir, "token"), "sa-token-1\n");
        consul.authMethods.set("data-centers", {
            bearerTokens: new Set(["sa-token-1", "sa-token-2"]),
            rules: [
                { resource: "service", prefix: "site-", policy: "write" },
                { resource: "node", prefix: "fra1-", policy: "write" },
            ],
            maxTokenTtlMs: 3600_000,
        });
    });
    afterEach(async () => {
        clients.splice(0).forEach((c) => c.close());
        await consul.close();
    });

    it("reads and writes KV keys under a key_prefix rule: base64 Value decoded, absent key undefined, other prefixes denied", async () => {
        consul.authMethods.get("data-centers")!.rules.push({ resource: "key", prefix: "globalgrid/sites/", policy: "write" });
        const c = client();
        assert.equal(await c.kvGet("globalgrid/sites/abc"), undefined);
        assert.equal(await c.kvPutJson("globalgrid/sites/abc", { code: { sha256: "0".repeat(64) } }), true);
        assert.equal(consul.kv.get("globalgrid/sites/abc")?.toString("utf8"), `{"code":{"sha256":"${"0".repeat(64)}"}}`);
        assert.deepEqual(JSON.parse((await c.kvGet("globalgrid/sites/abc"))!.toString("utf8")), { code: { sha256: "0".repeat(64) } });
        await assert.rejects(c.kvGet("globalgrid/other/x"), (e: unknown) => e instanceof ConsulError && e.status === 403 && /key:read/.test(e.body));
        await assert.rejects(c.kvPutJson("globalgrid/other/x", {}), (e: unknown) => e instanceof ConsulError && e.status === 403 && /key:write/.test(e.body));
        assert.ok(consul.log.includes("GET /v1/kv/globalgrid/sites/abc 404"));
    });

    it("logs in with the projected token file and registers, reads and deregisters an agent-less service", async () => {
        const c = client();
        assert.equal(await c.register(reg("pod-a")), true);
        const healthy = await c.health("site-abc");
        assert.deepEqual(
            healthy.map((h) => [h.Node.Node, h.Service.ID, h.Service.Address]),
            [["fra1-warm-pool", "pod-a", "10.1.2.3"]],
        );
        assert.equal(consul.issued.length, 1);
        assert.deepEqual(consul.issued[0].meta, { pod: "broker-0" });
        await c.deregister({ Node: "fra1-warm-pool", ServiceID: "pod-a" });
        assert.deepEqual(await c.health("site-abc"), []);
        assert.deepEqual(Object.keys((await c.node("fra1-warm-pool"))!.Services), []);
        assert.equal(await c.node("fra1-nothing"), undefined);
    });

    it("hides an instance whose check is critical from ?passing", async () => {
        const c = client();
        await c.register(reg("pod-a"));
        await c.register({ ...reg("pod-b"), Checks: [{ ...reg("pod-b").Checks[0], Status: "critical" }] });
        assert.deepEqual((await c.health("site-abc")).map((h) => h.Service.ID), ["pod-a"]);
        assert.deepEqual((await c.health("site-abc", false)).map((h) => h.Service.ID).sort(), ["pod-a", "pod-b"]);
    });

    it("gets 403 Permission denied outside its rules, and anonymous requests are denied", async () => {
        const c = client();
        await assert.rejects(c.register(reg("pod-a", "consul")), (e: ConsulError) => e.status === 403 && /lacks permission 'service:write'/.test(e.body) && !e.aclNotFound);
        const res = await fetchAnonymous(consul, "/v1/catalog/service/site-abc", access());
        assert.equal(res.status, 403);
        assert.match(res.body, /Permission denied: token with AccessorID '00000000-0000-0000-0000-000000000002'/);
    });

    it("re-logs in once on 403 'ACL not found' (token expired on the server) and retries", async () => {
        const c = client();
        await c.register(reg("pod-a"));
        consul.revoke(consul.issued[0].secret);
        writeFileSync(join(dir, "token"), "sa-token-2\n"); // the kubelet rotated the projected token
        await c.register(reg("pod-b"));
        assert.equal(consul.issued.length, 2);
        assert.equal(c.logins, 2);
        assert.ok(consul.log.includes("PUT /v1/catalog/register 403"), "the first attempt with the dead token was refused");
    });

    it("re-logs in when the server's clock has passed the token's MaxTokenTTL", async () => {
        const c = client();
        await c.register(reg("pod-a"));
        consul.advance(3600_000 + 1000);
        await c.register(reg("pod-b"));
        assert.equal(consul.issued.length, 2);
        assert.ok(consul.log.includes("PUT /v1/catalog/register 403"));
    });

    it("renews the token before its ExpirationTime instead of waiting for a refusal", async () => {
        let clock = Date.now();
        const c = client(access(), { now: () => clock, renewBeforeMs: 60_000 });
        await c.register(reg("pod-a"));
        clock += 3600_000 - 30_000; // 30 s before expiry: inside the renewal window
        await c.register(reg("pod-b"));
        assert.equal(consul.issued.length, 2);
        assert.ok(!consul.log.includes("PUT /v1/catalog/register 403"));
    });

    it("fails the login with a bearer token the auth method does not accept", async () => {
        writeFileSync(join(dir, "token"), "someone-else\n");
        await assert.rejects(client().register(reg("pod-a")), (e: ConsulError) => e.path === "/v1/acl/login" && e.status === 403);
    });

    it("refuses a server whose certificate is not signed by tls.caFile, and the server refuses a client certificate of another CA", async () => {
        const other = await testCa("another CA");
        writeFileSync(join(dir, "other-ca.crt"), other.certPem);
        await assert.rejects(client(access({ caFile: join(dir, "other-ca.crt") })).login(), /self-signed|unable to verify|certificate/i);
        const stranger = await other.issue("fra1.par.client.globalgrid", "client");
        writeFileSync(join(dir, "stranger.crt"), stranger.certPem);
        writeFileSync(join(dir, "stranger.key"), stranger.keyPem);
        await assert.rejects(client(access({ certFile: join(dir, "stranger.crt"), keyFile: join(dir, "stranger.key") })).login(), /certificate|socket hang up|ECONNRESET|alert/i);
    });
});

/** A request with the data center's certificate but no ACL token. */
async function fetchAnonymous(consul: ConsulApiServer, path: string, a: ConsulAccess): Promise<{ status: number; body: string }> {
    const https = await import("node:https");
    const { readFileSync } = await import("node:fs");
    const url = new URL(consul.address);
    return new Promise((resolve, reject) => {
        https
            .get(
                { hostname: url.hostname, port: url.port, path, ca: readFileSync(a.tls.caFile!), cert: readFileSync(a.tls.certFile), key: readFileSync(a.tls.keyFile), servername: consul.serverName },
                (res) => {
                    let body = "";
                    res.on("data", (c) => (body += c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
                },
            )
            .on("error", reject);
    });
}
