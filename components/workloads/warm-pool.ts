import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { k8sLabels } from "../labels";
import { POOL_KEY } from "../clusters/pool-labels";
import { Broker, BROKER_CODE_PORT, BROKER_SELECTOR } from "./broker";
import type { GridIdentity } from "./grid-identity";
import type { SiteCodeBucket } from "../storage/site-code";
import type { GridArgs } from "./args";
import type { BrokerEntrance } from "../network/sync-common";
import { allowPolicy, dnsEgress, internetEgress } from "./network-policy";
import { memberLabel, customerContainer, tmpVolume } from "./pod-spec";
import { gridDeployment } from "./grid-deployment";
import { Scaler } from "./scaler";
import { runtimeSettings, withRuntimeConfig } from "./runtime-config";

export const WARM_POOL = "warm-pool";
/** A pooled pod carries `globalgrid.dev/pool: warm`; the broker sets it to `site` to take the pod out. */
export const WARM_MEMBER = "warm";
export const WARM_DETACHED = "site";
export const RUNTIME_PORT = 8080;

export interface WarmPoolArgs extends GridArgs {
    /** how the data center's synchronous-path load balancer reaches the broker */
    entrance: BrokerEntrance;
    /** the region's keyless Google identity and site-code bucket (the broker fetches site code) */
    identity: GridIdentity;
    siteCode: SiteCodeBucket;
}

/**
 * The synchronous grid: pre-started, sandboxed runtime pods in the data center's
 * `warm-pool` node pool. The broker detaches one for a site by relabeling it (the Deployment
 * replaces it) and recycles pods after `recycleMinutes`; the scaler owns the replica count.
 */
export class WarmPool extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly selector: Record<string, string>;
    readonly broker: Broker;
    readonly scaler: Scaler;

    constructor(name: string, args: WarmPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:workload:WarmPool", name, {}, opts);
        const { dataCenter: dc, namespace, placement } = args;
        const settings = dc.warmPool;
        const labels = k8sLabels(WARM_POOL, WARM_POOL, placement);
        /** labels a pod keeps whether pooled or serving a site */
        const runtimePods = { "app.kubernetes.io/name": WARM_POOL, "app.kubernetes.io/component": WARM_POOL };
        this.selector = { ...runtimePods, ...memberLabel(WARM_MEMBER) };
        const meta = { name: WARM_POOL, namespace, labels };
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const consulService = `${dc.name}-${WARM_POOL}`;

        // The pods' identity: no token is mounted and no Role is bound.
        const sa = new k8s.core.v1.ServiceAccount(name, { metadata: meta, automountServiceAccountToken: false }, o);
        const runtimeConfig = runtimeSettings(`${name}-runtime`, { name: `${WARM_POOL}-runtime`, namespace, labels, config: { port: RUNTIME_PORT, workDir: "/tmp", mode: "warm", maxBodyBytes: 8 * 1024 * 1024 } }, o);
        this.deployment = gridDeployment(
            name,
            {
                metadata: meta,
                replicas: settings.replicas,
                selector: this.selector,
                labels,
                consulService,
                serviceAccountName: WARM_POOL,
                pool: "warm-pool",
                dataCenter: dc.name,
                terminationGracePeriodSeconds: 30,
                containers: [withRuntimeConfig(customerContainer("runtime", args.images.runtime, RUNTIME_PORT, settings.resources))],
                volumes: [tmpVolume(), runtimeConfig.volume],
            },
            { ...o, dependsOn: [...args.dependsOn, sa, runtimeConfig.configMap] },
        );
        new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta, spec: { maxUnavailable: "25%", selector: { matchLabels: this.selector } } }, o);
        allowPolicy(
            name,
            {
                policyName: WARM_POOL,
                namespace,
                labels,
                podSelector: runtimePods,
                ingress: [{ from: [{ podSelector: { matchLabels: BROKER_SELECTOR } }], ports: [{ protocol: "TCP", port: RUNTIME_PORT }] }],
                // the site's code comes from the broker's code port (the runtime holds no cloud credential)
                egress: [dnsEgress(), { to: [{ podSelector: { matchLabels: BROKER_SELECTOR } }], ports: [{ protocol: "TCP", port: BROKER_CODE_PORT }] }, internetEgress()],
            },
            o,
        );

        this.broker = new Broker(
            `${name}-broker`,
            {
                namespace,
                dataCenter: dc.name,
                exposure: args.entrance.exposure,
                loadBalancerSources: args.entrance.loadBalancerSources,
                poolSelector: this.selector,
                detachLabel: POOL_KEY,
                detachedValue: WARM_DETACHED,
                runtimePods,
                recycleMinutes: settings.recycleMinutes,
                replicas: settings.brokerReplicas,
                runtimePort: RUNTIME_PORT,
                consulService,
                consul: args.consul,
                image: args.images.broker,
                apiServer: args.apiServer,
                identity: args.identity,
                siteCode: args.siteCode,
                placement,
                provider: args.provider,
                dependsOn: args.dependsOn,
            },
            { parent: this },
        );
        this.scaler = new Scaler(
            `${name}-scaler`,
            {
                namespace,
                target: WARM_POOL,
                minReplicas: settings.minReplicas,
                intervalSeconds: settings.scalerIntervalSeconds,
                maxReplicas: settings.maxReplicas,
                policy: {
                    kind: "availability",
                    availabilityThreshold: settings.availabilityThreshold,
                    detachedSelector: Object.entries({ ...runtimePods, ...memberLabel(WARM_DETACHED) })
                        .map(([k, v]) => `${k}=${v}`)
                        .join(","),
                },
                consulService,
                consul: args.consul,
                image: args.images.scaler,
                apiServer: args.apiServer,
                placement,
                provider: args.provider,
                dependsOn: [this.deployment],
            },
            { parent: this },
        );
        this.registerOutputs({ deployment: WARM_POOL });
    }
}
