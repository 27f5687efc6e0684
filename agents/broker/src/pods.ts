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
 * The broker's view of the warm pool's pods, through the Kubernetes API. Every change is a merge
 * patch carrying the resourceVersion the broker read, so the API server refuses it (409) when the
 * pod changed since: that optimistic concurrency is what keeps two brokers from taking one pod.
 */

export type Pod = k8s.V1Pod;

/** The API server refused a write because the object changed (409) or is gone (404). */
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

    /** The claim is the only one for its (site, slot): the pod is the site's. */
    confirm(p: Pod): Promise<Pod> {
        return this.patch(p, { annotations: { [STATE_ANNOTATION]: "assigned" } });
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

    /** Gives a claimed (never loaded) pod back to the pool: it matches the selector again. */
    release(p: Pod): Promise<Pod> {
        const pooled = this.config.pool.selector[this.config.pool.detach.label];
        return this.patch(p, {
            labels: { [this.config.pool.detach.label]: pooled, [SITE_LABEL]: null, [SLOT_LABEL]: null },
            annotations: { [SITE_ID_ANNOTATION]: null, [STATE_ANNOTATION]: null, [CLAIMED_AT_ANNOTATION]: null, [CLAIMED_BY_ANNOTATION]: null },
        });
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

    private async patch(p: Pod, meta: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> }): Promise<Pod> {
        const name = podName(p);
        try {
            return await within(
                this.timeoutMs,
                `patch pod ${name}`,
                this.api.patchNamespacedPod({ name, namespace: this.config.namespace, body: { metadata: { resourceVersion: p.metadata?.resourceVersion, ...meta } } }, this.patchOpts),
            );
        } catch (e) {
            const status = statusOf(e);
            if (status === 409 || status === 404) throw new Conflict(name, status);
            throw e;
        }
    }
}
