import * as assert from "node:assert/strict";
import { createLogger, createRegistry, kubeClients } from "../../common/src";
import { KubeApiServer } from "../../common/src/testing/kube-api-server";
import { writeKubeApiMount } from "../../common/src/testing/kube-mount";
import { MonitoringServer } from "../../common/src/testing/monitoring-server";
import { localhostCertificate } from "../../common/src/testing/tls";
import type { ScalerConfig } from "../src/config";
import { Scaler } from "../src/scaler";
import { metricClient, OLDEST_UNACKED_AGE, UNDELIVERED } from "../src/signals";

const NS = "dc-fra1";
const TOKEN = "scaler-token";
const PROJECT = "gg-staging";

/** The scaler through @kubernetes/client-node and @google-cloud/monitoring against in-process servers. */
describe("scaler agent", () => {
    let kube: KubeApiServer;
    let monitoring: MonitoringServer;
    let mount: string;
    let clock = 1_800_000_000_000;

    beforeEach(async () => {
        const tls = await localhostCertificate();
        kube = await KubeApiServer.start({ token: TOKEN, tls });
        monitoring = await MonitoringServer.start(PROJECT);
        mount = writeKubeApiMount(TOKEN, tls.cert, NS);
        clock = Date.now();
    });
    afterEach(async () => {
        await monitoring.close();
        await kube.close();
    });

    const base = { minReplicas: 1, maxReplicas: 20, consulService: "fra1-x", intervalSeconds: 15, scaleDownStabilizationSeconds: 300, metricsPort: 9090 };

    function scaler(config: ScalerConfig) {
        const registry = createRegistry("scaler", false);
        const client = config.policy.kind === "backlog" ? metricClient(monitoring.address) : undefined;
        return {
            s: new Scaler({ config, kube: kubeClients({ mountDir: mount, server: kube.url }), monitoring: client, logger: createLogger({ agent: "scaler", sink: () => undefined }), registry, now: () => clock }),
            registry,
            client,
        };
    }

    it("job grid: sizes from the subscription's backlog in Cloud Monitoring, up at once, down after the window", async () => {
        kube.addDeployment(NS, "job-grid", 2, { "globalgrid.dev/pool": "jobs" });
        const { s, client, registry } = scaler({
            ...base,
            target: { apiVersion: "apps/v1", kind: "Deployment", name: "job-grid" },
            policy: { kind: "backlog", subscription: `projects/${PROJECT}/subscriptions/fra-jobs`, backlogPerPod: 5, lookAheadSeconds: 60, startSlaSeconds: 120 },
            monitoringProject: PROJECT,
        });
        try {
            // no data yet: hold
            assert.equal(await s.round(), undefined);
            assert.equal(kube.getDeployment(NS, "job-grid")?.spec.replicas, 2);

            monitoring.record(UNDELIVERED, "fra-jobs", 30, clock - 120_000); // an older sample
            monitoring.record(UNDELIVERED, "fra-jobs", 40, clock - 60_000); // the newest is used
            monitoring.record(OLDEST_UNACKED_AGE, "fra-jobs", 10, clock - 60_000);
            monitoring.record(UNDELIVERED, "other-jobs", 999, clock - 60_000); // another subscription
            assert.deepEqual(await s.round(), { desired: 6, current: 2 }); // 8 wanted, +4/+100% per round
            assert.equal(kube.getDeployment(NS, "job-grid")?.spec.replicas, 6);
            clock += 15_000;
            assert.deepEqual(await s.round(), { desired: 8, current: 6 });

            monitoring.record(UNDELIVERED, "fra-jobs", 5, clock - 1000);
            clock += 15_000;
            assert.deepEqual(await s.round(), { desired: 8, current: 8 }, "no scale-down inside the window");
            clock += 301_000;
            monitoring.record(UNDELIVERED, "fra-jobs", 5, clock - 1000);
            assert.deepEqual(await s.round(), { desired: 1, current: 8 });
            assert.equal(kube.getDeployment(NS, "job-grid")?.spec.replicas, 1);

            const req = monitoring.requests[0];
            assert.equal(req.name, `projects/${PROJECT}`);
            assert.match(String(req.filter), /metric\.type = "pubsub\.googleapis\.com\/subscription\/num_undelivered_messages"/);
            // it wrote only the scale subresource of its target
            const writes = kube.requests.filter((r) => r.method !== "GET");
            assert.ok(writes.length > 0 && writes.every((r) => r.method === "PATCH" && r.path === `/apis/apps/v1/namespaces/${NS}/deployments/job-grid/scale`));
            assert.match(await registry.metrics(), /globalgrid_scaler_desired_replicas\{agent="scaler"\} 1/);
        } finally {
            await client?.close();
        }
    });

    it("warm pool: keeps the idle share above the threshold, counting taken pods read-only", async () => {
        kube.addDeployment(NS, "warm-pool", 2, { "app.kubernetes.io/name": "warm-pool", "globalgrid.dev/pool": "warm" });
        kube.reconcile();
        for (let i = 0; i < 6; i++) kube.addPod(NS, `taken-${i}`, { "app.kubernetes.io/name": "warm-pool", "globalgrid.dev/pool": "site" });
        const { s } = scaler({
            ...base,
            target: { apiVersion: "apps/v1", kind: "Deployment", name: "warm-pool" },
            policy: { kind: "availability", availabilityThreshold: 0.4, detachedSelector: "app.kubernetes.io/name=warm-pool,globalgrid.dev/pool=site" },
        });
        // 6 taken at 40% idle: 4 idle pods
        assert.deepEqual(await s.round(), { desired: 4, current: 2 });
        assert.equal(kube.getDeployment(NS, "warm-pool")?.spec.replicas, 4);
        const reads = kube.requests.filter((r) => r.path === `/api/v1/namespaces/${NS}/pods`);
        assert.ok(reads.every((r) => r.method === "GET" && r.query.get("labelSelector")?.includes("globalgrid.dev/pool=site")));
    });

    it("never overwrites a concurrent change: a stale Scale write is refused with 409 and retried next round", async () => {
        kube.addDeployment(NS, "warm-pool", 1, { "globalgrid.dev/pool": "warm" });
        for (let i = 0; i < 3; i++) kube.addPod(NS, `t-${i}`, { "globalgrid.dev/pool": "site" });
        let raced = false;
        kube.intercept = (req) => {
            if (req.method === "PATCH" && !raced) {
                raced = true;
                const d = kube.deployments.get(`${NS}/warm-pool`)!;
                d.spec.replicas = 2;
                d.metadata.resourceVersion = String(Number(d.metadata.resourceVersion) + 1000);
            }
            return undefined;
        };
        const { s, registry } = scaler({ ...base, target: { apiVersion: "apps/v1", kind: "Deployment", name: "warm-pool" }, policy: { kind: "availability", availabilityThreshold: 0.5, detachedSelector: "globalgrid.dev/pool=site" } });
        await s.round();
        assert.equal(kube.getDeployment(NS, "warm-pool")?.spec.replicas, 2, "the concurrent write stands");
        assert.match(await registry.metrics(), /globalgrid_scaler_scale_writes_total\{result="error",agent="scaler"\} 1/);
        await s.round();
        assert.equal(kube.getDeployment(NS, "warm-pool")?.spec.replicas, 3);
    });
});
