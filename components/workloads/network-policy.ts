import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/**
 * Allow rules added on top of the data center namespace's default-deny policy. The internet is
 * 0.0.0.0/0 minus every private, shared and link-local range: that excludes the cloud metadata
 * servers (169.254.169.254, and GKE's 169.254.169.252:987/988), other namespaces' pods, services
 * and the cluster's nodes.
 */

type Rule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;
type IngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;

export const NON_INTERNET_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8", "0.0.0.0/8"];

/** DNS through kube-dns only. */
export const dnsEgress = (): Rule => ({
    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
    ],
});

/** The public internet, optionally on some ports only. */
export const internetEgress = (ports?: number[]): Rule => ({
    to: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_INTERNET_RANGES } }],
    ...(ports ? { ports: ports.map((port) => ({ protocol: "TCP", port })) } : {}),
});

/** The cluster's Kubernetes API server on 443, at the addresses its cluster names (`Cluster.apiServerCidrs`). */
export const apiServerEgress = (apiServerCidrs: readonly string[]): Rule => ({
    to: apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
    ports: [{ protocol: "TCP", port: 443 }],
});

export interface AllowPolicyArgs {
    /** metadata.name of the policy */
    policyName: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    podSelector: Record<string, string>;
    ingress: IngressRule[];
    egress: Rule[];
}

/** A policy that governs both directions of the selected pods: anything not listed stays denied. */
export function allowPolicy(name: string, args: AllowPolicyArgs, opts: pulumi.CustomResourceOptions): k8s.networking.v1.NetworkPolicy {
    return new k8s.networking.v1.NetworkPolicy(
        name,
        {
            metadata: { name: args.policyName, namespace: args.namespace, labels: args.labels },
            spec: { podSelector: { matchLabels: args.podSelector }, policyTypes: ["Ingress", "Egress"], ingress: args.ingress, egress: args.egress },
        },
        opts,
    );
}
