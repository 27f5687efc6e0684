import { setTimeout as sleep } from "node:timers/promises";
import type { Metrics } from "./metrics";
import type { Logger } from "./log";
import { assignmentOf, Conflict, isDeleting, isReady, podName, type Pod, type PodStore } from "./pods";
import { siteKey } from "./site";

/** No pooled pod is ready: the caller answers 503 with Retry-After. */
export class PoolEmpty extends Error {
    constructor() {
        super("no warm pod is available");
    }
}

export interface AssignerOptions {
    /** this broker's name (recorded on its claims) */
    brokerName: string;
    /** a claim older than this without confirmation is treated as abandoned */
    claimTimeoutMs: number;
    maxAttempts?: number;
}

/**
 * Assigns a pod to a site's slot (slot 0 is the site's first pod, more slots when it is saturated)
 * so that, across any number of brokers and concurrent requests, a (site, slot) gets at most one
 * pod and a pod at most one site:
 *
 * 1. one consistent list of the warm-pool pods; a pod already assigned to (site, slot) is adopted;
 * 2. otherwise a random pooled, ready pod is claimed by a patch that carries the resourceVersion
 *    read (409 when another broker changed it first: start over);
 * 3. a second consistent list after the claim: if any other pod claims or holds (site, slot), this
 *    claim yields (the pod goes back to the pool) and the attempt starts over; else it is confirmed.
 *
 * Two claims that pass step 3 cannot coexist: the later claim's read in step 3 follows the
 * earlier claim's write, so it sees it and yields. Both may yield (then both retry after a random
 * pause). Within one broker, concurrent first requests for a site share one assignment.
 */
export class Assigner {
    private readonly inFlight = new Map<string, Promise<Pod>>();

    constructor(
        private readonly pods: PodStore,
        private readonly opts: AssignerOptions,
        private readonly metrics: Metrics,
        private readonly log: Logger,
    ) {}

    /** The pod for (site, slot): adopted, or newly taken from the pool. */
    acquire(siteId: string, slot: number): Promise<Pod> {
        const id = `${siteKey(siteId)}/${slot}`;
        let p = this.inFlight.get(id);
        if (!p) {
            p = this.run(siteId, slot).finally(() => this.inFlight.delete(id));
            this.inFlight.set(id, p);
        }
        return p;
    }

    private async run(siteId: string, slot: number): Promise<Pod> {
        const key = siteKey(siteId);
        const mine = (p: Pod) => {
            const a = assignmentOf(p);
            return a !== undefined && a.key === key && a.slot === slot && !isDeleting(p) && a.draining === undefined;
        };
        const maxAttempts = this.opts.maxAttempts ?? 8;
        for (let attempt = 0; attempt < maxAttempts; attempt++) {
            if (attempt > 0) await sleep(10 + Math.random() * 40 * attempt);
            const all = await this.pods.list();
            const holders = all.filter(mine);
            const held = holders.find((p) => assignmentOf(p)!.state === "assigned");
            if (held) {
                this.metrics.assignments.inc({ outcome: "adopted" });
                return held;
            }
            // A live claim of another request or broker: wait for it to be confirmed or yielded.
            if (holders.some((p) => Date.now() - assignmentOf(p)!.claimedAt < this.opts.claimTimeoutMs)) continue;
            // A claim its broker abandoned (it died before confirming): release it first. The
            // release changes the pod's resourceVersion, so a late confirmation of it fails.
            if (holders.length > 0) {
                await Promise.all(holders.map((p) => this.pods.release(p).catch(() => undefined)));
                this.metrics.repairs.inc({ kind: "abandoned-claim" });
                continue;
            }

            const free = all.filter((p) => this.pods.isPooled(p) && isReady(p));
            if (free.length === 0) {
                this.metrics.poolEmpty.inc();
                throw new PoolEmpty();
            }
            const pick = free[Math.floor(Math.random() * free.length)];
            let claimed: Pod;
            try {
                claimed = await this.pods.claim(pick, { siteId, key, slot, by: this.opts.brokerName });
            } catch (e) {
                if (!(e instanceof Conflict)) throw e;
                this.metrics.assignments.inc({ outcome: "conflict" });
                continue;
            }
            const rivals = (await this.pods.list()).filter((p) => mine(p) && podName(p) !== podName(claimed));
            if (rivals.length > 0) {
                this.metrics.assignments.inc({ outcome: "yielded" });
                this.log.info("claim yields to a rival", { site: siteId, slot, pod: podName(claimed), rivals: rivals.map(podName) });
                await this.pods.release(claimed).catch((e) => this.log.warn("release failed; repair will release it", { pod: podName(claimed), error: String(e) }));
                continue;
            }
            try {
                const confirmed = await this.pods.confirm(claimed);
                this.metrics.assignments.inc({ outcome: "assigned" });
                this.log.info("pod assigned", { site: siteId, slot, pod: podName(confirmed) });
                return confirmed;
            } catch (e) {
                if (!(e instanceof Conflict)) throw e;
                this.metrics.assignments.inc({ outcome: "conflict" });
            }
        }
        throw new Error(`site ${siteId} slot ${slot}: no pod after ${maxAttempts} attempts (contention)`);
    }
}
