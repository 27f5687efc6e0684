import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { createLogger, listen, type RunningServer } from "../../common/src";
import { invokePath, jobResultSchema, RUNTIME_PATHS, runtimeStatusSchema, siteLoadedSchema } from "../src/contract";
import { Runtime } from "../src/server";

const SITE = `
exports.handler = async (input) => ({ status: 200, body: { echo: input.path, q: input.query, env: input.env.GREETING } });
exports.nightly = async (job) => ({ doubled: job.payload.n * 2 });
exports.broken = async () => { throw new Error("no database"); };
exports.slow = (job, signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve("stopped")));
`;

/** The reference runtime over HTTP, called as the broker and the supervisor call it. */
describe("reference runtime", () => {
    let dir: string;
    let code: { url: string; sha256: string };
    let servers: RunningServer[] = [];

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-"));
        const file = path.join(dir, "site-a.js");
        fs.writeFileSync(file, SITE);
        code = { url: pathToFileURL(file).href, sha256: createHash("sha256").update(SITE).digest("hex") };
    });
    afterEach(async () => {
        await Promise.all(servers.map((s) => s.close()));
        servers = [];
    });

    async function start(mode: "warm" | "job"): Promise<string> {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-work-"));
        const r = new Runtime({ port: 8080, workDir: work, mode, maxBodyBytes: 65536 }, createLogger({ agent: "runtime", sink: () => undefined }));
        const s = await listen(http.createServer(r.handler()), 0, "127.0.0.1");
        servers.push(s);
        return `http://127.0.0.1:${s.port}`;
    }
    const call = async (base: string, method: string, p: string, body?: unknown) => {
        const res = await fetch(base + p, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as unknown };
    };

    it("warm: loads one site, routes its requests, refuses another site and misdirected requests", async () => {
        const base = await start("warm");
        assert.equal((await call(base, "GET", RUNTIME_PATHS.ready)).status, 200);
        assert.equal((await call(base, "GET", invokePath("site-a", "/x"))).status, 503);
        const loaded = await call(base, "PUT", RUNTIME_PATHS.site, { siteId: "site-a", code, env: { GREETING: "hi" } });
        assert.equal(loaded.status, 200);
        siteLoadedSchema.parse(loaded.body);
        const r = await call(base, "GET", invokePath("site-a", "/hello?x=1"));
        assert.deepEqual(r, { status: 200, body: { echo: "/hello", q: { x: "1" }, env: "hi" } });
        assert.equal((await call(base, "GET", invokePath("site-b", "/"))).status, 421);
        assert.equal((await call(base, "PUT", RUNTIME_PATHS.site, { siteId: "site-b", code })).status, 409);
        const status = runtimeStatusSchema.parse((await call(base, "GET", RUNTIME_PATHS.status)).body);
        assert.deepEqual([status.state, status.siteId, status.served, status.inFlight], ["serving", "site-a", 1, 0]);
    });

    it("refuses code whose sha256 does not match", async () => {
        const base = await start("warm");
        const r = await call(base, "PUT", RUNTIME_PATHS.site, { siteId: "site-a", code: { ...code, sha256: "0".repeat(64) } });
        assert.equal(r.status, 422);
    });

    it("warm: loads code from an http URL (the broker's code port), checks its sha256, refuses a non-200 answer and other schemes", async () => {
        const served: string[] = [];
        const codeServer = await listen(
            http.createServer((req, res) => {
                served.push(req.url ?? "");
                if (req.url === `/v1/code/site-a/${code.sha256}.js`) return void res.writeHead(200, { "content-type": "application/javascript" }).end(SITE);
                if (req.url === `/v1/code/site-a/${"1".repeat(64)}.js`) return void res.writeHead(200).end("exports.handler = () => 'other';\n");
                res.writeHead(404).end();
            }),
            0,
            "127.0.0.1",
        );
        servers.push(codeServer);
        const url = (sha: string) => `http://127.0.0.1:${codeServer.port}/v1/code/site-a/${sha}.js`;

        const missing = await start("warm");
        const gone = await call(missing, "PUT", RUNTIME_PATHS.site, { siteId: "site-a", code: { url: url("2".repeat(64)), sha256: "2".repeat(64) } });
        assert.deepEqual([gone.status, (gone.body as { error: string }).error], [422, `code ${url("2".repeat(64))} answered 404`]);
        const other = await call(missing, "PUT", RUNTIME_PATHS.site, { siteId: "site-a", code: { url: url("1".repeat(64)), sha256: "1".repeat(64) } });
        assert.equal(other.status, 422, "the bytes served do not hash to the digest named");
        assert.match((other.body as { error: string }).error, /does not match 1{64}/);
        const ftp = await call(missing, "PUT", RUNTIME_PATHS.site, { siteId: "site-a", code: { url: "ftp://example.com/a.js", sha256: code.sha256 } });
        assert.equal(ftp.status, 400);
        assert.match((ftp.body as { error: string }).error, /code\.url: must be an http:, https: or file: URL/);

        const base = await start("warm");
        const loaded = await call(base, "PUT", RUNTIME_PATHS.site, { siteId: "site-a", code: { url: url(code.sha256), sha256: code.sha256 }, env: { GREETING: "web" } });
        assert.equal(loaded.status, 200);
        assert.deepEqual(await call(base, "GET", invokePath("site-a", "/p")), { status: 200, body: { echo: "/p", q: {}, env: "web" } });
        assert.deepEqual(served, [`/v1/code/site-a/${"2".repeat(64)}.js`, `/v1/code/site-a/${"1".repeat(64)}.js`, `/v1/code/site-a/${code.sha256}.js`]);
    });

    it("job: runs the named handler, reports failures and stops at the deadline", async () => {
        const base = await start("job");
        const job = (handler: string, ms = 5000) => ({
            jobId: "j1",
            messageId: "m1",
            attempt: 1,
            siteId: "site-a",
            handler,
            code,
            payload: { n: 21 },
            scheduledAt: new Date().toISOString(),
            deadline: new Date(Date.now() + ms).toISOString(),
        });
        const ok = jobResultSchema.parse((await call(base, "POST", RUNTIME_PATHS.jobs, job("nightly"))).body);
        assert.equal(ok.status, "succeeded");
        assert.deepEqual(ok.status === "succeeded" && ok.result, { doubled: 42 });
        const bad = jobResultSchema.parse((await call(base, "POST", RUNTIME_PATHS.jobs, job("broken"))).body);
        assert.deepEqual(bad.status === "failed" && [bad.error, bad.retryable], ["no database", true]);
        const slow = jobResultSchema.parse((await call(base, "POST", RUNTIME_PATHS.jobs, job("slow", 200))).body);
        assert.equal(slow.status, "failed");
        assert.equal((await call(base, "POST", RUNTIME_PATHS.jobs, { jobId: "x" })).status, 400);
        const { code: _none, ...codeless } = job("nightly");
        const refused = await call(base, "POST", RUNTIME_PATHS.jobs, codeless);
        assert.equal(refused.status, 400, "a job must name its code");
        assert.match((refused.body as { error: string }).error, /^code: Required$/);
        const tampered = jobResultSchema.parse((await call(base, "POST", RUNTIME_PATHS.jobs, { ...job("nightly"), code: { ...code, sha256: "0".repeat(64) } })).body);
        assert.equal(tampered.status, "failed");
        assert.match(tampered.status === "failed" ? tampered.error : "", /sha256 [0-9a-f]{64} does not match 0{64}/);
    });
});
