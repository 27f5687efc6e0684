/**
 * `npm run agent:demo`: the async path end to end on this machine, with the agents' real clients
 * against the in-process Kubernetes API and Pub/Sub servers: the reference runtime runs a sample
 * site, a job supervisor per pool pod takes one published job each, the scaler resizes the grid
 * from a backlog read from the in-process Cloud Monitoring server. JSON log lines on stdout.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { createLogger, createRegistry, kubeClients, listen } from "../agents/common/src";
import { KubeApiServer } from "../agents/common/src/testing/kube-api-server";
import { writeKubeApiMount } from "../agents/common/src/testing/kube-mount";
import { MonitoringServer } from "../agents/common/src/testing/monitoring-server";
import { PubSubServer } from "../agents/common/src/testing/pubsub-server";
import { localhostCertificate } from "../agents/common/src/testing/tls";
import { supervisorMetrics } from "../agents/job-supervisor/src/metrics";
import { subscriberClient } from "../agents/job-supervisor/src/subscriber";
import { Supervisor } from "../agents/job-supervisor/src/supervisor";
import { Runtime } from "../agents/runtime/src/server";
import { Scaler } from "../agents/scaler/src/scaler";
import { metricClient, UNDELIVERED, OLDEST_UNACKED_AGE } from "../agents/scaler/src/signals";

const NS = "dc-demo1";
const SUB = "projects/demo/subscriptions/demo-jobs";

async function main(): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-demo-"));
    const site = `exports.nightly = async (job) => ({ total: job.payload.items.reduce((a, b) => a + b, 0) });\n`;
    fs.writeFileSync(path.join(dir, "site-a.js"), site);
    fs.writeFileSync(path.join(dir, "site-a.js.sha256"), createHash("sha256").update(site).digest("hex"));

    const tls = await localhostCertificate();
    const kube = await KubeApiServer.start({ token: "demo", tls });
    const pubsub = await PubSubServer.start({ subscription: SUB, maxDeliveryAttempts: 5 });
    const monitoring = await MonitoringServer.start("demo");
    const runtime = new Runtime({ port: 0, workDir: dir, mode: "job", codeBaseUrl: pathToFileURL(dir).href, maxBodyBytes: 1 << 20 }, createLogger({ agent: "runtime" }));
    const app = await listen(http.createServer(runtime.handler()), 0, "127.0.0.1");
    const mount = writeKubeApiMount("demo", tls.cert, NS);
    kube.addDeployment(NS, "job-grid", 2, { "app.kubernetes.io/name": "job-grid", "globalgrid.dev/pool": "jobs" });
    kube.reconcile();

    for (let i = 1; i <= 3; i++) pubsub.publish({ jobId: `demo-${i}`, siteId: "site-a", handler: "nightly", scheduledAt: Date.now(), payload: JSON.stringify({ items: [i, i, i] }) });
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
                code: { bucket: "site-code-demo", objectPrefix: "sites/", dir: "/var/run/globalgrid/code" },
            },
            kube: kubeClients({ mountDir: mount, server: kube.url }),
            subscriber,
            podName: pod.metadata.name,
            logger: createLogger({ agent: "job-supervisor" }),
            metrics: supervisorMetrics(createRegistry("job-supervisor", false)),
            terminate: new AbortController().signal,
        }).run();
        kube.reconcile();
    }
    console.log(JSON.stringify({ demo: "done", acked: pubsub.acked, deadLettered: pubsub.deadLettered.length, gridReplicas: kube.getDeployment(NS, "job-grid")?.spec.replicas }));
    await subscriber.close();
    await mc.close();
    await app.close();
    await Promise.all([kube.close(), pubsub.close(), monitoring.close()]);
}

main().then(
    () => process.exit(0),
    (err: unknown) => {
        console.error(err);
        process.exit(1);
    },
);
