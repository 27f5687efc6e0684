import * as k8s from "@kubernetes/client-node";
import type { BrokerConfig } from "./config";
import {
    CLAIMED_AT_ANNOTATION,
    CLAIMED_BY_ANNOTATION,
    DRAINING_ANNOTATION,
    LOADED_ANNOTATION,
    SITE_ID_ANNOTATION,
    SITE_LABEL,
    SLOT_LABEL,
    STATE_ANNOTATION,
} from "./site";

/**
 * The broker's view of the warm pool's pods, through the Kubernetes API. Taking a pod (claim) is a
 * merge patch carrying the resourceVersion the broker read, so the API server refuses it (409) when
 * the pod changed since: that optimistic concurrency is what keeps two brokers from taking one pod.
 *
 * Confirming or releasing a claim is conditioned on the claim itself instead: a JSON patch (RFC 6902)
 * whose `test` operations require the claim's annotations as read. Between claim and confirmation the
 * ReplicaSet controller releases the pod (it left the Deployment's selector: the controller removes
 * its ownerReference) and the kubelet writes its status, each a new resourceVersion, so a
 * resourceVersion precondition there would fail for no reason. The API server applies a JSON patch to
 * the object as it is when it writes, and answers 422 when a `test` fails (the claim was released or
 * taken over meanwhile), which is a Conflict here.
 */

export type Pod = k8s.V1Pod;

/** The API server refused a write because the object changed (409, or 422 for a failed JSON patch test) or is gone (404). */
export class Conflict extends Error {
    constructor(
        readonly pod: string,
        readonly status: number,
    ) {
        super(`pod ${pod}: ${status === 404 ? "gone" : "changed since it was read"}`);
    }
}

export interface Assignment {
    siteId: string;
    key: string;
    slot: number;
    state: "claimed" | "assigned";
    claimedAt: number;
    claimedBy: string;
    loaded: boolean;
    draining?: number;
}

const selector = (labels: Record<string, string>) =>
    Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");

interface JsonPatchOp {
    op: "test" | "replace" | "remove";
    path: string;
    value?: string;
}

/** RFC 6901 pointers to a label or an annotation (`/` in a key is `~1`, `~` is `~0`). */
const escapeKey = (k: string) => k.replace(/~/g, "~0").replace(/\//g, "~1");
const labelPath = (k: string) => `/metadata/labels/${escapeKey(k)}`;
const annotationPath = (k: string) => `/metadata/annotations/${escapeKey(k)}`;

/** `test` operations that hold only while the pod carries the claim as read (same claimant, same time, not yet confirmed). */
function claimTests(p: Pod): JsonPatchOp[] {
    const a = p.metadata?.annotations ?? {};
    return [
        { op: "test", path: labelPath(SITE_LABEL), value: p.metadata?.labels?.[SITE_LABEL] ?? "" },
        { op: "test", path: annotationPath(STATE_ANNOTATION), value: "claimed" },
        { op: "test", path: annotationPath(CLAIMED_BY_ANNOTATION), value: a[CLAIMED_BY_ANNOTATION] ?? "" },
        { op: "test", path: annotationPath(CLAIMED_AT_ANNOTATION), value: a[CLAIMED_AT_ANNOTATION] ?? "" },
    ];
}

export const podName = (p: Pod): string => p.metadata?.name ?? "";
export const podAddress = (p: Pod): string | undefined => p.status?.podIP;
export const podCreated = (p: Pod): number => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
export const isDeleting = (p: Pod): boolean => p.metadata?.deletionTimestamp !== undefined && p.metadata?.deletionTimestamp !== null;
export const isReady = (p: Pod): boolean =>
    p.status?.phase === "Running" && !isDeleting(p) && !!p.status?.podIP && (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** The assignment a pod's labels and annotations record, if any. */
export function assignmentOf(p: Pod): Assignment | undefined {
    const labels = p.metadata?.labels ?? {};
    const ann = p.metadata?.annotations ?? {};
    const state = ann[STATE_ANNOTATION];
    if (!labels[SITE_LABEL] || (state !== "claimed" && state !== "assigned")) return undefined;
    return {
        siteId: ann[SITE_ID_ANNOTATION] ?? "",
        key: labels[SITE_LABEL],
        slot: Number(labels[SLOT_LABEL] ?? 0),
        state,
        claimedAt: Date.parse(ann[CLAIMED_AT_ANNOTATION] ?? "") || 0,
        claimedBy: ann[CLAIMED_BY_ANNOTATION] ?? "",
        loaded: ann[LOADED_ANNOTATION] !== undefined,
        draining: ann[DRAINING_ANNOTATION] ? Date.parse(ann[DRAINING_ANNOTATION]) : undefined,
    };
}

function statusOf(e: unknown): number | undefined {
    if (e instanceof k8s.ApiException) return e.code;
    const code = (e as { code?: unknown })?.code;
    return typeof code === "number" ? code : undefined;
}

/** Bounds every API call: a broker request never hangs on the API server. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout;
    return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer from the Kubernetes API within ${ms} ms`)), ms)))]).finally(() =>
        clearTimeout(timer),
    );
}

export class PodStore {
    private readonly api: k8s.CoreV1Api;
    private readonly patchOpts = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
    private readonly jsonPatchOpts = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch);

    constructor(
        kc: k8s.KubeConfig,
        private readonly config: Pick<BrokerConfig, "namespace" | "pool">,
        private readonly timeoutMs = 5000,
    ) {
        this.api = kc.makeApiClient(k8s.CoreV1Api);
    }

    /** Every warm-pool pod, pooled or serving (a quorum read: no resourceVersion given). */
    async list(extra: Record<string, string> = {}): Promise<Pod[]> {
        const res = await within(this.timeoutMs, "list pods", this.api.listNamespacedPod({ namespace: this.config.namespace, labelSelector: selector({ ...this.config.pool.runtimePods, ...extra }) }));
        return res.items;
    }

    isPooled(p: Pod): boolean {
        const labels = p.metadata?.labels ?? {};
        return Object.entries(this.config.pool.selector).every(([k, v]) => labels[k] === v);
    }

    /** Takes a pooled pod out of the Deployment's selector for (site, slot), at the resourceVersion read. */
    claim(p: Pod, a: { siteId: string; key: string; slot: number; by: string }): Promise<Pod> {
        const { label, value } = this.config.pool.detach;
        return this.patch(p, {
            labels: { [label]: value, [SITE_LABEL]: a.key, [SLOT_LABEL]: String(a.slot) },
            annotations: { [SITE_ID_ANNOTATION]: a.siteId, [STATE_ANNOTATION]: "claimed", [CLAIMED_AT_ANNOTATION]: new Date().toISOString(), [CLAIMED_BY_ANNOTATION]: a.by },
        });
    }

    /** The claim is the only one for its (site, slot): the pod is the site's (if the claim read is still on it). */
    confirm(p: Pod): Promise<Pod> {
        return this.jsonPatch(p, [...claimTests(p), { op: "replace", path: annotationPath(STATE_ANNOTATION), value: "assigned" }]);
    }

    markLoaded(p: Pod): Promise<Pod> {
        return this.patch(p, { annotations: { [LOADED_ANNOTATION]: new Date().toISOString() } });
    }

    /** Records the load on the pod; a concurrent change (another broker adopting it) is re-read and retried. */
    async markLoadedRetrying(pod: Pod): Promise<Pod> {
        for (let i = 0; i < 5; i++) {
            try {
                return await this.markLoaded(pod);
            } catch (e) {
                if (!(e instanceof Conflict)) throw e;
                const fresh = (await this.list()).find((p) => podName(p) === podName(pod));
                if (!fresh) throw e;
                if (assignmentOf(fresh)?.loaded) return fresh;
                pod = fresh;
            }
        }
        return pod;
    }

    markDraining(p: Pod): Promise<Pod> {
        return this.patch(p, { annotations: { [DRAINING_ANNOTATION]: new Date().toISOString() } });
    }

    /** Gives a claimed (never loaded) pod back to the pool, if the claim read is still on it: it matches the selector again. */
    release(p: Pod): Promise<Pod> {
        const pooled = this.config.pool.selector[this.config.pool.detach.label];
        return this.jsonPatch(p, [
            ...claimTests(p),
            { op: "replace", path: labelPath(this.config.pool.detach.label), value: pooled },
            ...[SITE_LABEL, SLOT_LABEL].map((k) => ({ op: "remove" as const, path: labelPath(k) })),
            ...[SITE_ID_ANNOTATION, STATE_ANNOTATION, CLAIMED_AT_ANNOTATION, CLAIMED_BY_ANNOTATION].map((k) => ({ op: "remove" as const, path: annotationPath(k) })),
        ]);
    }

    /** Deletes a pod only if it is still the one read (uid and resourceVersion preconditions). */
    async delete(p: Pod, opts: { matchVersion: boolean }): Promise<void> {
        const name = podName(p);
        try {
            await within(
                this.timeoutMs,
                `delete pod ${name}`,
                this.api.deleteNamespacedPod({
                    name,
                    namespace: this.config.namespace,
                    body: { preconditions: { uid: p.metadata?.uid, ...(opts.matchVersion ? { resourceVersion: p.metadata?.resourceVersion } : {}) } },
                }),
            );
        } catch (e) {
            const status = statusOf(e);
            if (status === 404) return; // already gone: what we wanted
            if (status === 409) throw new Conflict(name, status);
            throw e;
        }
    }

    private patch(p: Pod, meta: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> }): Promise<Pod> {
        return this.send(p, { metadata: { resourceVersion: p.metadata?.resourceVersion, ...meta } }, this.patchOpts);
    }

    private jsonPatch(p: Pod, ops: JsonPatchOp[]): Promise<Pod> {
        return this.send(p, ops, this.jsonPatchOpts);
    }

    private async send(p: Pod, body: object, opts: ReturnType<typeof k8s.setHeaderOptions>): Promise<Pod> {
        const name = podName(p);
        try {
            return await within(this.timeoutMs, `patch pod ${name}`, this.api.patchNamespacedPod({ name, namespace: this.config.namespace, body }, opts));
        } catch (e) {
            const status = statusOf(e);
            if (status === 409 || status === 404 || status === 422) throw new Conflict(name, status);
            throw e;
        }
    }
}
