import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { Region } from "../config/model";
import { k8sLabels } from "../labels";
import type { PlacedWorkloadArgs } from "./args";
import { allowPolicy, apiServerEgress, dnsEgress, internetEgress, NON_INTERNET_RANGES } from "./network-policy";
import { container, hardenedPod, KUBE_API_MOUNT, kubeApiVolume, systemScheduling, tmpVolume } from "./pod-spec";

export const BROKER = "broker";
export const BROKER_PORT = 8443;
/** labels of the broker's pods (the warm pool admits traffic from them only) */
export const BROKER_SELECTOR = { "app.kubernetes.io/name": BROKER, "app.kubernetes.io/component": BROKER };
/** The broker may read, relabel (detach) and delete (recycle) pods of its namespace; nothing else. */
export const BROKER_RULE = { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "patch", "delete"] };

export interface BrokerArgs extends PlacedWorkloadArgs {
    namespace: pulumi.Input<string>;
    /** the warm pool's pod selector; the broker detaches a pod by setting `detachLabel` to `detachedValue` */
    poolSelector: Record<string, string>;
    detachLabel: string;
    detachedValue: string;
    /** labels every warm-pool pod keeps, pooled or detached (what the broker may reach) */
    runtimePods: Record<string, string>;
    /** pods (pooled or serving a site) are deleted once older than this */
    recycleMinutes: number;
    runtimePort: number;
    consulService: string;
    image: pulumi.Input<string>;
    region: Pick<Region, "cloud" | "cidr">;
}

/**
 * The warm pool's broker (Wix's scheduler): takes a pooled pod for a site by relabeling it out of
 * the Deployment's selector (the Deployment then starts a replacement), and owns recycling: it
 * deletes every warm-pool pod older than `recycleMinutes`. Recycling lives here, not in the pod,
 * so no container next to customer code holds a Kubernetes credential.
 */
export class Broker extends pulumi.ComponentResource {
    readonly role: k8s.rbac.v1.Role;
    readonly selector: Record<string, string>;

    constructor(name: string, args: BrokerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:workload:Broker", name, {}, opts);
        const labels = k8sLabels(BROKER, BROKER, args.placement);
        this.selector = BROKER_SELECTOR;
        const meta = { name: BROKER, namespace: args.namespace, labels };
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

        const sa = new k8s.core.v1.ServiceAccount(name, { metadata: meta, automountServiceAccountToken: false }, o);
        this.role = new k8s.rbac.v1.Role(name, { metadata: meta, rules: [BROKER_RULE] }, o);
        new k8s.rbac.v1.RoleBinding(
            name,
            { metadata: meta, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: BROKER }, subjects: [{ kind: "ServiceAccount", name: BROKER, namespace: args.namespace }] },
            { ...o, dependsOn: [sa, this.role] },
        );
        const settings = {
            poolSelector: args.poolSelector,
            detach: { label: args.detachLabel, value: args.detachedValue },
            recycleMinutes: args.recycleMinutes,
            runtimePort: args.runtimePort,
            consulService: args.consulService,
        };
        const config = new k8s.core.v1.ConfigMap(name, { metadata: meta, data: { "broker.json": JSON.stringify(settings, null, 2) } }, o);
        const consul = args.consul.apiAccess();
        new k8s.apps.v1.Deployment(
            name,
            {
                metadata: meta,
                spec: {
                    replicas: 2,
                    selector: { matchLabels: this.selector },
                    template: {
                        metadata: { labels: { ...labels, ...this.selector } },
                        spec: hardenedPod({
                            serviceAccountName: BROKER,
                            ...systemScheduling(),
                            containers: [
                                container({
                                    name: BROKER,
                                    image: args.image,
                                    args: ["--config=/etc/broker/broker.json"],
                                    ports: [{ name: "https", containerPort: BROKER_PORT }],
                                    env: consul.env,
                                    readinessProbe: { tcpSocket: { port: BROKER_PORT }, periodSeconds: 5 },
                                    volumeMounts: [
                                        { name: "settings", mountPath: "/etc/broker", readOnly: true },
                                        { name: "kube-api", mountPath: KUBE_API_MOUNT, readOnly: true },
                                        { name: "tmp", mountPath: "/tmp" },
                                        ...consul.volumeMounts,
                                    ],
                                }),
                            ],
                            volumes: [{ name: "settings", configMap: { name: BROKER } }, kubeApiVolume(), tmpVolume(), ...consul.volumes],
                        }),
                    },
                },
            },
            { ...o, dependsOn: [config, sa] },
        );
        allowPolicy(
            name,
            {
                policyName: BROKER,
                namespace: args.namespace,
                labels,
                podSelector: this.selector,
                // the dispatcher's path arrives through a load balancer from public addresses
                ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_INTERNET_RANGES } }], ports: [{ protocol: "TCP", port: BROKER_PORT }] }],
                egress: [
                    dnsEgress(),
                    apiServerEgress(args.region),
                    { to: [{ podSelector: { matchLabels: args.runtimePods } }], ports: [{ protocol: "TCP", port: args.runtimePort }] },
                    internetEgress([443]),
                ],
            },
            o,
        );
        this.registerOutputs({ role: BROKER });
    }
}
