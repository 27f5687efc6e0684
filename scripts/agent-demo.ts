/**
 * `npm run agent:demo`: the async path end to end on this machine, with the agents' real clients
 * against the in-process Kubernetes API, Pub/Sub, Cloud Storage, Consul and Cloud Monitoring
 * servers: a sample site is published (publishSite: its code object in the region's bucket, then
 * its catalog record in Consul KV), jobs naming its release (`codeSha256`, read from the catalog)
 * are published, the scaler resizes the grid from the backlog, and a job supervisor per pool pod
 * takes one job each, stages the release's code into its code directory and has the reference
 * runtime run it. JSON log lines on stdout.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { createLogger, createRegistry, kubeClients, listen, publishSite, readSiteRecord, SITE_KV_PREFIX, storageClient } from "../agents/common/src";
import { ConsulApi } from "../agents/common/src/consul";
import { fakeConsulAccess } from "../agents/common/src/testing/consul-access-files";
import { startConsulApiServer } from "../agents/common/src/testing/consul-api-server";
import { KubeApiServer } from "../agents/common/src/testing/kube-api-server";
import { writeKubeApiMount } from "../agents/common/src/testing/kube-mount";
import { MonitoringServer } from "../agents/common/src/testing/monitoring-server";
import { PubSubServer } from "../agents/common/src/testing/pubsub-server";
import { startStorageServer } from "../agents/common/src/testing/storage-server";
import { localhostCertificate } from "../agents/common/src/testing/tls";
import { supervisorMetrics } from "../agents/job-supervisor/src/metrics";
import { subscriberClient } from "../agents/job-supervisor/src/subscriber";
import { Supervisor } from "../agents/job-supervisor/src/supervisor";
import { Runtime } from "../agents/runtime/src/server";
import { Scaler } from "../agents/scaler/src/scaler";
import { metricClient, UNDELIVERED, OLDEST_UNACKED_AGE } from "../agents/scaler/src/signals";

const NS = "dc-demo1";
const SUB = "projects/demo/subscriptions/demo-jobs";
const BUCKET = "gg-demo-demo1-site-code";

async function main(): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-demo-"));
    const site = `exports.nightly = async (job) => ({ total: job.payload.items.reduce((a, b) => a + b, 0) });\n`;

    const tls = await localhostCertificate();
    const kube = await KubeApiServer.start({ token: "demo", tls });
    const pubsub = await PubSubServer.start({ subscription: SUB, maxDeliveryAttempts: 5 });
    const monitoring = await MonitoringServer.start("demo");
    const gcs = await startStorageServer();
    gcs.buckets.set(BUCKET, new Map());
    const consul = await startConsulApiServer({ datacenter: "demo" });
    const publisher = new ConsulApi(fakeConsulAccess(consul, "publishers", [{ resource: "key", prefix: SITE_KV_PREFIX, policy: "write" }]));
    const storage = storageClient(gcs.endpoint);
    await publishSite({ storage, consul: publisher, bucket: BUCKET, siteId: "site-a", code: site });
    const release = (await readSiteRecord(publisher, SITE_KV_PREFIX, "site-a"))!;
    console.log(JSON.stringify({ demo: "published", siteId: "site-a", codeSha256: release.code.sha256, objects: [...gcs.buckets.get(BUCKET)!.keys()] }));
    const runtime = new Runtime({ port: 0, workDir: dir, mode: "job", maxBodyBytes: 1 << 20 }, createLogger({ agent: "runtime" }));
    const app = await listen(http.createServer(runtime.handler()), 0, "127.0.0.1");
    const mount = writeKubeApiMount("demo", tls.cert, NS);
    kube.addDeployment(NS, "job-grid", 2, { "app.kubernetes.io/name": "job-grid", "globalgrid.dev/pool": "jobs" });
    kube.reconcile();

    for (let i = 1; i <= 3; i++) {
        pubsub.publish({ jobId: `demo-${i}`, siteId: "site-a", handler: "nightly", codeSha256: release.code.sha256, scheduledAt: Date.now(), payload: JSON.stringify({ items: [i, i, i] }) });
    }
    monitoring.record(UNDELIVERED, "demo-jobs", 3);
    monitoring.record(OLDEST_UNACKED_AGE, "demo-jobs", 5);

    const mc = metricClient(monitoring.address);
    const scaler = new Scaler({
        config: {
            target: { apiVersion: "apps/v1", kind: "Deployment", name: "job-grid" },
            minReplicas: 1,
            maxReplicas: 10,
            policy: { kind: "backlog", subscription: SUB, backlogPerPod: 1, lookAheadSeconds: 60, startSlaSeconds: 120 },
            consulService: "demo1-job-grid",
            intervalSeconds: 15,
            scaleDownStabilizationSeconds: 300,
            monitoringProject: "demo",
            metricsPort: 9090,
        },
        kube: kubeClients({ mountDir: mount, server: kube.url }),
        monitoring: mc,
        logger: createLogger({ agent: "scaler" }),
        registry: createRegistry("scaler", false),
    });
    await scaler.round();
    kube.reconcile();

    const subscriber = subscriberClient(pubsub.address);
    while (pubsub.outstanding > 0) {
        const [pod] = kube.listPods(NS, "globalgrid.dev/pool=jobs");
        await new Supervisor({
            config: {
                subscription: SUB,
                pubsubEndpoint: pubsub.address,
                maxOutstandingMessages: 1,
                ackDeadlineSeconds: 60,
                softTimeLimitSeconds: 30,
                appUrl: `http://127.0.0.1:${app.port}`,
                detach: { label: "globalgrid.dev/pool", from: "jobs", to: "running" },
                metricsPort: 9091,
                code: { bucket: BUCKET, objectPrefix: "sites/", dir: path.join(dir, "code"), storageEndpoint: gcs.endpoint },
            },
            kube: kubeClients({ mountDir: mount, server: kube.url }),
            subscriber,
            storage,
            podName: pod.metadata.name,
            logger: createLogger({ agent: "job-supervisor" }),
            metrics: supervisorMetrics(createRegistry("job-supervisor", false)),
            terminate: new AbortController().signal,
        }).run();
        kube.reconcile();
    }
    const downloads = gcs.log.filter((l) => l.startsWith("GET ")).length;
    console.log(JSON.stringify({ demo: "done", acked: pubsub.acked, deadLettered: pubsub.deadLettered.length, gridReplicas: kube.getDeployment(NS, "job-grid")?.spec.replicas, codeDownloads: downloads }));
    publisher.close();
    await subscriber.close();
    await mc.close();
    await app.close();
    await Promise.all([kube.close(), pubsub.close(), monitoring.close(), gcs.close(), consul.close()]);
}

main().then(
    () => process.exit(0),
    (err: unknown) => {
        console.error(err);
        process.exit(1);
    },
);
