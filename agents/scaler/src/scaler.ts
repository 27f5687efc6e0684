import * as k8s from "@kubernetes/client-node";
import type { MetricServiceClient } from "@google-cloud/monitoring";
import { Counter, Gauge, type Registry } from "prom-client";
import type { KubeClients, Logger } from "../../common/src";
import type { ScalerConfig } from "./config";
import { availabilityReplicas, backlogReplicas, stabilize, type Recommendation } from "./scaling";
import { readBacklog } from "./signals";

export function scalerMetrics(registry: Registry) {
    return {
        desired: new Gauge({ name: "globalgrid_scaler_desired_replicas", help: "Replicas the scaler wants for its target", registers: [registry] }),
        current: new Gauge({ name: "globalgrid_scaler_current_replicas", help: "The target's spec.replicas as last read", registers: [registry] }),
        signal: new Gauge({ name: "globalgrid_scaler_signal", help: "The inputs: undelivered, oldest_age_seconds, idle, taken", labelNames: ["input"], registers: [registry] }),
        writes: new Counter({ name: "globalgrid_scaler_scale_writes_total", help: "Writes of deployments/scale, by result", labelNames: ["result"], registers: [registry] }),
        rounds: new Counter({ name: "globalgrid_scaler_rounds_total", help: "Scaling rounds, by result (ok, no_data, error)", labelNames: ["result"], registers: [registry] }),
    };
}

export interface ScalerDeps {
    config: ScalerConfig;
    kube: KubeClients;
    monitoring?: MetricServiceClient;
    logger: Logger;
    registry: Registry;
    now?: () => number;
}

/**
 * One scaler for one target Deployment. Each round reads the target's scale subresource, the
 * policy's signal, computes the stabilized size (./scaling.ts) and writes `deployments/scale` only
 * when it changes, with the Scale's resourceVersion so a concurrent change is never overwritten.
 */
export class Scaler {
    private history: Recommendation[] = [];
    private readonly metrics: ReturnType<typeof scalerMetrics>;
    ready = false;

    constructor(private readonly d: ScalerDeps) {
        this.metrics = scalerMetrics(d.registry);
    }

    async round(): Promise<{ desired: number; current: number } | undefined> {
        const { config, kube, logger } = this.d;
        const now = (this.d.now ?? Date.now)();
        const name = config.target.name;
        const scale = await kube.apps.readNamespacedDeploymentScale({ name, namespace: kube.namespace });
        const current = scale.spec?.replicas ?? 0;
        this.metrics.current.set(current);
        const recommended = await this.recommend(scale);
        if (recommended === undefined) {
            this.metrics.rounds.inc({ result: "no_data" });
            logger.warn("scaler.no_data", { target: name, note: "holding the current size" });
            return undefined;
        }
        const out = stabilize({
            now,
            current,
            recommended,
            minReplicas: config.minReplicas,
            maxReplicas: config.maxReplicas,
            scaleDownStabilizationSeconds: config.scaleDownStabilizationSeconds,
            history: this.history,
        });
        this.history = out.history;
        this.metrics.desired.set(out.desired);
        this.ready = true;
        if (out.desired !== current) {
            try {
                await kube.apps.patchNamespacedDeploymentScale(
                    { name, namespace: kube.namespace, body: { metadata: { resourceVersion: scale.metadata?.resourceVersion }, spec: { replicas: out.desired } } },
                    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
                );
                this.metrics.writes.inc({ result: "ok" });
                logger.info("scaler.scaled", { target: name, from: current, to: out.desired, recommended, reason: out.reason });
            } catch (err) {
                this.metrics.writes.inc({ result: "error" });
                logger.warn("scaler.write_failed", { target: name, error: err });
            }
        }
        this.metrics.rounds.inc({ result: "ok" });
        return { desired: out.desired, current };
    }

    private async recommend(scale: k8s.V1Scale): Promise<number | undefined> {
        const { policy } = this.d.config;
        if (policy.kind === "backlog") {
            const signal = await readBacklog(this.d.monitoring!, this.d.config.monitoringProject!, policy.subscription, (this.d.now ?? Date.now)());
            if (!signal) return undefined;
            this.metrics.signal.set({ input: "undelivered" }, signal.undelivered);
            this.metrics.signal.set({ input: "oldest_age_seconds" }, signal.oldestUnackedAgeSeconds);
            return backlogReplicas(signal, policy);
        }
        const taken = (await this.d.kube.core.listNamespacedPod({ namespace: this.d.kube.namespace, labelSelector: policy.detachedSelector })).items.length;
        this.metrics.signal.set({ input: "idle" }, scale.status?.replicas ?? 0);
        this.metrics.signal.set({ input: "taken" }, taken);
        return availabilityReplicas({ idle: scale.status?.replicas ?? 0, taken }, policy.availabilityThreshold);
    }
}
