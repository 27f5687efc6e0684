/**
 * The scaler's arithmetic, as pure functions: a recommendation from the signal, then HPA-style
 * stabilization (scale up at once, within the HPA's default rate; scale down only to the highest
 * recommendation of the stabilization window), then the min/max clamp.
 * https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#stabilization-window
 * https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#default-behavior
 */

export interface BacklogSignal {
    /** `pubsub.googleapis.com/subscription/num_undelivered_messages` */
    undelivered: number;
    /** `pubsub.googleapis.com/subscription/oldest_unacked_message_age`, seconds */
    oldestUnackedAgeSeconds: number;
}

export interface BacklogPolicy {
    backlogPerPod: number;
    lookAheadSeconds: number;
    startSlaSeconds: number;
}

/**
 * Job grid: one waiting pod per `backlogPerPod` undelivered messages. When the oldest message,
 * `lookAheadSeconds` from now, would be past the start SLA, the backlog counts more: by the factor
 * (age + lookAhead) / SLA, up to one pod per message. Monotone in both the backlog and the age.
 */
export function backlogReplicas(signal: BacklogSignal, policy: BacklogPolicy): number {
    const undelivered = Math.max(0, signal.undelivered);
    if (undelivered === 0) return 0;
    const age = Math.max(0, signal.oldestUnackedAgeSeconds);
    const pressure = Math.min(policy.backlogPerPod, Math.max(1, (age + policy.lookAheadSeconds) / policy.startSlaSeconds));
    return Math.ceil((undelivered * pressure) / policy.backlogPerPod);
}

export interface PoolSignal {
    /** pods waiting in the pool: the scale subresource's `status.replicas` (pods its selector matches) */
    idle: number;
    /** pods taken out of the pool (detached, serving a site) */
    taken: number;
}

/**
 * Warm pool (Codavel's rule: keep the share of available servers above a threshold): the
 * Deployment holds only idle pods (a taken pod left its selector), so the pool needs R idle pods
 * with R / (R + taken) >= threshold, i.e. R = ceil(threshold * taken / (1 - threshold)).
 * `idle` does not enter: the Deployment already replaces every pod that leaves.
 */
export function availabilityReplicas(signal: PoolSignal, availabilityThreshold: number): number {
    const taken = Math.max(0, signal.taken);
    // a tiny epsilon keeps exact products (0.5 * 2 / 0.5 = 2.0000000000000004) from rounding up
    return Math.max(0, Math.ceil((availabilityThreshold * taken) / (1 - availabilityThreshold) - 1e-9));
}

export interface Recommendation {
    /** epoch milliseconds */
    at: number;
    replicas: number;
}

export interface StabilizeInput {
    now: number;
    /** the target's current `spec.replicas` */
    current: number;
    /** this round's raw recommendation */
    recommended: number;
    minReplicas: number;
    maxReplicas: number;
    scaleDownStabilizationSeconds: number;
    /** earlier recommendations (as returned in `history` last time) */
    history: Recommendation[];
}

export interface StabilizeResult {
    desired: number;
    history: Recommendation[];
    reason: "scale-up" | "scale-down" | "hold" | "clamped";
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/** HPA default scale-up rate: at most max(+4 pods, +100%) per round. */
export const scaleUpLimit = (current: number): number => Math.max(current + 4, current * 2);

/**
 * Scale up immediately (within scaleUpLimit); scale down only to the highest recommendation seen
 * within the stabilization window, so a signal that dips for a moment never shrinks the target and
 * a steady signal gives a steady size. Always within [minReplicas, maxReplicas].
 */
export function stabilize(input: StabilizeInput): StabilizeResult {
    const { now, current, minReplicas, maxReplicas } = input;
    const windowStart = now - input.scaleDownStabilizationSeconds * 1000;
    const recommended = clamp(Math.ceil(input.recommended), minReplicas, maxReplicas);
    const history = [...input.history.filter((r) => r.at > windowStart && r.at <= now), { at: now, replicas: recommended }];
    let desired: number;
    let reason: StabilizeResult["reason"];
    if (recommended > current) {
        desired = Math.min(recommended, scaleUpLimit(current));
        reason = "scale-up";
    } else {
        const highest = Math.max(...history.map((r) => r.replicas));
        desired = Math.min(current, highest);
        reason = desired < current ? "scale-down" : "hold";
    }
    const clamped = clamp(desired, minReplicas, maxReplicas);
    if (clamped !== desired) reason = "clamped";
    return { desired: clamped, history, reason };
}
