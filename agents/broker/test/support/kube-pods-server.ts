import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import * as k8s from "@kubernetes/client-node";

/**
 * An in-process server speaking the Kubernetes API for the pod operations the broker makes, with
 * the API server's semantics that matter to it: list by label selector (a consistent read),
 * JSON merge patch (RFC 7386) where a `metadata.resourceVersion` in the patch is a precondition
 * (409 Conflict when it differs), delete with `preconditions` {uid, resourceVersion} (409 when they
 * differ), a new resourceVersion on every write, and Status objects for errors. A ReplicaSet-like
 * `keep(selector, replicas)` creates a replacement whenever fewer pods match the selector (what the
 * Deployment does after a pod is relabeled out of it).
 *
 * agents/common/src/testing/kube-api-server.ts is the agents' shared, fuller fake (watch, owner
 * references, deployments/scale); this one was written for the broker before that one existed and
 * differs where the broker's tests need it: the controller runs after every write, pods get their own
 * loopback address and turn Ready once the test's runtime for them listens. Moving these tests onto
 * the shared fake (with a small extension for those two behaviours) is left to do.
 */

type Pod = k8s.V1Pod;

export interface KubePodsServer {
    url: string;
    kubeConfig(): k8s.KubeConfig;
    pods(): Pod[];
    get(name: string): Pod | undefined;
    /** adds a Running pod, Ready once `onCreate` (the test's runtime for it) has started */
    add(labels: Record<string, string>, opts?: { ip?: string; created?: Date; ready?: boolean }): Pod;
    /** keeps `replicas` pods matching `selector` (the ReplicaSet controller), with the template labels */
    keep(selector: Record<string, string>, template: Record<string, string>, replicas: number): void;
    /** sets the replicas every `keep` controller maintains (no pod is removed) */
    scale(replicas: number): void;
    /** called with every pod created (by add or by keep) */
    onCreate?: (pod: Pod) => void | Promise<void>;
    /** called with every pod deleted */
    onDelete?: (pod: Pod) => void;
    /** requests answered, `METHOD path status` */
    log: string[];
    /** hold every write for this long (widens race windows in tests) */
    writeDelayMs: number;
    close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });

function matches(labels: Record<string, string> | undefined, selector: string | null): boolean {
    if (!selector) return true;
    return selector.split(",").every((term) => {
        const [k, v] = term.split("=");
        return (labels ?? {})[k] === v;
    });
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: any, patch: any): any {
    if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
    const out = target && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k];
        else out[k] = mergePatch(out[k], v);
    }
    return out;
}

export async function startKubePodsServer(namespace: string): Promise<KubePodsServer> {
    const pods = new Map<string, Pod>();
    let version = 1000;
    let ipSeq = 2;
    let podSeq = 0;
    const log: string[] = [];
    const controllers: { selector: Record<string, string>; template: Record<string, string>; replicas: number }[] = [];
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    const api: KubePodsServer = {
        url: "",
        log,
        writeDelayMs: 0,
        kubeConfig() {
            const kc = new k8s.KubeConfig();
            kc.loadFromOptions({
                clusters: [{ name: "test", server: api.url, skipTLSVerify: true }],
                users: [{ name: "broker", token: "test-token" }],
                contexts: [{ name: "test", cluster: "test", user: "broker", namespace }],
                currentContext: "test",
            });
            return kc;
        },
        pods: () => [...pods.values()].map((p) => structuredClone(p)),
        get: (name) => (pods.has(name) ? structuredClone(pods.get(name)!) : undefined),
        add(labels, opts = {}) {
            const name = `warm-pool-${(++podSeq).toString(36).padStart(5, "0")}`;
            const pod: Pod = {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name, namespace, uid: randomUUID(), labels: { ...labels }, annotations: {}, resourceVersion: String(++version), creationTimestamp: opts.created ?? new Date() },
                status: {
                    phase: "Running",
                    podIP: opts.ip ?? `127.0.${Math.floor(ipSeq / 250)}.${(ipSeq++ % 250) + 2}`,
                    conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }],
                },
            };
            pods.set(name, pod);
            // like a readiness probe: the pod turns Ready once its container (onCreate) is up
            const up = api.onCreate?.(structuredClone(pod));
            if (up && opts.ready !== false) {
                pod.status!.conditions = [{ type: "Ready", status: "False" }];
                void Promise.resolve(up).then(() => {
                    const live = pods.get(name);
                    if (!live) return;
                    live.status = { ...live.status, conditions: [{ type: "Ready", status: "True" }] };
                    live.metadata!.resourceVersion = String(++version);
                });
            }
            return structuredClone(pod);
        },
        keep(selector, template, replicas) {
            controllers.push({ selector, template, replicas });
            reconcile();
        },
        scale(replicas) {
            for (const c of controllers) c.replicas = replicas;
            reconcile();
        },
        async close() {
            server.closeAllConnections();
            await new Promise<void>((r) => server.close(() => r()));
        },
    };

    const sel = (m: Record<string, string>) =>
        Object.entries(m)
            .map(([k, v]) => `${k}=${v}`)
            .join(",");
    function reconcile(): void {
        for (const c of controllers) {
            const have = [...pods.values()].filter((p) => !p.metadata?.deletionTimestamp && matches(p.metadata?.labels, sel(c.selector))).length;
            for (let i = have; i < c.replicas; i++) api.add(c.template);
        }
    }

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", async () => {
            const url = new URL(req.url ?? "/", "http://kube");
            const reply = (code: number, body: unknown) => {
                log.push(`${req.method} ${url.pathname} ${code}`);
                res.writeHead(code, { "content-type": "application/json" });
                res.end(JSON.stringify(body));
            };
            const m = url.pathname.match(new RegExp(`^/api/v1/namespaces/${namespace}/pods(?:/([^/]+))?$`));
            if (!m) return reply(404, status(404, "NotFound", `the server could not find the requested resource (${url.pathname})`));
            const name = m[1];
            if (req.method === "GET" && !name) {
                const items = [...pods.values()].filter((p) => matches(p.metadata?.labels, url.searchParams.get("labelSelector")));
                return reply(200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: String(version) }, items });
            }
            const pod = name ? pods.get(name) : undefined;
            if (req.method === "GET") return pod ? reply(200, pod) : reply(404, status(404, "NotFound", `pods "${name}" not found`));
            if (api.writeDelayMs) await sleep(api.writeDelayMs);
            const current = name ? pods.get(name) : undefined;
            if (!current) return reply(404, status(404, "NotFound", `pods "${name}" not found`));
            const conflict = () => reply(409, status(409, "Conflict", `Operation cannot be fulfilled on pods "${name}": the object has been modified; please apply your changes to the latest version and try again`));
            const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
            if (req.method === "PATCH") {
                if (req.headers["content-type"] !== "application/merge-patch+json") return reply(415, status(415, "UnsupportedMediaType", `unsupported patch type ${req.headers["content-type"]}`));
                const rv = body?.metadata?.resourceVersion;
                if (rv !== undefined && rv !== current.metadata?.resourceVersion) return conflict();
                const next = mergePatch(current, body) as Pod;
                next.metadata = { ...next.metadata, name: current.metadata?.name, uid: current.metadata?.uid, resourceVersion: String(++version) };
                pods.set(name, next);
                reply(200, next);
                return reconcile();
            }
            if (req.method === "DELETE") {
                const pre = body?.preconditions ?? {};
                if ((pre.uid && pre.uid !== current.metadata?.uid) || (pre.resourceVersion && pre.resourceVersion !== current.metadata?.resourceVersion)) return conflict();
                pods.delete(name);
                api.onDelete?.(structuredClone(current));
                reply(200, current);
                return reconcile();
            }
            return reply(405, status(405, "MethodNotAllowed", `${req.method} is not supported`));
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return api;
}
