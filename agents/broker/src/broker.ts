import * as http from "node:http";
import type { Storage } from "@google-cloud/storage";
import type * as k8s from "@kubernetes/client-node";
import type { ConsulApi } from "@globalgrid/common/src/consul";
import { Assigner, PoolEmpty } from "./assigner";
import { CodeStore } from "./code-store";
import type { BrokerConfig } from "./config";
import type { Logger } from "./log";
import { createMetrics, metricsListener, type Metrics } from "./metrics";
import { assignmentOf, isDeleting, isReady, podAddress, podCreated, podName, PodStore } from "./pods";
import { Registry, type SiteInstance } from "./registry";
import { releaseFailure, Releases } from "./release";
import { Forwarder } from "./router";
import { closeGracefully, listenOn } from "./servers";
import { RuntimeClient } from "./runtime-client";
import { siteKey, validSiteId } from "./site";
import { invokePath } from "@globalgrid/runtime/src/contract";

/**
 * The warm-pool broker of one data center: the router of its synchronous requests. A request
 * names its site (header `sites.header`); the broker sends it to the site's pod with the fewest
 * requests in flight, and on the site's first request resolves its release (the catalog record in
 * Consul, the code from the bucket, served to the pod on the code port: Releases, CodeStore), takes
 * a pod from the warm pool (Assigner), loads the site into it and registers it in Consul. Every
 * resync it re-reads the pods (its routing table is a cache of their labels, so a restarted or
 * second broker routes the same), repairs what a broker that died left half-done, mirrors the site
 * pods into Consul and recycles pods.
 */

/** Paths the broker answers itself (the load balancer's health check, the pod's readiness). */
export const HEALTH_PATH = "/_broker/healthz";

interface SitePod {
    name: string;
    address: string;
    slot: number;
    inFlight: number;
    draining: boolean;
}

interface SiteEntry {
    siteId: string;
    pods: Map<string, SitePod>;
}

export interface BrokerDeps {
    kubeConfig: k8s.KubeConfig;
    consul: ConsulApi;
    log: Logger;
    /** this replica's name (its pod's name) */
    name: string;
    /** the Cloud Storage client site code is downloaded with */
    storage: Storage;
    /** this replica's pod IP: runtimes fetch code from `http://<podIp>:<codePort>` */
    podIp: string;
    metrics?: Metrics;
}

export class Broker {
    readonly metrics: Metrics;
    private readonly pods: PodStore;
    private readonly assigner: Assigner;
    private readonly registry: Registry;
    private readonly runtime: RuntimeClient;
    private readonly code: CodeStore;
    private readonly releases: Releases;
    private readonly forwarder: Forwarder;
    private readonly table = new Map<string, SiteEntry>();
    private readonly loading = new Map<string, Promise<SitePod>>();
    private readonly scaling = new Set<string>();
    private server?: http.Server;
    private metricsServer?: http.Server;
    private timer?: NodeJS.Timeout;
    private resyncing?: Promise<void>;
    private stopped = false;

    constructor(
        readonly config: BrokerConfig,
        private readonly deps: BrokerDeps,
    ) {
        this.metrics = deps.metrics ?? createMetrics();
        this.pods = new PodStore(deps.kubeConfig, config);
        this.assigner = new Assigner(this.pods, { brokerName: deps.name, claimTimeoutMs: config.claimTimeoutSeconds * 1000 }, this.metrics, deps.log);
        this.registry = new Registry(deps.consul, config, this.metrics, deps.log);
        this.runtime = new RuntimeClient(config.runtime.port);
        this.code = new CodeStore(deps.storage, config.code, deps.podIp, this.metrics);
        this.releases = new Releases(deps.consul, config.sites.catalogPrefix, this.code);
        this.forwarder = new Forwarder(config.runtime.port, config.runtime.requestTimeoutSeconds * 1000);
    }

    /** Repairs and loads the routing table first, then listens (the code port first: the repair may load sites). */
    async start(host = "0.0.0.0", ports: BrokerConfig["listen"] = this.config.listen): Promise<BrokerConfig["listen"]> {
        const codePort = await this.code.start(host, ports.codePort);
        await this.resync().catch((e) => this.deps.log.error("first resync failed; serving anyway, the next one retries", { error: String(e) }));
        this.server = http.createServer((req, res) => void this.handle(req, res));
        this.server.keepAliveTimeout = 620_000; // longer than the load balancers' idle timeouts (GCP 600 s, ALB 60 s)
        this.metricsServer = http.createServer(metricsListener(this.metrics));
        const port = await listenOn(this.server, ports.port, host);
        const metricsPort = await listenOn(this.metricsServer, ports.metricsPort, host);
        this.timer = setInterval(() => void this.resync().catch((e) => this.deps.log.warn("resync failed", { error: String(e) })), this.config.resyncSeconds * 1000);
        this.deps.log.info("broker listening", { port, metricsPort, codePort, dataCenter: this.config.dataCenter });
        return { port, metricsPort, codePort };
    }

    /** Stops taking requests and waits for the ones in flight (SIGTERM). */
    async stop(): Promise<void> {
        this.stopped = true;
        clearInterval(this.timer);
        await this.resyncing?.catch(() => undefined);
        await Promise.all([closeGracefully(this.server), closeGracefully(this.metricsServer), this.code.close()]);
        this.forwarder.close();
        this.runtime.close();
    }

    /** Forget everything in memory, as a crashed replica would (tests). */
    crash(): void {
        this.stopped = true;
        clearInterval(this.timer);
        this.server?.closeAllConnections();
        this.server?.close();
        this.metricsServer?.close();
        void this.code.close();
        this.forwarder.close();
        this.runtime.close();
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        if (req.url === HEALTH_PATH) {
            res.writeHead(this.stopped ? 503 : 200, { "content-type": "text/plain" });
            return void res.end(this.stopped ? "stopping\n" : "ok\n");
        }
        const started = process.hrtime.bigint();
        const header = req.headers[this.config.sites.header.toLowerCase()];
        const siteId = Array.isArray(header) ? header[0] : header;
        if (!validSiteId(siteId)) return this.answer(res, 400, { error: `the ${this.config.sites.header} header must name a site` });

        let route = "hot";
        let target = this.pick(siteId);
        if (!target) {
            route = "assign";
            try {
                target = await this.ensure(siteId, 0);
            } catch (e) {
                const retryAfterSeconds = this.config.retryAfterSeconds;
                if (e instanceof PoolEmpty) return this.answer(res, 503, { error: "no warm pod is free for this site now; retry later", retryAfterSeconds }, retryAfterSeconds);
                const failure = releaseFailure(siteId, e);
                if (failure?.status === 502) this.deps.log.error("site release cannot be loaded", { site: siteId, error: String(e) });
                if (failure) return this.answer(res, failure.status, { error: failure.error });
                this.deps.log.error("assignment failed", { site: siteId, error: String(e) });
                return this.answer(res, 503, { error: "the site could not be placed now; retry later" }, retryAfterSeconds);
            }
        }
        const saturated = target.inFlight + 1 >= this.config.sites.maxInFlightPerPod;
        target.inFlight++;
        this.metrics.inFlight.inc();
        if (saturated) this.scaleUp(siteId);
        try {
            const r = await this.forwarder.forward(req, res, target.address, invokePath(siteId, req.url ?? "/"));
            this.metrics.requests.inc({ code: String(r.status) });
            if (r.unreachable) this.forget(siteId, target.name);
        } finally {
            target.inFlight--;
            this.metrics.inFlight.dec();
            this.metrics.latency.observe({ path: route }, Number(process.hrtime.bigint() - started) / 1e9);
        }
    }

    private answer(res: http.ServerResponse, status: number, body: unknown, retryAfter?: number): void {
        this.metrics.requests.inc({ code: String(status) });
        if (retryAfter !== undefined) res.setHeader("retry-after", String(retryAfter));
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
    }

    /** The site's serving pod with the fewest requests in flight. */
    private pick(siteId: string): SitePod | undefined {
        let best: SitePod | undefined;
        for (const p of this.table.get(siteKey(siteId))?.pods.values() ?? []) if (!p.draining && (!best || p.inFlight < best.inFlight)) best = p;
        return best;
    }

    /** The pod of (site, slot), assigned and loaded; shared by concurrent callers. */
    private ensure(siteId: string, slot: number): Promise<SitePod> {
        const id = `${siteKey(siteId)}/${slot}`;
        let p = this.loading.get(id);
        if (!p) {
            p = this.assignAndLoad(siteId, slot).finally(() => this.loading.delete(id));
            this.loading.set(id, p);
        }
        return p;
    }

    private async assignAndLoad(siteId: string, slot: number): Promise<SitePod> {
        // The release first: an unknown site or a broken release fails here, before any pod is claimed.
        const release = await this.releases.load(siteId);
        let pod = await this.assigner.acquire(siteId, slot);
        const address = podAddress(pod);
        if (!address) throw new Error(`pod ${podName(pod)} has no address`);
        if (!assignmentOf(pod)?.loaded) {
            try {
                await this.runtime.load(address, release, this.config.runtime.loadTimeoutSeconds * 1000);
            } catch (e) {
                // A pod that cannot load the site is not kept for it: delete it, the next request takes a fresh one.
                this.deps.log.warn("site load failed; deleting the pod", { site: siteId, pod: podName(pod), error: String(e) });
                await this.pods.delete(pod, { matchVersion: false }).catch(() => undefined);
                throw e;
            }
            pod = await this.pods.markLoadedRetrying(pod);
        }
        const entry = this.entry(siteId);
        const existing = entry.pods.get(podName(pod));
        const sp = existing ?? { name: podName(pod), address, slot, inFlight: 0, draining: false };
        entry.pods.set(sp.name, sp);
        this.metrics.sitePods.set(this.countPods());
        void this.registry
            .register({ pod: sp.name, address, siteId, key: siteKey(siteId), slot, status: "passing" })
            .catch((e) => this.deps.log.warn("consul registration failed; the next resync retries", { pod: sp.name, error: String(e) }));
        return sp;
    }

    /** One more pod for a saturated site (one at a time, up to maxPodsPerSite), in the background. */
    private scaleUp(siteId: string): void {
        const key = siteKey(siteId);
        const entry = this.table.get(key);
        if (!entry || this.scaling.has(key) || entry.pods.size >= this.config.sites.maxPodsPerSite) return;
        const used = new Set([...entry.pods.values()].map((p) => p.slot));
        let slot = 0;
        while (used.has(slot)) slot++;
        this.scaling.add(key);
        this.ensure(siteId, slot)
            .then((p) => this.deps.log.info("site scaled up", { site: siteId, slot, pod: p.name }))
            .catch((e) => this.deps.log.warn("site could not scale up", { site: siteId, slot, error: String(e) }))
            .finally(() => this.scaling.delete(key));
    }

    private entry(siteId: string): SiteEntry {
        const key = siteKey(siteId);
        let e = this.table.get(key);
        if (!e) this.table.set(key, (e = { siteId, pods: new Map() }));
        return e;
    }

    private forget(siteId: string, pod: string): void {
        this.table.get(siteKey(siteId))?.pods.delete(pod);
    }

    private countPods(): number {
        let n = 0;
        for (const e of this.table.values()) n += e.pods.size;
        return n;
    }

    /** One pass over the pods; never two at once. */
    resync(): Promise<void> {
        if (!this.resyncing) this.resyncing = this.resyncOnce().finally(() => (this.resyncing = undefined));
        return this.resyncing;
    }

    private async resyncOnce(): Promise<void> {
        const now = Date.now();
        const all = await this.pods.list();
        const recycleMs = this.config.recycleMinutes * 60_000;
        const drainMs = (this.config.drainSeconds + this.config.resyncSeconds) * 1000;
        const seen = new Map<string, Map<string, SitePod>>();
        const instances: SiteInstance[] = [];

        for (const pod of all) {
            const name = podName(pod);
            const a = assignmentOf(pod);
            if (!a) {
                // A pooled pod past its age: delete it unless a broker claimed it since it was read.
                if (this.pods.isPooled(pod) && !isDeleting(pod) && now - podCreated(pod) > recycleMs) {
                    await this.pods.delete(pod, { matchVersion: true }).then(
                        () => this.metrics.recycled.inc({ reason: "pooled-age" }),
                        () => undefined,
                    );
                }
                continue;
            }
            if (a.state === "claimed") {
                // Left by a broker that died between claiming and confirming: back to the pool.
                if (now - a.claimedAt > this.config.claimTimeoutSeconds * 1000) {
                    await this.pods.release(pod).then(
                        () => this.metrics.repairs.inc({ kind: "abandoned-claim" }),
                        () => undefined,
                    );
                }
                continue;
            }
            if (isDeleting(pod)) continue;
            const address = podAddress(pod);
            if (!address) continue;
            let loaded = a.loaded;
            if (!loaded && now - a.claimedAt > this.config.runtime.loadTimeoutSeconds * 1000 && isReady(pod)) {
                // Assigned by a broker that died before the site was loaded: finish its work.
                loaded = await this.releases
                    .load(a.siteId)
                    .then((release) => this.runtime.load(address, release, this.config.runtime.loadTimeoutSeconds * 1000))
                    .then(
                    () => this.pods.markLoaded(pod).then(() => true),
                    (e) => (this.deps.log.warn("repair: loading the site failed", { pod: name, error: String(e) }), false),
                );
                if (loaded) this.metrics.repairs.inc({ kind: "unloaded-assignment" });
            }
            if (!loaded) continue;

            const local = this.table.get(a.key)?.pods.get(name);
            let draining = a.draining !== undefined;
            if (draining && now - a.draining! >= drainMs && (local?.inFlight ?? 0) === 0) {
                // Every broker has stopped sending it requests and none is left here: delete it.
                await this.pods.delete(pod, { matchVersion: false }).then(
                    () => this.deps.log.info("pod recycled", { pod: name, site: a.siteId }),
                    (e) => this.deps.log.warn("recycle: delete failed", { pod: name, error: String(e) }),
                );
                continue;
            }
            if (!draining) {
                const old = now - podCreated(pod) > recycleMs;
                const idle = !old && (local?.inFlight ?? 0) === 0 && (await this.idleFor(address)) >= this.config.sites.idleMinutes * 60;
                if (old || idle) {
                    draining = await this.pods.markDraining(pod).then(
                        () => (this.metrics.recycled.inc({ reason: old ? "age" : "idle" }), true),
                        () => false,
                    );
                    if (draining) this.deps.log.info("pod draining", { pod: name, site: a.siteId, reason: old ? "age" : "idle" });
                }
            }
            instances.push({ pod: name, address, siteId: a.siteId, key: a.key, slot: a.slot, status: draining ? "critical" : isReady(pod) ? "passing" : "critical" });
            if (!isReady(pod)) continue;
            const sp: SitePod = local ?? { name, address, slot: a.slot, inFlight: 0, draining };
            sp.draining = draining;
            let site = seen.get(a.key);
            if (!site) seen.set(a.key, (site = new Map()));
            site.set(name, sp);
            if (!this.table.has(a.key)) this.table.set(a.key, { siteId: a.siteId, pods: new Map() });
        }

        // The routing table becomes what the labels say, keeping in-flight counts of pods it knew.
        for (const [key, entry] of this.table) {
            const pods = seen.get(key);
            for (const [name, sp] of entry.pods) if (!pods?.has(name) && sp.inFlight === 0) entry.pods.delete(name);
            for (const [name, sp] of pods ?? []) entry.pods.set(name, sp);
            if (entry.pods.size === 0) this.table.delete(key);
        }
        this.metrics.sitePods.set(this.countPods());

        const known = await this.registry.registered().catch((e) => (this.deps.log.warn("consul unreachable; registrations wait", { error: String(e) }), undefined));
        if (known) await this.registry.reconcile(instances, known);
    }

    private async idleFor(address: string): Promise<number> {
        return this.runtime.status(address).then(
            (r) => (r.inFlight > 0 ? 0 : r.idleSeconds),
            () => 0,
        );
    }
}
