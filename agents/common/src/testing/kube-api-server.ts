import { randomBytes, randomUUID } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import { JsonPatchError, jsonPatch, mergePatch } from "./json-patch";
import { Labels, matchLabelsToSelector, parseLabelSelector } from "./label-selector";

/**
 * An in-process server speaking the Kubernetes API wire protocol (JSON over HTTP/1.1, bearer
 * token, `Status` objects for errors, chunked newline-delimited watch events) for the calls the
 * platform's agents make: pods get/list/watch/patch/delete and apps/v1 deployments/{name}/scale
 * get/patch/put. Agents are tested through @kubernetes/client-node against it.
 *
 * What it models, with the documented behaviour each part reproduces:
 * - resourceVersion: one cluster-wide increasing counter, a new value on every write
 *   (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions);
 * - optimistic concurrency: a write whose object carries `metadata.resourceVersion` different from
 *   the stored one fails with 409 Conflict, reason `Conflict`, message "Operation cannot be
 *   fulfilled on pods "x": the object has been modified; please apply your changes to the latest
 *   version and try again" (apimachinery `errors.NewConflict` + `registry.OptimisticLockErrorMsg`);
 *   a write without it is unconditional (pods and deployments allow unconditional update);
 * - delete preconditions (`DeleteOptions.preconditions.uid/resourceVersion`): 409 Conflict with
 *   "Precondition failed: UID in precondition: a, UID in object meta: b" (apiserver
 *   storage.Preconditions.Check, wrapped by NewConflict);
 * - a missing object: 404 NotFound `pods "x" not found`;
 * - a missing or wrong bearer token: 401 Unauthorized;
 * - deletion is immediate (as for a pod that is not bound to a node, or `gracePeriodSeconds: 0`);
 *   the response is 200 with the deleted object.
 *
 * The ReplicaSet controller is modelled by `reconcile()`, which tests call explicitly (or, with
 * `reconcileAfterWrites`, the server runs after every write it serves, as the controller reacts to
 * its watch): pods are counted by the Deployment's selector, so a pod whose pool label was changed
 * leaves the Deployment, loses its controller ownerReference (a write: a new resourceVersion, as the
 * controller's release patch makes) and is replaced
 * (https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#isolating-pods-from-a-replicaset).
 *
 * Pods can come with a container behind them: `onPodAdded` is called for every pod created; when it
 * returns a promise the pod is not Ready until it settles (the readiness probe passing), then a
 * status write makes it Ready. `onPodDeleted` is called for every pod removed (its containers stop).
 */

export interface ObjectMeta {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Labels;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
    [k: string]: unknown;
}

export interface StoredPod {
    apiVersion: "v1";
    kind: "Pod";
    metadata: ObjectMeta;
    spec: Record<string, unknown>;
    status: Record<string, unknown>;
}

export interface StoredDeployment {
    apiVersion: "apps/v1";
    kind: "Deployment";
    metadata: ObjectMeta;
    spec: { replicas: number; selector: { matchLabels: Labels }; template: { metadata: { labels: Labels } } };
}

/** One request as the server received it (for assertions on what a client sent). */
export interface RecordedRequest {
    method: string;
    path: string;
    query: URLSearchParams;
    contentType?: string;
    body?: unknown;
}

/** Returned by `intercept` to answer a request in place of the model (fault injection). */
export interface InterceptResponse {
    status: number;
    body: unknown;
}

export interface KubeApiServerOptions {
    /** bearer token the server accepts; any request without it gets 401. Unset: no authentication */
    token?: string;
    /** serve HTTPS with this certificate (PEM); plain HTTP when unset */
    tls?: { cert: string; key: string };
    /** watch events kept for `resourceVersion` resumption; older ones answer 410 Gone */
    historyLimit?: number;
    /** the IP of each new pod (default `10.0.0.<n>`) */
    podIp?: () => string;
    /** run the ReplicaSet controller (`reconcile()`) after every write served over HTTP */
    reconcileAfterWrites?: boolean;
}

type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

interface HistoryEntry {
    rv: number;
    type: WatchEventType;
    object: StoredPod;
    /** the object before the change (for label-selector watches) */
    previous?: StoredPod;
}

interface Watcher {
    namespace: string;
    matches: (labels: Labels) => boolean;
    res: http.ServerResponse;
}

const clone = <T>(v: T): T => structuredClone(v);

/** A `Status` object as the API server writes it for an error (meta/v1 Status). */
export function statusObject(
    code: number,
    reason: string,
    message: string,
    details?: { name?: string; group?: string; kind?: string },
): Record<string, unknown> {
    return {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message,
        reason,
        ...(details ? { details } : {}),
        code,
    };
}

class ApiError extends Error {
    constructor(
        readonly code: number,
        readonly body: Record<string, unknown>,
    ) {
        super(String(body.message));
    }
}

/** The resource as it appears in errors: `pods`, `deployments.apps` (schema.GroupResource.String()). */
interface Resource {
    plural: string;
    group: string;
}
const PODS: Resource = { plural: "pods", group: "" };
const DEPLOYMENTS: Resource = { plural: "deployments", group: "apps" };
const qualified = (r: Resource) => (r.group ? `${r.plural}.${r.group}` : r.plural);
const details = (r: Resource, name: string) => ({ name, ...(r.group ? { group: r.group } : {}), kind: r.plural });

const notFound = (r: Resource, name: string) =>
    new ApiError(404, statusObject(404, "NotFound", `${qualified(r)} "${name}" not found`, details(r, name)));
const conflict = (r: Resource, name: string, why: string) =>
    new ApiError(
        409,
        statusObject(409, "Conflict", `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, details(r, name)),
    );
const OPTIMISTIC_LOCK = "the object has been modified; please apply your changes to the latest version and try again";

export class KubeApiServer {
    readonly pods = new Map<string, StoredPod>();
    readonly deployments = new Map<string, StoredDeployment>();
    readonly requests: RecordedRequest[] = [];
    /** answer a request instead of the model when this returns a response */
    intercept?: (req: RecordedRequest) => InterceptResponse | undefined;
    /** called for every pod created; a returned promise holds the pod not Ready until it settles */
    onPodAdded?: (pod: StoredPod) => void | Promise<void>;
    /** called for every pod removed */
    onPodDeleted?: (pod: StoredPod) => void;
    /** hold every write served over HTTP this long before applying it (widens race windows) */
    writeDelayMs = 0;

    private rv = 1;
    private history: HistoryEntry[] = [];
    private watchers = new Set<Watcher>();
    private server!: http.Server;
    private baseUrl = "";

    private constructor(private readonly options: KubeApiServerOptions) {}

    static async start(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
        const s = new KubeApiServer(options);
        const handler = (req: http.IncomingMessage, res: http.ServerResponse) => s.handle(req, res);
        s.server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
        await new Promise<void>((resolve) => s.server.listen(0, "127.0.0.1", () => resolve()));
        const port = (s.server.address() as AddressInfo).port;
        s.baseUrl = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;
        return s;
    }

    /** `https://127.0.0.1:<port>` (or http) */
    get url(): string {
        return this.baseUrl;
    }

    async close(): Promise<void> {
        for (const w of this.watchers) w.res.end();
        this.watchers.clear();
        await new Promise<void>((resolve) => {
            this.server.close(() => resolve());
            this.server.closeAllConnections();
        });
    }

    // ---- the model, for test setup and assertions ----

    private nextRv(): string {
        this.rv += 1;
        return String(this.rv);
    }

    /** Stores a pod (Running and Ready unless `status` says otherwise) and emits ADDED. */
    addPod(namespace: string, name: string, labels: Labels, extra: Partial<Pick<StoredPod, "spec" | "status">> & { ownerReferences?: ObjectMeta["ownerReferences"] } = {}): StoredPod {
        const pod: StoredPod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: {
                name,
                namespace,
                uid: randomUUID(),
                resourceVersion: this.nextRv(),
                creationTimestamp: new Date().toISOString(),
                labels: { ...labels },
                ...(extra.ownerReferences ? { ownerReferences: extra.ownerReferences } : {}),
            },
            spec: extra.spec ?? { containers: [{ name: "app", image: "example" }] },
            status: extra.status ?? {
                phase: "Running",
                conditions: [{ type: "Ready", status: "True" }],
                podIP: this.options.podIp?.() ?? `10.0.0.${this.pods.size + 2}`,
            },
        };
        this.pods.set(`${namespace}/${name}`, pod);
        const up = this.onPodAdded?.(clone(pod));
        if (up) {
            // Ready once the container is up, like a readiness probe passing
            const ready = (pod.status.conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === "Ready")?.status;
            pod.status = { ...pod.status, conditions: [{ type: "Ready", status: "False" }] };
            void Promise.resolve(up).then(() => {
                if (this.pods.get(`${namespace}/${name}`) === pod && ready === "True") this.updatePodStatus(namespace, name, { conditions: [{ type: "Ready", status: "True" }] });
            });
        }
        this.emit("ADDED", pod);
        return clone(pod);
    }

    /** A status write by "the kubelet": a new resourceVersion (and a MODIFIED event), labels untouched. */
    updatePodStatus(namespace: string, name: string, status: Record<string, unknown>): StoredPod {
        const p = this.pods.get(`${namespace}/${name}`);
        if (!p) throw new Error(`no pod ${namespace}/${name}`);
        const before = clone(p);
        p.status = { ...p.status, ...status };
        p.metadata.resourceVersion = this.nextRv();
        this.emit("MODIFIED", p, before);
        return clone(p);
    }

    getPod(namespace: string, name: string): StoredPod | undefined {
        const p = this.pods.get(`${namespace}/${name}`);
        return p ? clone(p) : undefined;
    }

    listPods(namespace: string, selector?: string): StoredPod[] {
        const m = parseLabelSelector(selector);
        return [...this.pods.values()].filter((p) => p.metadata.namespace === namespace && m(p.metadata.labels ?? {})).map(clone);
    }

    /** Stores a Deployment whose pods carry `matchLabels` (plus `templateLabels`). */
    addDeployment(namespace: string, name: string, replicas: number, matchLabels: Labels, templateLabels: Labels = {}): StoredDeployment {
        const d: StoredDeployment = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: {
                name,
                namespace,
                uid: randomUUID(),
                resourceVersion: this.nextRv(),
                creationTimestamp: new Date().toISOString(),
                generation: 1,
            },
            spec: { replicas, selector: { matchLabels: { ...matchLabels } }, template: { metadata: { labels: { ...templateLabels, ...matchLabels } } } },
        };
        this.deployments.set(`${namespace}/${name}`, d);
        return clone(d);
    }

    getDeployment(namespace: string, name: string): StoredDeployment | undefined {
        const d = this.deployments.get(`${namespace}/${name}`);
        return d ? clone(d) : undefined;
    }

    /** Sets a Deployment's replicas (as `kubectl scale` would), then runs the controller when it runs after writes. */
    setReplicas(namespace: string, name: string, replicas: number): void {
        const d = this.mustDeployment(namespace, name);
        d.spec.replicas = replicas;
        d.metadata.resourceVersion = this.nextRv();
        if (this.options.reconcileAfterWrites) this.reconcile();
    }

    /**
     * One pass of the ReplicaSet controller for every Deployment: pods that no longer match the
     * selector lose their controller ownerReference (orphaned), missing replicas are created
     * (Running and Ready), surplus ones deleted (newest first). Returns the names created.
     */
    reconcile(): string[] {
        const created: string[] = [];
        for (const d of this.deployments.values()) {
            const ns = d.metadata.namespace;
            const matches = parseLabelSelector(matchLabelsToSelector(d.spec.selector.matchLabels));
            for (const p of this.pods.values()) {
                const owned = p.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid);
                if (p.metadata.namespace === ns && owned && !matches(p.metadata.labels ?? {})) {
                    const before = clone(p);
                    p.metadata.ownerReferences = p.metadata.ownerReferences?.filter((o) => o.uid !== d.metadata.uid);
                    p.metadata.resourceVersion = this.nextRv();
                    this.emit("MODIFIED", p, before);
                }
            }
            const current = [...this.pods.values()].filter((p) => p.metadata.namespace === ns && matches(p.metadata.labels ?? {}));
            for (let i = current.length; i < d.spec.replicas; i++) {
                const name = `${d.metadata.name}-${randomBytes(3).toString("hex")}`;
                this.addPod(ns, name, d.spec.template.metadata.labels, {
                    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: d.metadata.name, uid: d.metadata.uid, controller: true }],
                });
                created.push(name);
            }
            const surplus = current.sort((a, b) => Number(b.metadata.resourceVersion) - Number(a.metadata.resourceVersion));
            for (const p of surplus.slice(0, Math.max(0, current.length - d.spec.replicas))) {
                this.removePod(p);
            }
        }
        return created;
    }

    private removePod(p: StoredPod): StoredPod {
        this.pods.delete(`${p.metadata.namespace}/${p.metadata.name}`);
        const gone = clone(p);
        gone.metadata.resourceVersion = this.nextRv();
        this.emit("DELETED", gone);
        this.onPodDeleted?.(clone(gone));
        return gone;
    }

    // ---- watch fan-out ----

    private emit(type: WatchEventType, object: StoredPod, previous?: StoredPod): void {
        const entry: HistoryEntry = { rv: Number(object.metadata.resourceVersion), type, object: clone(object), previous };
        this.history.push(entry);
        const limit = this.options.historyLimit ?? 1000;
        if (this.history.length > limit) this.history.splice(0, this.history.length - limit);
        for (const w of this.watchers) this.deliver(w, entry);
    }

    /**
     * A label-selector watch sees an object enter (ADDED) or leave (DELETED) its selection when a
     * change of labels moves it across, as the apiserver watch cache does (cacheWatcher
     * convertToWatchEvent: old matched, new does not -> DELETED; new matches, old did not -> ADDED).
     */
    private deliver(w: Watcher, e: HistoryEntry): void {
        if (e.object.metadata.namespace !== w.namespace) return;
        const now = w.matches(e.object.metadata.labels ?? {});
        const before = e.previous ? w.matches(e.previous.metadata.labels ?? {}) : undefined;
        let type: WatchEventType | undefined;
        if (e.type === "MODIFIED" && before !== undefined) {
            if (now && before) type = "MODIFIED";
            else if (now) type = "ADDED";
            else if (before) type = "DELETED";
        } else if (now) {
            type = e.type;
        }
        if (type) w.res.write(JSON.stringify({ type, object: e.object }) + "\n");
    }

    // ---- HTTP ----

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://localhost");
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const raw = Buffer.concat(chunks).toString("utf8");
        const contentType = req.headers["content-type"]?.split(";")[0].trim();
        let body: unknown;
        try {
            body = raw ? JSON.parse(raw) : undefined;
        } catch {
            return this.send(res, 400, statusObject(400, "BadRequest", "the body of the request was in an unknown format"));
        }
        const record: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, contentType, body };
        this.requests.push(record);

        // Authentication: bearer token (https://kubernetes.io/docs/reference/access-authn-authz/authentication/#service-account-tokens).
        if (this.options.token !== undefined && req.headers.authorization !== `Bearer ${this.options.token}`) {
            return this.send(res, 401, statusObject(401, "Unauthorized", "Unauthorized"));
        }
        const injected = this.intercept?.(record);
        if (injected) return this.send(res, injected.status, injected.body);
        const write = record.method !== "GET";
        if (write && this.writeDelayMs > 0) await new Promise((r) => setTimeout(r, this.writeDelayMs));
        try {
            await this.route(record, res);
        } catch (err) {
            if (err instanceof ApiError) return this.send(res, err.code, err.body);
            return this.send(res, 500, statusObject(500, "InternalError", String(err)));
        } finally {
            if (write && this.options.reconcileAfterWrites) this.reconcile();
        }
    }

    private send(res: http.ServerResponse, status: number, body: unknown): void {
        if (res.headersSent) return;
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    }

    private async route(r: RecordedRequest, res: http.ServerResponse): Promise<void> {
        let m: RegExpExecArray | null;
        // GET /api/v1/namespaces/{ns}/pods[?labelSelector=...][&watch=true]
        if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(r.path)) && r.method === "GET") {
            const watch = r.query.get("watch");
            if (watch === "true" || watch === "1") return this.watchPods(m[1], r, res);
            return this.send(res, 200, this.podList(m[1], r.query.get("labelSelector") ?? undefined));
        }
        if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(r.path))) {
            const [, ns, name] = m;
            if (r.method === "GET") return this.send(res, 200, this.mustPod(ns, name));
            if (r.method === "PATCH") return this.send(res, 200, this.patchPod(ns, name, r));
            if (r.method === "DELETE") return this.send(res, 200, this.deletePod(ns, name, r.body));
        }
        if ((m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/.exec(r.path))) {
            const [, ns, name] = m;
            if (r.method === "GET") return this.send(res, 200, this.scaleOf(this.mustDeployment(ns, name)));
            if (r.method === "PATCH") return this.send(res, 200, this.patchScale(ns, name, r));
            if (r.method === "PUT") return this.send(res, 200, this.putScale(ns, name, r.body));
        }
        // Anything else is a route this fake does not serve: the API server's answer for an unknown path.
        this.send(res, 404, statusObject(404, "NotFound", "the server could not find the requested resource"));
    }

    private mustPod(ns: string, name: string): StoredPod {
        const p = this.pods.get(`${ns}/${name}`);
        if (!p) throw notFound(PODS, name);
        return clone(p);
    }

    private mustDeployment(ns: string, name: string): StoredDeployment {
        const d = this.deployments.get(`${ns}/${name}`);
        if (!d) throw notFound(DEPLOYMENTS, name);
        return d;
    }

    private selectorOrBadRequest(selector: string | undefined): (l: Labels) => boolean {
        try {
            return parseLabelSelector(selector);
        } catch (err) {
            throw new ApiError(400, statusObject(400, "BadRequest", `unable to parse requirement: ${(err as Error).message}`));
        }
    }

    /** List: a PodList whose `metadata.resourceVersion` is the current one (the point to start a watch from). */
    private podList(ns: string, selector?: string): Record<string, unknown> {
        const matches = this.selectorOrBadRequest(selector);
        const items = [...this.pods.values()].filter((p) => p.metadata.namespace === ns && matches(p.metadata.labels ?? {}));
        return { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: String(this.rv) }, items: items.map(clone) };
    }

    /**
     * Watch (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
     * a chunked 200 response of `{"type","object"}` lines. Without `resourceVersion` (or "0") it
     * starts with a synthetic ADDED per existing object; with one, it replays the changes after it,
     * or - when that version is older than the kept history - sends one ERROR event carrying a 410
     * Expired Status (the client must re-list). `timeoutSeconds` ends the stream.
     */
    private watchPods(ns: string, r: RecordedRequest, res: http.ServerResponse): void {
        const matches = this.selectorOrBadRequest(r.query.get("labelSelector") ?? undefined);
        res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
        const from = r.query.get("resourceVersion");
        const w: Watcher = { namespace: ns, matches, res };
        if (!from || from === "0") {
            for (const p of this.pods.values()) {
                if (p.metadata.namespace === ns && matches(p.metadata.labels ?? {})) res.write(JSON.stringify({ type: "ADDED", object: p }) + "\n");
            }
        } else {
            const since = Number(from);
            const oldest = this.history.length ? this.history[0].rv : this.rv + 1;
            if (since < oldest - 1) {
                res.write(
                    JSON.stringify({
                        type: "ERROR",
                        object: statusObject(410, "Expired", `too old resource version: ${since} (${oldest - 1})`),
                    }) + "\n",
                );
                res.end();
                return;
            }
            for (const e of this.history) if (e.rv > since) this.deliver(w, e);
        }
        this.watchers.add(w);
        const stop = () => this.watchers.delete(w);
        res.on("close", stop);
        const timeout = Number(r.query.get("timeoutSeconds") ?? "0");
        if (timeout > 0) {
            setTimeout(() => {
                stop();
                res.end();
            }, timeout * 1000).unref();
        }
    }

    /**
     * PATCH a pod. Content types (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/):
     * merge-patch+json (RFC 7386), json-patch+json (RFC 6902; a failed `test` op is 422 Invalid), and
     * strategic-merge-patch+json, applied as a merge patch (exact for labels, annotations and
     * scalars, which have no patch strategy). Other types: 415. If the patched object carries a
     * `metadata.resourceVersion` that is not the stored one: 409 Conflict (optimistic lock).
     * `metadata.uid`/`name` cannot be changed by a patch.
     */
    private patchPod(ns: string, name: string, r: RecordedRequest): StoredPod {
        const current = this.pods.get(`${ns}/${name}`);
        if (!current) throw notFound(PODS, name);
        const patched = this.applyPatch(PODS, name, current, r) as StoredPod;
        this.checkResourceVersion(PODS, name, current.metadata.resourceVersion, patched.metadata?.resourceVersion);
        const before = clone(current);
        const next: StoredPod = {
            ...patched,
            apiVersion: "v1",
            kind: "Pod",
            metadata: { ...patched.metadata, name, namespace: ns, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp, resourceVersion: "" },
        };
        if (JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: "" } }) === JSON.stringify({ ...before, metadata: { ...before.metadata, resourceVersion: "" } })) {
            // A no-op patch writes nothing and keeps the resourceVersion, as the API server does.
            return before;
        }
        next.metadata.resourceVersion = this.nextRv();
        this.pods.set(`${ns}/${name}`, next);
        this.emit("MODIFIED", next, before);
        return clone(next);
    }

    private applyPatch(resource: Resource, name: string, current: unknown, r: RecordedRequest): unknown {
        switch (r.contentType) {
            case "application/merge-patch+json":
            case "application/strategic-merge-patch+json":
                return mergePatch(current, r.body);
            case "application/json-patch+json":
                try {
                    return jsonPatch(current, r.body);
                } catch (err) {
                    if (err instanceof JsonPatchError && err.testFailed) {
                        throw new ApiError(
                            422,
                            statusObject(422, "Invalid", `${qualified(resource)} "${name}" is invalid: ${err.message}`, details(resource, name)),
                        );
                    }
                    throw new ApiError(400, statusObject(400, "BadRequest", (err as Error).message));
                }
            default:
                throw new ApiError(
                    415,
                    statusObject(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`),
                );
        }
    }

    private checkResourceVersion(resource: Resource, name: string, stored: string, requested: unknown): void {
        if (requested !== undefined && requested !== null && requested !== "" && String(requested) !== stored) {
            throw conflict(resource, name, OPTIMISTIC_LOCK);
        }
    }

    /** DELETE with optional `DeleteOptions.preconditions` ({uid, resourceVersion}). */
    private deletePod(ns: string, name: string, body: unknown): StoredPod {
        const current = this.pods.get(`${ns}/${name}`);
        if (!current) throw notFound(PODS, name);
        const pre = (body as { preconditions?: { uid?: string; resourceVersion?: string } } | undefined)?.preconditions;
        if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
            throw conflict(PODS, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
        }
        if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
            throw conflict(
                PODS,
                name,
                `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
            );
        }
        return this.removePod(current);
    }

    /**
     * The scale subresource as autoscaling/v1 Scale
     * (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/#get-read-scale-of-the-specified-deployment):
     * its resourceVersion is the Deployment's, `status.replicas` counts the pods the Deployment's
     * selector matches, `status.selector` is that selector as a string.
     */
    private scaleOf(d: StoredDeployment): Record<string, unknown> {
        const ns = d.metadata.namespace;
        const selector = matchLabelsToSelector(d.spec.selector.matchLabels);
        const matches = parseLabelSelector(selector);
        const replicas = [...this.pods.values()].filter((p) => p.metadata.namespace === ns && matches(p.metadata.labels ?? {})).length;
        return {
            kind: "Scale",
            apiVersion: "autoscaling/v1",
            metadata: {
                name: d.metadata.name,
                namespace: ns,
                uid: d.metadata.uid,
                resourceVersion: d.metadata.resourceVersion,
                creationTimestamp: d.metadata.creationTimestamp,
            },
            spec: { replicas: d.spec.replicas },
            status: { replicas, selector },
        };
    }

    /** PATCH deployments/{name}/scale: the patch applies to the Scale object; only spec.replicas is written. */
    private patchScale(ns: string, name: string, r: RecordedRequest): Record<string, unknown> {
        const d = this.mustDeployment(ns, name);
        const patched = this.applyPatch(DEPLOYMENTS, name, this.scaleOf(d), r) as { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
        return this.writeScale(d, patched);
    }

    /** PUT deployments/{name}/scale: a whole Scale; conditional when it carries metadata.resourceVersion. */
    private putScale(ns: string, name: string, body: unknown): Record<string, unknown> {
        const d = this.mustDeployment(ns, name);
        return this.writeScale(d, (body ?? {}) as { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } });
    }

    /** Validation as in apps validation (ValidateScale): spec.replicas must be an integer >= 0, else 422 Invalid. */
    private writeScale(d: StoredDeployment, scale: { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } }): Record<string, unknown> {
        const name = d.metadata.name;
        this.checkResourceVersion(DEPLOYMENTS, name, d.metadata.resourceVersion, scale.metadata?.resourceVersion);
        const replicas = scale.spec?.replicas ?? 0;
        if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
            throw new ApiError(
                422,
                statusObject(
                    422,
                    "Invalid",
                    `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
                    { name, group: "autoscaling", kind: "Scale" },
                ),
            );
        }
        if (replicas !== d.spec.replicas) {
            d.spec.replicas = replicas;
            d.metadata.resourceVersion = this.nextRv();
            d.metadata.generation = Number(d.metadata.generation ?? 1) + 1;
        }
        return this.scaleOf(d);
    }
}
