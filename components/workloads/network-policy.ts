import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { Region } from "../config/model";
import { layout } from "../network/cidr";
import { EKS_KUBERNETES_SERVICE_IP } from "../clusters/eks-versions";

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

/**
 * The region cluster's Kubernetes API server on 443. GKE: its private endpoint in the master block.
 * EKS: the VPC CNI's network policy agent filters a pod's egress on the host side of the pod's
 * veth, before kube-proxy translates the `kubernetes` Service's ClusterIP, so the destination it
 * matches is that ClusterIP (the first address of the cluster's fixed service range). The
 * control-plane ENIs behind it sit in the cluster's private subnets (one per zone in `zones`; the
 * callers pass the whole region), admitted as well for clients that reach the endpoint addresses
 * directly.
 */
export const apiServerEgress = (region: Pick<Region, "cloud" | "cidr"> & { zones?: string[] }): Rule => ({
    to:
        region.cloud === "gcp"
            ? [{ ipBlock: { cidr: layout.gkeMasterIpv4(region.cidr) } }]
            : [{ ipBlock: { cidr: `${EKS_KUBERNETES_SERVICE_IP}/32` } }, ...(region.zones ?? []).map((zone) => ({ ipBlock: { cidr: layout.awsPrivate(region.cidr, zone) } }))],
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
