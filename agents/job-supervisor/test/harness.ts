import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { KubeApiServer } from "../../common/src/testing/kube-api-server";
import { writeKubeApiMount } from "../../common/src/testing/kube-mount";
import { PubSubServer } from "../../common/src/testing/pubsub-server";
import { localhostCertificate } from "../../common/src/testing/tls";
import { listen, type RunningServer } from "../../common/src/metrics";
import type { JobRequest } from "../../runtime/src/contract";
import type { SupervisorConfig } from "../src/config";

export const NS = "dc-fra1";
export const TOKEN = "supervisor-token";
export const SUBSCRIPTION = "projects/gg-staging/subscriptions/fra-jobs";
export const POOL = "globalgrid.dev/pool";

/** What the fake app does with one job: answer (status + JobResult body), or hang until aborted. */
export type AppBehaviour = (job: JobRequest, req: http.IncomingMessage) => Promise<{ status: number; body: unknown }>;

/**
 * The world one supervisor runs in: the Kubernetes API (HTTPS, bearer token, the job-grid
 * Deployment and its pods), the region's subscription (gRPC), and the app container's REST
 * endpoint (the runtime contract), each in-process.
 */
export class Harness {
    jobs: JobRequest[] = [];
    behaviour: AppBehaviour = async (job) => ({ status: 200, body: { status: "succeeded", jobId: job.jobId, durationMs: 1 } });

    private constructor(
        readonly kube: KubeApiServer,
        readonly pubsub: PubSubServer,
        readonly app: RunningServer,
        readonly mountDir: string,
        readonly dir: string,
    ) {}

    static async start(options: { maxDeliveryAttempts?: number } = {}): Promise<Harness> {
        const tls = await localhostCertificate();
        const kube = await KubeApiServer.start({ token: TOKEN, tls });
        const pubsub = await PubSubServer.start({ subscription: SUBSCRIPTION, maxDeliveryAttempts: options.maxDeliveryAttempts ?? 5, pullWaitMs: 100 });
        const ref: { h?: Harness } = {};
        const server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                if (req.method !== "POST" || req.url !== "/v1/jobs") return void res.writeHead(404).end();
                const job = JSON.parse(Buffer.concat(chunks).toString("utf8")) as JobRequest;
                ref.h!.jobs.push(job);
                ref.h!.behaviour(job, req).then(
                    (r) => {
                        if (!res.destroyed) res.writeHead(r.status, { "content-type": "application/json" }).end(JSON.stringify(r.body));
                    },
                    () => res.destroy(),
                );
            });
        });
        const app = await listen(server, 0, "127.0.0.1");
        kube.addDeployment(NS, "job-grid", 1, { "app.kubernetes.io/name": "job-grid", [POOL]: "jobs" });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "supervisor-"));
        ref.h = new Harness(kube, pubsub, app, writeKubeApiMount(TOKEN, tls.cert, NS), dir);
        return ref.h;
    }

    config(over: Partial<SupervisorConfig> = {}): SupervisorConfig {
        return {
            subscription: SUBSCRIPTION,
            pubsubEndpoint: this.pubsub.address,
            maxOutstandingMessages: 1,
            ackDeadlineSeconds: 60,
            softTimeLimitSeconds: 30,
            appUrl: `http://127.0.0.1:${this.app.port}`,
            detach: { label: POOL, from: "jobs", to: "running" },
            metricsPort: 19090,
            code: { bucket: "site-code-test", objectPrefix: "sites/", dir: path.join(this.dir, "code") },
            ...over,
        };
    }

    /** Writes the config file a child process reads. */
    configFile(over: Partial<SupervisorConfig> = {}): string {
        const file = path.join(this.dir, `supervisor-${Math.random().toString(36).slice(2)}.json`);
        fs.writeFileSync(file, JSON.stringify(this.config(over)));
        return file;
    }

    /** The Deployment's pods waiting for a job (the ReplicaSet controller runs first). */
    poolPod(): string {
        this.kube.reconcile();
        const [pod] = this.kube.listPods(NS, `${POOL}=jobs`);
        return pod.metadata.name;
    }

    /** A job message as the dispatcher publishes it (the jobs topic's Avro JSON schema). */
    publishJob(jobId: string, payload: unknown = { n: 1 }): string {
        return this.pubsub.publish({ jobId, siteId: "site-a", handler: "nightly", scheduledAt: Date.now() - 2000, payload: JSON.stringify(payload) });
    }

    async close(): Promise<void> {
        await this.app.close();
        await this.pubsub.close();
        await this.kube.close();
    }
}
