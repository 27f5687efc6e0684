import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CONSUL_PORTS } from "./server-config";

export interface ConsulNetworkPoliciesArgs {
    /** Pulumi name prefix (region-unique) */
    prefix: string;
    namespace: string;
    labels: Record<string, string>;
    /** labels selecting the Consul server pods */
    selector: Record<string, string>;
    /** where the load balancer's connections and health checks come from */
    loadBalancerSources: string[];
    provider: k8s.Provider;
    parent: pulumi.Resource;
    dependsOn: pulumi.Resource[];
}

const tcp = (port: number) => ({ protocol: "TCP", port });
const udp = (port: number) => ({ protocol: "UDP", port });
/** Server RPC and Serf LAN gossip between the servers of one datacenter. */
const PEER_PORTS = [tcp(CONSUL_PORTS.server), tcp(CONSUL_PORTS.serfLan), udp(CONSUL_PORTS.serfLan)];

/**
 * Allow rules on top of the namespace's default deny: servers talk to each other on RPC and
 * Serf LAN, the load balancer reaches the HTTPS API and gRPC TLS ports, servers may fetch the
 * data-plane issuers' keys over public HTTPS, and may resolve DNS.
 */
export function consulNetworkPolicies(args: ConsulNetworkPoliciesArgs): k8s.networking.v1.NetworkPolicy[] {
    const opts = { parent: args.parent, provider: args.provider, dependsOn: args.dependsOn };
    const peers = { podSelector: { matchLabels: args.selector } };
    const meta = (name: string) => ({ name, namespace: args.namespace, labels: args.labels });
    return [
        new k8s.networking.v1.NetworkPolicy(
            `${args.prefix}-consul-peers`,
            {
                metadata: meta("consul-server-peers"),
                spec: {
                    podSelector: { matchLabels: args.selector },
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [{ from: [peers], ports: PEER_PORTS }],
                    egress: [{ to: [peers], ports: PEER_PORTS }],
                },
            },
            opts,
        ),
        new k8s.networking.v1.NetworkPolicy(
            `${args.prefix}-consul-lb`,
            {
                metadata: meta("consul-server-load-balancer"),
                spec: {
                    podSelector: { matchLabels: args.selector },
                    policyTypes: ["Ingress"],
                    ingress: [{ from: args.loadBalancerSources.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(CONSUL_PORTS.https), tcp(CONSUL_PORTS.grpcTls)] }],
                },
            },
            opts,
        ),
        // The JWT auth method fetches the data-plane cluster's discovery document and keys over HTTPS
        // (container.googleapis.com for GKE, oidc.eks.<region>.amazonaws.com for EKS): public 443 only.
        new k8s.networking.v1.NetworkPolicy(
            `${args.prefix}-consul-oidc`,
            {
                metadata: meta("consul-server-oidc-discovery"),
                spec: {
                    podSelector: { matchLabels: args.selector },
                    policyTypes: ["Egress"],
                    egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"] } }], ports: [tcp(443)] }],
                },
            },
            opts,
        ),
        new k8s.networking.v1.NetworkPolicy(
            `${args.prefix}-consul-dns`,
            {
                metadata: meta("consul-server-dns"),
                spec: {
                    podSelector: { matchLabels: args.selector },
                    policyTypes: ["Egress"],
                    egress: [
                        {
                            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                            ports: [udp(53), tcp(53)],
                        },
                    ],
                },
            },
            opts,
        ),
    ];
}
