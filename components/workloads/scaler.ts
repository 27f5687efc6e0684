import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { k8sLabels } from "../labels";
import type { PlacedWorkloadArgs } from "./args";
import { googleCredentials, type GridIdentity } from "./grid-identity";
import { agentServiceAccount } from "./service-account";
import { allowPolicy, apiServerEgress, dnsEgress, internetEgress } from "./network-policy";
import { container, hardenedPod, KUBE_API_MOUNT, kubeApiVolume, systemScheduling, tmpVolume } from "./pod-spec";
import type { ScalerConfig } from "../../agents/scaler/src/config";

/** The agents' Prometheus /metrics and /healthz, /readyz port. */
export const AGENT_METRICS_PORT = 9090;
/** Scale-down stabilization window, the HPA's default (scale-up is immediate). */
export const SCALE_DOWN_STABILIZATION_SECONDS = 300;

/** How the scaler decides: keep a share of the warm pool idle, or follow the job backlog. */
export type ScalingPolicy =
    | { kind: "availability"; availabilityThreshold: number; detachedSelector: string }
    | { kind: "backlog"; backlogPerPod: number; lookAheadSeconds: number; startSlaSeconds: number; subscription: pulumi.Input<string> };

export interface ScalerArgs extends PlacedWorkloadArgs {
    /** set when the policy reads Cloud Monitoring (the job backlog): keyless credentials and metric read access */
    google?: { identity: GridIdentity; project: string };
    namespace: string;
    /** the Deployment this scaler resizes (its only RBAC target) */
    target: string;
    minReplicas: number;
    maxReplicas: number;
    /** seconds between two decisions (the grid's scalerIntervalSeconds) */
    intervalSeconds: number;
    policy: ScalingPolicy;
    /** the Consul service whose instances the scaler counts */
    consulService: string;
    image: pulumi.Input<string>;
}

/** The Role rule a scaler gets: the scale subresource of its one target, nothing else. */
export const scaleRule = (target: string) => ({ apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: [target], verbs: ["get", "patch", "update"] });
/**
 * The availability policy also counts the pods taken out of the pool (they left the Deployment's
 * selector, so the scale subresource no longer sees them): a read-only `list` of pods in its own
 * namespace. RBAC cannot narrow a list by label, and pod specs carry no secret values.
 */
export const countPodsRule = { apiGroups: [""], resources: ["pods"], verbs: ["list"] };

/**
 * A Deployment that resizes one target Deployment through the
 * scale subresource, with in-cluster credentials of its own ServiceAccount (no kubeconfig in a
 * ConfigMap) and settings from a ConfigMap. The target must `ignoreChanges: ["spec.replicas"]`.
 */
export class Scaler extends pulumi.ComponentResource {
    readonly name: string;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly role: k8s.rbac.v1.Role;

    constructor(name: string, args: ScalerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:workload:Scaler", name, {}, opts);
        this.name = `${args.target}-scaler`;
        const labels = k8sLabels(this.name, "scaler", args.placement);
        const selector = { "app.kubernetes.io/name": this.name, "app.kubernetes.io/component": "scaler" };
        const meta = { name: this.name, namespace: args.namespace, labels };
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

        const rules = [scaleRule(args.target), ...(args.policy.kind === "availability" ? [countPodsRule] : [])];
        const { serviceAccount: sa, role } = agentServiceAccount(name, { metadata: meta, rules }, o);
        this.role = role;
        const settings = pulumi.output(args.policy).apply((policy) => {
            const rendered: ScalerConfig = {
                target: { apiVersion: "apps/v1", kind: "Deployment", name: args.target },
                minReplicas: args.minReplicas,
                maxReplicas: args.maxReplicas,
                policy,
                consulService: args.consulService,
                intervalSeconds: args.intervalSeconds,
                scaleDownStabilizationSeconds: SCALE_DOWN_STABILIZATION_SECONDS,
                ...(args.google ? { monitoringProject: args.google.project } : {}),
                metricsPort: AGENT_METRICS_PORT,
            };
            return JSON.stringify(rendered, null, 2);
        });
        const config = new k8s.core.v1.ConfigMap(name, { metadata: meta, data: { "scaler.json": settings } }, o);

        const consul = args.consul.apiAccess();
        const google = args.google && this.googleAccess(name, args, labels, o);
        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: meta,
                spec: {
                    replicas: 1,
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: selector },
                    template: {
                        metadata: { labels: { ...labels, ...selector } },
                        spec: hardenedPod({
                            serviceAccountName: this.name,
                            ...systemScheduling(),
                            containers: [
                                container({
                                    name: "scaler",
                                    image: args.image,
                                    args: ["--config=/etc/scaler/scaler.json"],
                                    env: [...consul.env, ...(google?.env ?? [])],
                                    ports: [{ name: "metrics", containerPort: AGENT_METRICS_PORT }],
                                    livenessProbe: { httpGet: { path: "/healthz", port: AGENT_METRICS_PORT }, periodSeconds: 20 },
                                    readinessProbe: { httpGet: { path: "/readyz", port: AGENT_METRICS_PORT }, periodSeconds: 10 },
                                    volumeMounts: [
                                        { name: "settings", mountPath: "/etc/scaler", readOnly: true },
                                        { name: "kube-api", mountPath: KUBE_API_MOUNT, readOnly: true },
                                        { name: "tmp", mountPath: "/tmp" },
                                        ...consul.volumeMounts,
                                        ...(google?.volumeMounts ?? []),
                                    ],
                                }),
                            ],
                            volumes: [{ name: "settings", configMap: { name: this.name } }, kubeApiVolume(), tmpVolume(), ...consul.volumes, ...(google?.volumes ?? [])],
                        }),
                    },
                },
            },
            { ...o, dependsOn: [config, sa, ...(google ? [google.configMap, google.viewer] : [])] },
        );
        allowPolicy(
            name,
            {
                policyName: this.name,
                namespace: args.namespace,
                labels,
                podSelector: selector,
                ingress: [],
                // API server, and Consul's load balancer (public, 443)
                egress: [dnsEgress(), apiServerEgress(args.apiServer), internetEgress([443])],
            },
            o,
        );
        this.registerOutputs({ deployment: this.name, target: args.target });
    }

    /**
     * Pub/Sub exposes a subscription's backlog only as Cloud Monitoring metrics, and Monitoring read
     * access is granted per project: the scaler's own principal gets `monitoring.viewer` (read-only
     * metrics), nothing on Pub/Sub itself.
     */
    private googleAccess(name: string, args: ScalerArgs, labels: Record<string, string>, o: pulumi.CustomResourceOptions) {
        const { identity, project } = args.google!;
        const viewer = new gcp.projects.IAMMember(`${name}-metrics-viewer`, { project, role: "roles/monitoring.viewer", member: identity.principal(args.namespace, this.name) }, { parent: this });
        const creds = googleCredentials(`${name}-gcp-credentials`, { identity, configMapName: `${this.name}-gcp-credentials`, namespace: args.namespace, labels }, o);
        return { ...creds, viewer };
    }
}
