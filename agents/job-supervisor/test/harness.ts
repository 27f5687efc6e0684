import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Storage } from "@google-cloud/storage";
import { codeObjectName, sha256Of, storageClient } from "../../common/src/site-catalog";
import { KubeApiServer } from "../../common/src/testing/kube-api-server";
import { writeKubeApiMount } from "../../common/src/testing/kube-mount";
import { PubSubServer } from "../../common/src/testing/pubsub-server";
import { startStorageServer, type StorageServer } from "../../common/src/testing/storage-server";
import { localhostCertificate } from "../../common/src/testing/tls";
import { listen, type RunningServer } from "../../common/src/metrics";
import { jobRequestSchema, type JobRequest } from "../../runtime/src/contract";
import type { Subscriber } from "../src/subscriber";
import type { SupervisorConfig } from "../src/config";
import { supervisorMetrics } from "../src/metrics";
import { Supervisor } from "../src/supervisor";
import { createLogger, createRegistry, kubeClients, memorySink } from "../../common/src";

export const NS = "dc-fra1";
export const TOKEN = "supervisor-token";
export const SUBSCRIPTION = "projects/gg-staging/subscriptions/fra-jobs";
export const POOL = "globalgrid.dev/pool";
export const BUCKET = "gg-test-fra-site-code";
export const SITE = "site-a";
/** site-a's release: the module the jobs' `codeSha256` names by default */
export const SITE_CODE = "exports.nightly = async (job) => ({ n: job.payload.n });\n";

/** What the fake app does with one job: answer (status + JobResult body), or hang until aborted. */
export type AppBehaviour = (job: JobRequest, req: http.IncomingMessage) => Promise<{ status: number; body: unknown }>;

/**
 * The world one supervisor runs in: the Kubernetes API (HTTPS, bearer token, the job-grid
 * Deployment and its pods), the region's subscription (gRPC), the region's code bucket (Cloud
 * Storage JSON API, site-a's release uploaded through @google-cloud/storage), and the app
 * container's REST endpoint (the runtime contract), each in-process. The app checks each job with
 * the runtime's own `jobRequestSchema` (400 otherwise) and reads its `file:` code URL, as the
 * reference runtime does; `codeRead` holds what it read.
 */
export class Harness {
    jobs: JobRequest[] = [];
    /** the code file of each job, read by the app at its `code.url` */
    codeRead: Buffer[] = [];
    behaviour: AppBehaviour = async (job) => ({ status: 200, body: { status: "succeeded", jobId: job.jobId, durationMs: 1 } });

    private constructor(
        readonly kube: KubeApiServer,
        readonly pubsub: PubSubServer,
        readonly app: RunningServer,
        readonly mountDir: string,
        readonly dir: string,
        readonly gcs: StorageServer,
        readonly storage: Storage,
        /** site-a's published release */
        readonly codeSha256: string,
    ) {}

    static async start(options: { maxDeliveryAttempts?: number } = {}): Promise<Harness> {
        const tls = await localhostCertificate();
        const kube = await KubeApiServer.start({ token: TOKEN, tls });
        const pubsub = await PubSubServer.start({ subscription: SUBSCRIPTION, maxDeliveryAttempts: options.maxDeliveryAttempts ?? 5, pullWaitMs: 100 });
        const gcs = await startStorageServer();
        gcs.buckets.set(BUCKET, new Map());
        const storage = storageClient(gcs.endpoint);
        const codeSha256 = sha256Of(Buffer.from(SITE_CODE));
        await storage.bucket(BUCKET).file(codeObjectName("sites/", SITE, codeSha256)).save(SITE_CODE, { resumable: false, contentType: "application/javascript" });
        const ref: { h?: Harness } = {};
        const server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                if (req.method !== "POST" || req.url !== "/v1/jobs") return void res.writeHead(404).end();
                const parsed = jobRequestSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
                if (!parsed.success) return void res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: parsed.error.message, code: "bad_request" }));
                const job = parsed.data;
                ref.h!.jobs.push(job);
                const code = fs.readFileSync(fileURLToPath(job.code.url));
                ref.h!.codeRead.push(code);
                if (sha256Of(code) !== job.code.sha256) {
                    const error = `code ${job.code.url} does not match ${job.code.sha256}`;
                    return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "failed", jobId: job.jobId, durationMs: 0, error, retryable: false }));
                }
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
        ref.h = new Harness(kube, pubsub, app, writeKubeApiMount(TOKEN, tls.cert, NS), dir, gcs, storage, codeSha256);
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
            code: { bucket: BUCKET, objectPrefix: "sites/", dir: path.join(this.dir, "code"), storageEndpoint: this.gcs.endpoint },
            ...over,
        };
    }

    /**
     * An in-process supervisor on `pod` with the real clients (Kubernetes, the generated Pub/Sub
     * Subscriber, @google-cloud/storage) against this harness's servers; its log lines and metrics
     * registry for the test to read. DEBUG_LOGS=1 prints the lines as well.
     */
    supervisor(
        subscriber: Subscriber,
        o: { pod?: string; config?: Partial<SupervisorConfig>; storage?: Storage; terminate?: AbortSignal; timeScale?: number } = {},
    ): { s: Supervisor; lines: ReturnType<typeof memorySink>["lines"]; registry: ReturnType<typeof createRegistry> } {
        const { sink, lines } = memorySink();
        const registry = createRegistry("job-supervisor", false);
        const s = new Supervisor({
            config: this.config(o.config),
            kube: kubeClients({ mountDir: this.mountDir, server: this.kube.url }),
            subscriber,
            storage: o.storage ?? this.storage,
            podName: o.pod ?? this.poolPod(),
            logger: createLogger({ agent: "job-supervisor", sink: process.env.DEBUG_LOGS ? (l, sev) => (console.log(l), sink(l, sev)) : sink }),
            metrics: supervisorMetrics(registry),
            terminate: o.terminate ?? new AbortController().signal,
            ...(o.timeScale ? { timeScale: o.timeScale } : {}),
        });
        return { s, lines, registry };
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

    /** A job message as the dispatcher publishes it (the jobs topic's Avro JSON schema), naming site-a's release; `over` replaces fields (undefined drops one). */
    publishJob(jobId: string, payload: unknown = { n: 1 }, over: Record<string, unknown> = {}): string {
        return this.pubsub.publish({ jobId, siteId: SITE, handler: "nightly", codeSha256: this.codeSha256, scheduledAt: Date.now() - 2000, payload: JSON.stringify(payload), ...over });
    }

    /** The code bucket's object of a release of site-a. */
    objectOf(sha256: string): string {
        return codeObjectName("sites/", SITE, sha256);
    }

    async close(): Promise<void> {
        await this.app.close();
        await this.pubsub.close();
        await this.kube.close();
        await this.gcs.close();
    }
}
