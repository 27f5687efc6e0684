import * as http from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Storage } from "@google-cloud/storage";
import * as k8s from "@kubernetes/client-node";
import { publishSite, SITE_KV_PREFIX, storageClient, type SiteRecord } from "@globalgrid/common";
import { ConsulApi } from "@globalgrid/common/src/consul";
import { fakeConsulAccess } from "@globalgrid/common/src/testing/consul-access-files";
import { startConsulApiServer, type ConsulApiServer } from "@globalgrid/common/src/testing/consul-api-server";
import { KubeApiServer, type RecordedRequest } from "@globalgrid/common/src/testing/kube-api-server";
import { startStorageServer, type StorageServer } from "@globalgrid/common/src/testing/storage-server";
import { freePort } from "@globalgrid/common/src/testing/ports";
import { Broker } from "../../src/broker";
import { parseBrokerConfig, type BrokerConfig, type BrokerConfigInput } from "../../src/config";
import type { Logger } from "../../src/log";
import { startRuntimeFake, type RuntimeFake } from "./runtime-fake";

/**
 * One data center for the broker's tests: the Kubernetes API (the agents' shared KubeApiServer: the
 * warm pool Deployment, its ReplicaSet controller running after every write, so a claimed pod is
 * released by it (a write of its own) and replaced; each pod on its own loopback address, Ready once
 * its runtime listens), the region's Consul (mTLS, ACLs on, the broker's auth method: service and node write,
 * catalog read; a publisher's: catalog write), the region's code bucket (Cloud Storage JSON API,
 * reached through @google-cloud/storage), a runtime per pod, and brokers started from a config
 * parsed by the broker's own parser. Sites are published the way a release is: publishSite.
 */

export const NAMESPACE = "dc-fra1";
export const POOL = { "app.kubernetes.io/name": "warm-pool", "app.kubernetes.io/component": "warm-pool", "globalgrid.dev/pool": "warm" };
export const RUNTIME_PODS = { "app.kubernetes.io/name": "warm-pool", "app.kubernetes.io/component": "warm-pool" };
export const CONSUL_NODE = "fra1-warm-pool";
export const BUCKET = "gg-test-fra-site-code";

/** A site module whose answer names its site (each site's code has its own sha256). */
export const siteModule = (siteId: string) => `exports.handler = async () => ({ body: ${JSON.stringify(siteId)} });\n`;

export interface LogLine {
    level: "info" | "warn" | "error";
    msg: string;
    fields?: Record<string, unknown>;
}

/** The warm pool's pods as the tests look at them (the broker reads them through @kubernetes/client-node). */
export interface PoolView {
    server: KubeApiServer;
    url: string;
    kubeConfig(): k8s.KubeConfig;
    pods(): k8s.V1Pod[];
    get(name: string): k8s.V1Pod | undefined;
    /** the warm pool Deployment's replicas */
    scale(replicas: number): void;
    /** requests the API server answered */
    requests: RecordedRequest[];
    /** hold every write this long (widens race windows) */
    writeDelayMs: number;
}

const KUBE_TOKEN = "broker-kube-token";

export interface World {
    kube: PoolView;
    consul: ConsulApiServer;
    gcs: StorageServer;
    /** every broker's log lines */
    logs: LogLine[];
    runtimes: Map<string, RuntimeFake>;
    config: BrokerConfig;
    brokers: StartedBroker[];
    /** a broker replica; `storage` replaces the Cloud Storage client built from the config */
    startBroker(name: string, opts?: { storage?: Storage }): Promise<StartedBroker>;
    /** publishes a release of a site (its object, then its catalog record) */
    publish(siteId: string, opts?: { code?: string; env?: Record<string, string>; entry?: string }): Promise<SiteRecord>;
    close(): Promise<void>;
}

export interface StartedBroker {
    broker: Broker;
    port: number;
    codePort: number;
    consul: ConsulApi;
}

export async function startWorld(opts: {
    pool: number;
    /** sites published (siteModule) before the brokers start */
    sites?: string[];
    config?: Partial<BrokerConfigInput> & { sites?: Partial<BrokerConfigInput["sites"]> };
}): Promise<World> {
    let ip = 2;
    const server = await KubeApiServer.start({ token: KUBE_TOKEN, reconcileAfterWrites: true, podIp: () => `127.0.${Math.floor(ip / 250)}.${(ip++ % 250) + 2}` });
    const kube: PoolView = {
        server,
        url: server.url,
        kubeConfig() {
            const kc = new k8s.KubeConfig();
            kc.loadFromOptions({
                clusters: [{ name: "test", server: server.url, skipTLSVerify: true }],
                users: [{ name: "broker", token: KUBE_TOKEN }],
                contexts: [{ name: "test", cluster: "test", user: "broker", namespace: NAMESPACE }],
                currentContext: "test",
            });
            return kc;
        },
        pods: () => server.listPods(NAMESPACE) as unknown as k8s.V1Pod[],
        get: (name) => server.getPod(NAMESPACE, name) as unknown as k8s.V1Pod | undefined,
        scale: (replicas) => server.setReplicas(NAMESPACE, "warm-pool", replicas),
        requests: server.requests,
        get writeDelayMs() {
            return server.writeDelayMs;
        },
        set writeDelayMs(ms: number) {
            server.writeDelayMs = ms;
        },
    };
    const consul = await startConsulApiServer({ datacenter: "fra" });
    const gcs = await startStorageServer();
    gcs.buckets.set(BUCKET, new Map());
    const dir = mkdtempSync(join(tmpdir(), "broker-test-"));
    writeFileSync(join(dir, "ca.crt"), consul.ca.certPem);
    writeFileSync(join(dir, "tls.crt"), consul.clientCert.certPem);
    writeFileSync(join(dir, "tls.key"), consul.clientCert.keyPem);
    writeFileSync(join(dir, "token"), "broker-sa-token");
    consul.authMethods.set("data-centers", {
        bearerTokens: new Set(["broker-sa-token"]),
        rules: [
            { resource: "service", prefix: "site-", policy: "write" },
            { resource: "node", prefix: CONSUL_NODE, policy: "write" },
            { resource: "key", prefix: SITE_KV_PREFIX, policy: "read" },
        ],
        maxTokenTtlMs: 3600_000,
    });

    const runtimePort = await freePort();
    const runtimes = new Map<string, RuntimeFake>();
    const starting: Promise<unknown>[] = [];
    server.onPodAdded = (pod) => {
        const p = startRuntimeFake(pod.metadata.name, String(pod.status.podIP), runtimePort).then((r) => void runtimes.set(r.pod, r));
        starting.push(p);
        return p;
    };
    server.onPodDeleted = (pod) => runtimes.get(pod.metadata.name)?.kill();
    server.addDeployment(NAMESPACE, "warm-pool", opts.pool, POOL);
    server.reconcile();
    await Promise.all(starting);
    await eventually(() => kube.pods().every((p) => p.status?.conditions?.[0]?.status === "True"), 5000, "pool ready");

    const config = parseBrokerConfig({
        dataCenter: "fra1",
        namespace: NAMESPACE,
        pool: { selector: POOL, runtimePods: RUNTIME_PODS, detach: { label: "globalgrid.dev/pool", value: "site" } },
        runtime: { port: runtimePort, loadTimeoutSeconds: 5, requestTimeoutSeconds: 5 },
        recycleMinutes: 60,
        drainSeconds: 5,
        resyncSeconds: 0.2,
        claimTimeoutSeconds: 2,
        retryAfterSeconds: 2,
        listen: { port: 1, metricsPort: 2, codePort: 3 },
        code: { bucket: BUCKET, storageEndpoint: gcs.endpoint },
        consul: {
            access: {
                address: consul.address,
                datacenter: "fra",
                tls: { caFile: join(dir, "ca.crt"), certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), serverName: consul.serverName },
                login: { authMethod: "data-centers", bearerTokenFile: join(dir, "token") },
            },
            node: CONSUL_NODE,
        },
        ...opts.config,
        sites: { maxInFlightPerPod: 1000, ...opts.config?.sites },
    });

    const publisher = new ConsulApi(fakeConsulAccess(consul, "publishers", [{ resource: "key", prefix: SITE_KV_PREFIX, policy: "write" }]));
    const storage = storageClient(gcs.endpoint);
    const logs: LogLine[] = [];
    const logger: Logger = {
        info: (msg, fields) => void logs.push({ level: "info", msg, fields }),
        warn: (msg, fields) => void logs.push({ level: "warn", msg, fields }),
        error: (msg, fields) => void logs.push({ level: "error", msg, fields }),
    };
    const world: World = {
        kube,
        consul,
        gcs,
        logs,
        runtimes,
        config,
        brokers: [],
        async startBroker(name, o = {}) {
            const api = new ConsulApi(config.consul.access);
            const storage = o.storage ?? storageClient(config.code.storageEndpoint, { timeoutSeconds: config.code.fetchTimeoutSeconds });
            const broker = new Broker(config, { kubeConfig: kube.kubeConfig(), consul: api, log: logger, name, storage, podIp: "127.0.0.1" });
            const { port, codePort } = await broker.start("127.0.0.1", { port: 0, metricsPort: 0, codePort: 0 });
            const b = { broker, port, codePort, consul: api };
            world.brokers.push(b);
            return b;
        },
        publish: (siteId, p = {}) => publishSite({ storage, consul: publisher, bucket: BUCKET, siteId, code: p.code ?? siteModule(siteId), env: p.env, entry: p.entry }),
        async close() {
            for (const b of world.brokers) {
                b.broker.crash();
                b.consul.close();
            }
            publisher.close();
            for (const r of runtimes.values()) r.kill();
            await server.close();
            await consul.close();
            await gcs.close();
        },
    };
    for (const site of opts.sites ?? []) await world.publish(site);
    return world;
}

export interface Answer {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: any;
    ms: number;
}

/** One request to a broker as the load balancer sends it. */
export function request(port: number, site: string | undefined, path = "/", timeoutMs = 15_000): Promise<Answer> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path, headers: site ? { "x-globalgrid-site": site } : {}, agent: false, timeout: timeoutMs }, (res) => {
            let text = "";
            res.on("data", (c) => (text += c));
            res.on("end", () => {
                let body: any = text;
                try {
                    body = JSON.parse(text);
                } catch {
                    /* not JSON */
                }
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started });
            });
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", reject);
    });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is truthy (or fails after `ms`). */
export async function eventually<T>(check: () => T | Promise<T>, ms = 8000, what = "condition"): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
        const v = await check();
        if (v) return v;
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
        await sleep(25);
    }
}
