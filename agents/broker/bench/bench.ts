import * as http from "node:http";
import { startWorld, request, eventually, type World } from "../test/support/world";

/**
 * `npm run bench:broker`: the broker against the in-process Kubernetes API, Consul, Cloud Storage and
 * runtime pods (tests' servers): first-request latency when a warm pod is free (catalog read, code
 * download and verification, claim, the runtime's load fetching the code from the broker's code
 * port) vs when none is, and requests per second on the hot path (site already assigned). Every
 * site is published first with publishSite. Prints figures; asserts nothing.
 */

const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

async function firstRequests(w: World, port: number, n: number, from: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = from; i < from + n; i++) {
        await eventually(() => w.kube.pods().filter((p) => p.metadata?.labels?.["globalgrid.dev/pool"] === "warm" && p.status?.conditions?.[0].status === "True").length > 0, 5000, "a warm pod");
        const t = process.hrtime.bigint();
        const a = await request(port, `bench-site-${i}`);
        if (a.status !== 200) throw new Error(`first request answered ${a.status}`);
        out.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return out;
}

async function hotPath(port: number, sites: string[], concurrency: number, seconds: number): Promise<{ rps: number; lat: number[]; errors: number }> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const lat: number[] = [];
    let errors = 0;
    const until = Date.now() + seconds * 1000;
    const one = (site: string) =>
        new Promise<void>((resolve) => {
            const t = process.hrtime.bigint();
            http.get({ host: "127.0.0.1", port, path: "/hot", agent, headers: { "x-globalgrid-site": site } }, (res) => {
                res.resume();
                res.on("end", () => {
                    if (res.statusCode !== 200) errors++;
                    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
                    resolve();
                });
            }).on("error", () => {
                errors++;
                resolve();
            });
        });
    const started = Date.now();
    await Promise.all(
        Array.from({ length: concurrency }, async (_, c) => {
            while (Date.now() < until) await one(sites[c % sites.length]);
        }),
    );
    agent.destroy();
    return { rps: lat.length / ((Date.now() - started) / 1000), lat, errors };
}

async function main(): Promise<void> {
    const sites = 30;
    console.log(`broker bench: in-process Kubernetes API, Consul (mTLS, ACL), Cloud Storage and runtime pods; node ${process.version}, ${(await import("node:os")).cpus().length} cores`);

    // 1. a warm pod is free for every first request
    let w = await startWorld({ pool: 8, sites: Array.from({ length: sites + 3 }, (_, i) => `bench-site-${i}`) });
    let b = await w.startBroker("bench-a");
    await firstRequests(w, b.port, 3, 0); // warm-up (TLS, login, JIT)
    const warm = await firstRequests(w, b.port, sites, 3);
    console.log(`first request, warm pod free (${sites} sites): p50 ${fmt(pct(warm, 50))}, p95 ${fmt(pct(warm, 95))}, max ${fmt(Math.max(...warm))}`);

    // 2. hot path: sites already assigned
    const hotSites = ["bench-site-3", "bench-site-4", "bench-site-5", "bench-site-6"];
    await hotPath(b.port, hotSites, 16, 1); // warm-up
    for (const c of [1, 16, 64]) {
        const r = await hotPath(b.port, hotSites, c, 4);
        console.log(`hot path, ${c} concurrent clients, 4 sites: ${r.rps.toFixed(0)} req/s, p50 ${fmt(pct(r.lat, 50))}, p99 ${fmt(pct(r.lat, 99))}, errors ${r.errors}`);
    }
    await w.close();

    // 3. no warm pod: the broker's answer is an immediate 503 + Retry-After
    w = await startWorld({ pool: 1, sites: ["takes-the-only-pod", ...Array.from({ length: sites }, (_, i) => `cold-site-${i}`)] });
    b = await w.startBroker("bench-b");
    await request(b.port, "takes-the-only-pod");
    w.kube.scale(0); // the ReplicaSet controller deletes the pooled pods
    const cold: number[] = [];
    for (let i = 0; i < sites; i++) {
        const t = process.hrtime.bigint();
        const a = await request(b.port, `cold-site-${i}`);
        if (a.status !== 503) throw new Error(`expected 503, got ${a.status}`);
        cold.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    console.log(`first request, no warm pod (${sites} sites): 503 Retry-After ${w.config.retryAfterSeconds} s in p50 ${fmt(pct(cold, 50))}, p95 ${fmt(pct(cold, 95))}`);

    // 4. an unknown site: 404 after the catalog read, no pod touched
    const unknown: number[] = [];
    for (let i = 0; i < sites; i++) {
        const t = process.hrtime.bigint();
        const a = await request(b.port, `unknown-site-${i}`);
        if (a.status !== 404) throw new Error(`expected 404, got ${a.status}`);
        unknown.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    console.log(`first request, unknown site (${sites} sites): 404 in p50 ${fmt(pct(unknown, 50))}, p95 ${fmt(pct(unknown, 95))}`);
    await w.close();
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
