import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { k8sLabels } from "../labels";
import type { PlacedWorkloadArgs } from "./args";
import { BROKER_CONFIG_DIR, BROKER_CONFIG_FILE, renderBrokerConfig } from "./broker-config";
import { googleCredentials, type GoogleCredentials, type GridIdentity } from "./grid-identity";
import { agentServiceAccount } from "./service-account";
import type { ConsulApiAccess } from "./consul-client";
import { allowPolicy, apiServerEgress, dnsEgress, internetEgress } from "./network-policy";
import { SITE_CODE_PREFIX, type SiteCodeBucket } from "../storage/site-code";
import { container, fieldEnv, hardenedPod, KUBE_API_MOUNT, kubeApiVolume, systemScheduling, tmpVolume } from "./pod-spec";

export const BROKER = "broker";
/** The broker's HTTP port: the load balancer terminates TLS and forwards here (health check: HEALTH_PATH). */
export const BROKER_PORT = 8080;
export const BROKER_METRICS_PORT = 9090;
/**
 * Where the broker serves the warm pods the site code it fetched from the bucket and verified
 * (`GET /v1/code/<siteId>/<sha256>.js`): reachable from the warm pool's pods only, never through
 * the Service or the load balancer.
 */
export const BROKER_CODE_PORT = 8082;
/** what the broker answers itself on its port (agents/broker/src/broker.ts HEALTH_PATH) */
export const BROKER_HEALTH_PATH = "/_broker/healthz";
/** the broker image's user (agents/Dockerfile) */
export const BROKER_UID = 65532;
/** labels of the broker's pods (the warm pool admits traffic from them only) */
export const BROKER_SELECTOR = { "app.kubernetes.io/name": BROKER, "app.kubernetes.io/component": BROKER };
/** The broker may read, relabel (detach) and delete (recycle) pods of its namespace; nothing else. */
export const BROKER_RULE = { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "patch", "delete"] };

/** How the cloud load balancer reaches the broker: zonal NEGs on GKE, node ports on EKS. */
export type BrokerExposure = { kind: "neg"; negName: string; zone: string } | { kind: "nodePort" };

export interface BrokerArgs extends PlacedWorkloadArgs {
    namespace: string;
    dataCenter: string;
    /** how the synchronous path's load balancer reaches the broker Service */
    exposure: BrokerExposure;
    /** where the load balancer's connections to the broker come from: the only ingress the broker admits */
    loadBalancerSources: string[];
    /** the warm pool's pod selector; the broker detaches a pod by setting `detachLabel` to `detachedValue` */
    poolSelector: Record<string, string>;
    detachLabel: string;
    detachedValue: string;
    /** labels every warm-pool pod keeps, pooled or detached (what the broker may reach) */
    runtimePods: Record<string, string>;
    /** pods (pooled or serving a site) are deleted once older than this */
    recycleMinutes: number;
    /** broker pods (defaults.dataCenter.warmPool.brokerReplicas) */
    replicas: number;
    runtimePort: number;
    consulService: string;
    image: pulumi.Input<string>;
    /** the region's keyless Google identity: the broker reads site code from the bucket with it */
    identity: GridIdentity;
    siteCode: SiteCodeBucket;
}

/**
 * The warm pool's broker, the data center's router for synchronous requests: takes a pooled pod for a site by relabeling it out of
 * the Deployment's selector (the Deployment then starts a replacement), and owns recycling: it
 * deletes every warm-pool pod older than `recycleMinutes`. Recycling lives here, not in the pod,
 * so no container next to customer code holds a Kubernetes credential.
 */
export class Broker extends pulumi.ComponentResource {
    readonly role: k8s.rbac.v1.Role;
    readonly selector: Record<string, string>;
    readonly service: k8s.core.v1.Service;
    /** the Service's node port (nodePort exposure only) */
    readonly nodePort: pulumi.Output<number | undefined>;

    constructor(name: string, args: BrokerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:workload:Broker", name, {}, opts);
        const labels = k8sLabels(BROKER, BROKER, args.placement);
        this.selector = BROKER_SELECTOR;
        const meta = { name: BROKER, namespace: args.namespace, labels };
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

        const { serviceAccount: sa, role } = agentServiceAccount(name, { metadata: meta, rules: [BROKER_RULE] }, o);
        this.role = role;
        const consul = args.consul.apiAccess();
        // Site code: read-only on the region's bucket for this data center's broker service account.
        const codeReader = args.siteCode.grantRead(`${name}-site-code-reader`, args.identity.principal(args.namespace, BROKER), { parent: this, dependsOn: args.identity.ready });
        const google = googleCredentials(`${name}-gcp-credentials`, { identity: args.identity, configMapName: `${BROKER}-gcp-credentials`, namespace: args.namespace, labels }, o);
        const settings = renderBrokerConfig({
            dataCenter: args.dataCenter,
            namespace: args.namespace,
            poolSelector: args.poolSelector,
            runtimePods: args.runtimePods,
            detach: { label: args.detachLabel, value: args.detachedValue },
            runtimePort: args.runtimePort,
            recycleMinutes: args.recycleMinutes,
            port: BROKER_PORT,
            metricsPort: BROKER_METRICS_PORT,
            codePort: BROKER_CODE_PORT,
            code: { bucket: args.siteCode.name, objectPrefix: SITE_CODE_PREFIX },
            consulAccess: consul.access,
        });
        const config = new k8s.core.v1.ConfigMap(name, { metadata: meta, data: { "broker.json": JSON.stringify(settings, null, 2) } }, o);
        const exposure = args.exposure;
        new k8s.apps.v1.Deployment(
            name,
            {
                metadata: meta,
                spec: {
                    replicas: args.replicas,
                    selector: { matchLabels: this.selector },
                    template: {
                        metadata: { labels: { ...labels, ...this.selector } },
                        spec: brokerPodSpec(args.image, exposure, consul, google),
                    },
                },
            },
            { ...o, dependsOn: [config, sa, google.configMap, codeReader] },
        );
        // The load balancer's backend: NEG endpoints (pod IPs) on GKE, node ports on EKS
        // (externalTrafficPolicy Local keeps the load balancer's source address and skips nodes without a broker).
        this.service = new k8s.core.v1.Service(
            name,
            {
                metadata: {
                    ...meta,
                    annotations: exposure.kind === "neg" ? { "cloud.google.com/neg": JSON.stringify({ exposed_ports: { [String(BROKER_PORT)]: { name: exposure.negName } } }) } : {},
                },
                spec: {
                    type: exposure.kind === "neg" ? "ClusterIP" : "NodePort",
                    ...(exposure.kind === "nodePort" ? { externalTrafficPolicy: "Local" } : {}),
                    selector: this.selector,
                    ports: [{ name: "http", port: BROKER_PORT, targetPort: BROKER_PORT, protocol: "TCP" }],
                },
            },
            o,
        );
        this.nodePort = this.service.spec.ports.apply((ports) => ports.find((x) => x.name === "http")?.nodePort);
        brokerNetworkPolicy(name, args, labels, this.selector, o);
        this.registerOutputs({ role: BROKER, service: BROKER });
    }
}

/**
 * What may reach the broker and what it may reach: in, the synchronous path's load balancer on the
 * broker port and the warm pods on the code port; out, DNS, the API server, the warm pods' runtime
 * port, and HTTPS (Consul's load balancer, Google STS, Cloud Storage).
 */
function brokerNetworkPolicy(
    name: string,
    args: Pick<BrokerArgs, "namespace" | "loadBalancerSources" | "runtimePods" | "runtimePort" | "apiServer">,
    labels: Record<string, string>,
    selector: Record<string, string>,
    opts: pulumi.CustomResourceOptions,
): void {
    allowPolicy(
        name,
        {
            policyName: BROKER,
            namespace: args.namespace,
            labels,
            podSelector: selector,
            ingress: [
                // only the synchronous path's load balancer (its proxies and health checks) reaches the broker's port
                { from: args.loadBalancerSources.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: BROKER_PORT }] },
                // the warm pool's pods fetch their site's code from the code port
                { from: [{ podSelector: { matchLabels: args.runtimePods } }], ports: [{ protocol: "TCP", port: BROKER_CODE_PORT }] },
            ],
            egress: [
                dnsEgress(),
                apiServerEgress(args.apiServer),
                { to: [{ podSelector: { matchLabels: args.runtimePods } }], ports: [{ protocol: "TCP", port: args.runtimePort }] },
                // Consul's load balancer, Google STS and Cloud Storage (site code)
                internetEgress([443]),
            ],
        },
        opts,
    );
}

/**
 * The broker's pod: on the system pool (zone-pinned with NEGs), its own Kubernetes API token, its
 * Consul access and its keyless Google credentials, all in its one container; the code port is a
 * container port for the warm pods only (the Service never carries it).
 */
function brokerPodSpec(image: pulumi.Input<string>, exposure: BrokerExposure, consul: ConsulApiAccess, google: GoogleCredentials): k8s.types.input.core.v1.PodSpec {
    return hardenedPod({
        serviceAccountName: BROKER,
        ...brokerScheduling(exposure),
        // longer than a forwarded request may take: SIGTERM lets the requests in flight finish
        terminationGracePeriodSeconds: 75,
        containers: [
            container({
                name: BROKER,
                image,
                args: [`--config=${BROKER_CONFIG_FILE}`],
                ports: [
                    { name: "http", containerPort: BROKER_PORT },
                    { name: "metrics", containerPort: BROKER_METRICS_PORT },
                    { name: "code", containerPort: BROKER_CODE_PORT },
                ],
                // POD_IP: the address warm pods fetch site code from (the URL in PUT /v1/site)
                env: [...consul.env, ...google.env, fieldEnv("POD_NAME", "metadata.name"), fieldEnv("POD_IP", "status.podIP")],
                readinessProbe: { httpGet: { path: BROKER_HEALTH_PATH, port: BROKER_PORT }, periodSeconds: 5 },
                livenessProbe: { httpGet: { path: BROKER_HEALTH_PATH, port: BROKER_PORT }, periodSeconds: 10, failureThreshold: 6 },
                volumeMounts: [
                    { name: "settings", mountPath: BROKER_CONFIG_DIR, readOnly: true },
                    { name: "kube-api", mountPath: KUBE_API_MOUNT, readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                    ...consul.volumeMounts,
                    ...google.volumeMounts,
                ],
            }),
        ],
        volumes: [
            { name: "settings", configMap: { name: BROKER } },
            kubeApiVolume(),
            tmpVolume(),
            ...consul.volumes,
            ...google.volumes,
        ],
    });
}

/**
 * The broker runs on the system pool. With NEGs it stays in its data center's zone: the load
 * balancer's backend is that zone's NEG, and the broker sits next to the warm pool it routes to.
 */
function brokerScheduling(exposure: BrokerExposure): Partial<k8s.types.input.core.v1.PodSpec> {
    const base = systemScheduling();
    if (exposure.kind !== "neg") return base;
    return { ...base, nodeSelector: { ...(base.nodeSelector as Record<string, string>), "topology.kubernetes.io/zone": exposure.zone } };
}
