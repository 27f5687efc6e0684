import { strict as assert } from "assert";
import { Assigner } from "../src/assigner";
import { silentLogger } from "../src/log";
import { createMetrics } from "../src/metrics";
import { Conflict, PodStore } from "../src/pods";
import { CLAIMED_AT_ANNOTATION, CLAIMED_BY_ANNOTATION, SITE_LABEL, siteKey, STATE_ANNOTATION } from "../src/site";
import type { RecordedRequest } from "@globalgrid/common/src/testing/kube-api-server";
import { CONSUL_NODE, NAMESPACE, eventually, request, sleep, startWorld, type World } from "./support/world";

/**
 * The broker against an in-process Kubernetes API (through @kubernetes/client-node) and an
 * in-process Consul (through the agents' Consul client), with a runtime per pod.
 */

const sitePods = (w: World, site: string) => w.kube.pods().filter((p) => p.metadata?.labels?.[SITE_LABEL] === siteKey(site));
const pooled = (w: World) => w.kube.pods().filter((p) => p.metadata?.labels?.["globalgrid.dev/pool"] === "warm");
const consulInstances = (w: World, site: string) => [...(w.consul.nodes.get(CONSUL_NODE)?.services.values() ?? [])].filter((s) => s.Service === `site-${siteKey(site)}`);
const checkOf = (w: World, pod: string) => w.consul.nodes.get(CONSUL_NODE)?.checks.get(`${pod}:runtime`)?.Status;

describe("warm-pool broker", function () {
    this.timeout(60_000);
    let w: World;
    afterEach(async () => {
        await w?.close();
        w = undefined as unknown as World;
    });

    it("gives concurrent first requests for one site, through two brokers, one pod; another site gets another pod", async () => {
        w = await startWorld({ pool: 4, sites: ["site-alpha", "site-beta"] });
        w.kube.writeDelayMs = 15; // widen the window between read and write
        const a = await w.startBroker("broker-a");
        const b = await w.startBroker("broker-b");
        const answers = await Promise.all([
            ...Array.from({ length: 12 }, (_, i) => request(i % 2 ? a.port : b.port, "site-alpha", `/hello/${i}`)),
            ...Array.from({ length: 6 }, (_, i) => request(i % 2 ? b.port : a.port, "site-beta", `/hi/${i}`)),
        ]);
        assert.deepEqual([...new Set(answers.map((x) => x.status))], [200]);
        const alpha = sitePods(w, "site-alpha");
        const beta = sitePods(w, "site-beta");
        assert.equal(alpha.length, 1, "one pod for site-alpha");
        assert.equal(beta.length, 1, "one pod for site-beta");
        assert.notEqual(alpha[0].metadata!.name, beta[0].metadata!.name, "never one pod for two sites");
        assert.deepEqual([...new Set(answers.filter((x) => x.body.site === "site-alpha").map((x) => x.body.pod))], [alpha[0].metadata!.name]);
        assert.deepEqual([...new Set(answers.filter((x) => x.body.site === "site-beta").map((x) => x.body.pod))], [beta[0].metadata!.name]);
        assert.equal(w.runtimes.get(alpha[0].metadata!.name!)!.loads, 1, "the site was loaded once");
        // the relabeled pods left the Deployment's selector and it replaced them
        // (yielded claims went back to the pool too; a real ReplicaSet would trim the surplus)
        await eventually(() => pooled(w).length >= 4, 5000, "the pool refilled");
        for (const p of [...alpha, ...beta]) assert.equal(p.metadata!.annotations![STATE_ANNOTATION], "assigned");
        // registered in Consul under the site's service, passing
        await eventually(() => consulInstances(w, "site-alpha").length === 1 && checkOf(w, alpha[0].metadata!.name!) === "passing", 5000, "consul registration");
        assert.equal(consulInstances(w, "site-alpha")[0].Address, alpha[0].status!.podIP);
        assert.equal(consulInstances(w, "site-alpha")[0].Meta!.site, "site-alpha");
    });

    it("never lets two brokers' claims both win for one site, even when they claim different pods at once", async () => {
        w = await startWorld({ pool: 6 });
        const metrics = createMetrics();
        const store = () => new PodStore(w.kube.kubeConfig(), w.config);
        const assigners = Array.from({ length: 6 }, (_, i) => new Assigner(store(), { brokerName: `b${i}`, claimTimeoutMs: 2000 }, metrics, silentLogger));
        for (let round = 0; round < 5; round++) {
            const site = `race-${round}`;
            const got = await Promise.all(assigners.map((x) => x.acquire(site, 0)));
            assert.equal(new Set(got.map((p) => p.metadata!.name)).size, 1, `${site}: every claimant ended with the same pod`);
            assert.equal(sitePods(w, site).length, 1, `${site}: one pod carries the site`);
            await eventually(() => pooled(w).length >= 6, 5000, "the pool refilled");
        }
    });

    it("confirms a claim although the ReplicaSet controller and the kubelet wrote the pod after it; a claim released meanwhile is not confirmed", async () => {
        w = await startWorld({ pool: 2, sites: ["site-iota"] });
        // the kubelet writes the pod's status just before the confirmation arrives (a new resourceVersion, like the controller's release)
        let kubeletWrote = false;
        w.kube.server.intercept = (r) => {
            if (r.method === "PATCH" && r.contentType === "application/json-patch+json" && !kubeletWrote) {
                kubeletWrote = true;
                w.kube.server.updatePodStatus(NAMESPACE, r.path.split("/").pop()!, { hostIP: "10.1.2.3" });
            }
            return undefined;
        };
        const b = await w.startBroker("broker-a");
        const answer = await request(b.port, "site-iota");
        assert.equal(answer.status, 200);
        assert.ok(kubeletWrote);
        const pod = w.kube.get(answer.body.pod)!;
        assert.equal(pod.metadata!.annotations![STATE_ANNOTATION], "assigned");
        assert.deepEqual(pod.metadata!.ownerReferences ?? [], [], "the ReplicaSet released the pod (a write between claim and confirmation)");
        assert.doesNotMatch(await b.broker.metrics.registry.getSingleMetricAsString("broker_assignments_total"), /outcome="conflict"/);
        w.kube.server.intercept = undefined;

        // a claim that is no longer the one read (released as abandoned and claimed again by another
        // broker) cannot be confirmed late: the JSON patch's tests fail (422)
        const store = new PodStore(w.kube.kubeConfig(), w.config);
        const free = (await store.list()).find((p) => store.isPooled(p) && p.status?.conditions?.[0].status === "True")!;
        const claimed = await store.claim(free, { siteId: "site-kappa", key: siteKey("site-kappa"), slot: 0, by: "broker-slow" });
        // what a release and a new claim by broker-other leave on the pod (the release alone may make it surplus and deleted)
        const stored = w.kube.server.pods.get(`${NAMESPACE}/${claimed.metadata!.name}`)!;
        Object.assign(stored.metadata.annotations!, { [CLAIMED_BY_ANNOTATION]: "broker-other", [CLAIMED_AT_ANNOTATION]: new Date(Date.now() + 1).toISOString() });
        await assert.rejects(store.confirm(claimed), (e: unknown) => e instanceof Conflict && e.status === 422);
        assert.equal(w.kube.get(claimed.metadata!.name!)!.metadata!.annotations![STATE_ANNOTATION], "claimed", "not confirmed");
        const last = w.kube.requests.filter((r) => r.method === "PATCH").at(-1)!;
        assert.equal(last.contentType, "application/json-patch+json");
    });

    it("repairs on restart what a broker that died between relabel and registration left: loads, registers and routes to the pod", async () => {
        w = await startWorld({ pool: 3, sites: ["site-gamma", "site-delta"] });
        // the dead broker: claimed and confirmed a pod for the site, then died before loading or registering it
        const dead = new Assigner(new PodStore(w.kube.kubeConfig(), w.config), { brokerName: "broker-dead", claimTimeoutMs: 2000 }, createMetrics(), silentLogger);
        const orphan = await dead.acquire("site-gamma", 0);
        // and one that died after claiming, before confirming
        const store = new PodStore(w.kube.kubeConfig(), w.config);
        const free = w.kube.pods().find((p) => p.metadata!.labels!["globalgrid.dev/pool"] === "warm" && p.status?.conditions?.[0].status === "True")!;
        const half = await store.claim(free, { siteId: "site-delta", key: siteKey("site-delta"), slot: 0, by: "broker-dead" });
        // and a stale Consul registration of a pod that is gone
        await w.startBroker("broker-x").then(async (x) => {
            await x.consul.register({ Node: CONSUL_NODE, Address: "fra1", Service: { ID: "warm-pool-gone", Service: "site-old", Address: "10.9.9.9", Port: 8080 } });
            x.broker.crash();
        });
        assert.equal(consulInstances(w, "site-gamma").length, 0);
        assert.equal(w.runtimes.get(orphan.metadata!.name!)!.site, undefined, "the site was never loaded");

        const restarted = await w.startBroker("broker-restarted"); // start() resyncs first
        await eventually(() => w.runtimes.get(orphan.metadata!.name!)!.site === "site-gamma", 8000, "the site loaded by the repair");
        await eventually(() => consulInstances(w, "site-gamma").length === 1 && checkOf(w, orphan.metadata!.name!) === "passing", 8000, "the repair's registration");
        const answer = await request(restarted.port, "site-gamma");
        assert.deepEqual([answer.status, answer.body.pod], [200, orphan.metadata!.name], "routed to the repaired pod, no new pod taken");
        assert.equal(sitePods(w, "site-gamma").length, 1);
        // the unconfirmed claim went back to the pool once it timed out (a JSON patch removing the claim;
        // back in the selector, the pod is then surplus and the ReplicaSet may delete it), and the stale registration is gone
        const released = (r: RecordedRequest) =>
            r.method === "PATCH" && r.path.endsWith(`/pods/${half.metadata!.name}`) && r.contentType === "application/json-patch+json" && JSON.stringify(r.body).includes('"op":"remove"');
        await eventually(() => w.kube.requests.some(released), 8000, "the abandoned claim released");
        assert.equal(w.kube.pods().filter((p) => p.metadata?.labels?.[SITE_LABEL] === siteKey("site-delta")).length, 0);
        assert.match(await restarted.broker.metrics.registry.getSingleMetricAsString("broker_repairs_total"), /kind="abandoned-claim"\} 1/);
        await eventually(() => !w.consul.nodes.get(CONSUL_NODE)?.services.has("warm-pool-gone"), 5000, "stale registration removed");
    });

    it("keeps serving a site when the broker that assigned it dies: the assignment is in the pod's labels", async () => {
        w = await startWorld({ pool: 3, sites: ["site-eps"] });
        const a = await w.startBroker("broker-a");
        const first = await request(a.port, "site-eps");
        a.broker.crash();
        const b = await w.startBroker("broker-b");
        const again = await request(b.port, "site-eps");
        assert.deepEqual([first.status, again.status], [200, 200]);
        assert.equal(again.body.pod, first.body.pod);
        assert.equal(sitePods(w, "site-eps").length, 1);
    });

    it("recycles a pod older than recycleMinutes without dropping the request in flight, and the site moves to a fresh pod", async () => {
        w = await startWorld({ pool: 2, sites: ["site-zeta"] });
        Object.assign(w.config, { recycleMinutes: 0.02, drainSeconds: 2 });
        w.config.runtime.requestTimeoutSeconds = 2;
        const b = await w.startBroker("broker-a");
        const first = await request(b.port, "site-zeta");
        const oldPod = first.body.pod as string;
        // a request that is still running when the pod turns draining (age 1.2 s) and past the drain start
        const slow = request(b.port, "site-zeta", "/slow?delay=1800");
        await eventually(() => w.kube.get(oldPod)?.metadata?.annotations?.["globalgrid.dev/draining-since"], 5000, "the pod draining");
        await eventually(() => checkOf(w, oldPod) === "critical", 5000, "consul check critical while draining");
        const during = await request(b.port, "site-zeta");
        assert.equal(during.status, 200);
        assert.notEqual(during.body.pod, oldPod, "new requests go to a fresh pod while the old one drains");
        const answer = await slow;
        assert.deepEqual([answer.status, answer.body.pod], [200, oldPod], "the request in flight finished on its pod");
        await eventually(() => w.kube.get(oldPod) === undefined, 8000, "the drained pod deleted");
        await eventually(() => !w.consul.nodes.get(CONSUL_NODE)?.services.has(oldPod), 5000, "deregistered");
    });

    it("recycles a site pod idle longer than idleMinutes", async () => {
        w = await startWorld({ pool: 2, sites: ["site-eta"] });
        Object.assign(w.config.sites, { idleMinutes: 0.01 });
        Object.assign(w.config, { drainSeconds: 0.5 });
        w.config.runtime.requestTimeoutSeconds = 0.5;
        const b = await w.startBroker("broker-a");
        const first = await request(b.port, "site-eta");
        await eventually(() => w.kube.get(first.body.pod) === undefined, 10_000, "the idle pod recycled");
        assert.equal(sitePods(w, "site-eta").length, 0);
        const m = await b.broker.metrics.registry.getSingleMetricAsString("broker_recycled_pods_total");
        assert.match(m, /reason="idle"\} 1/);
    });

    it("answers 503 with Retry-After when the pool is empty, at once, and counts it", async () => {
        w = await startWorld({ pool: 1, sites: ["site-one", "site-two"] });
        const b = await w.startBroker("broker-a");
        assert.equal((await request(b.port, "site-one")).status, 200);
        w.kube.requests.length = 0;
        // the pool's only pod now serves site-one, and no replacement comes (the pool is scaled to 0)
        w.kube.scale(0);
        for (const p of pooled(w)) await new PodStore(w.kube.kubeConfig(), w.config).delete(p, { matchVersion: false });
        const empty = await request(b.port, "site-two");
        assert.equal(empty.status, 503);
        assert.equal(empty.headers["retry-after"], "2");
        assert.match(empty.body.error, /no warm pod/);
        assert.ok(empty.ms < 2000, `answered in ${empty.ms} ms, not hung`);
        assert.match(await b.broker.metrics.registry.getSingleMetricAsString("broker_pool_empty_total"), /broker_pool_empty_total [1-9]/);
        // the site that has its pod is still served
        assert.equal((await request(b.port, "site-one")).status, 200);
        assert.equal((await request(b.port, undefined)).status, 400, "a request without a site is refused");
    });

    it("adds a pod to a saturated site (one at a time) and routes to the less loaded pod", async () => {
        w = await startWorld({ pool: 3, sites: ["site-busy"], config: { sites: { maxInFlightPerPod: 2, maxPodsPerSite: 2 } } });
        const b = await w.startBroker("broker-a");
        const slow = Array.from({ length: 4 }, () => request(b.port, "site-busy", "/work?delay=600"));
        await eventually(() => sitePods(w, "site-busy").length === 2, 5000, "a second pod for the site");
        await Promise.all(slow);
        await sleep(100);
        const spread = await Promise.all(Array.from({ length: 6 }, () => request(b.port, "site-busy", "/work?delay=200")));
        assert.equal(new Set(spread.map((x) => x.body.pod)).size, 2, "requests spread over both pods");
        assert.equal(sitePods(w, "site-busy").length, 2, "never more than maxPodsPerSite");
        await eventually(() => consulInstances(w, "site-busy").length === 2, 5000, "both registered");
    });

    it("gives up a pod that cannot load the site: it is deleted and the next request gets a fresh pod", async () => {
        w = await startWorld({ pool: 1, sites: ["site-theta"] });
        const b = await w.startBroker("broker-a");
        // the pool's pod refuses to load (a broken runtime, say); its replacements are healthy
        for (const r of w.runtimes.values()) r.site = "someone-else";
        const before = new Set(w.kube.pods().map((p) => p.metadata!.name!));
        const failed = await request(b.port, "site-theta");
        assert.equal(failed.status, 503);
        assert.equal(failed.headers["retry-after"], "2");
        const gone = [...before].filter((n) => !w.kube.get(n));
        assert.equal(gone.length, 1, "the pod that failed to load was deleted");
        await eventually(() => [...w.runtimes.values()].some((r) => r.site === undefined && w.kube.get(r.pod)?.status?.conditions?.[0].status === "True"), 5000, "a fresh pod");
        const ok = await request(b.port, "site-theta");
        assert.equal(ok.status, 200);
        assert.ok(!gone.includes(ok.body.pod));
    });
});
