/**
 * The Consul server agent configuration (server.json) of one regional datacenter, and the ports
 * and in-pod paths the StatefulSet, Services and NetworkPolicies share.
 */

/** Ports a Consul server listens on. There is no plain HTTP port and no plaintext gRPC port. */
export const CONSUL_PORTS = {
    server: 8300,
    serfLan: 8301,
    serfWan: 8302,
    https: 8501,
    grpcTls: 8503,
    dns: 8600,
} as const;

export const CONSUL_PATHS = {
    config: "/consul/config",
    data: "/consul/data",
    tls: "/consul/tls",
    /** a second config dir holding only `gossip.json` from the gossip Secret */
    gossip: "/consul/gossip",
    /** a third config dir holding only `acl.json` (the initial management token) from the ACL Secret */
    acl: "/consul/acl",
} as const;

/** Kubernetes object names inside the control-plane namespace. */
export const CONSUL_NAMES = {
    statefulSet: "consul-server",
    /** headless: gives every server a stable DNS name for retry_join */
    headlessService: "consul-server",
    /** what the mutual-TLS load balancer reaches (HTTPS API only) */
    apiService: "consul-api",
    config: "consul-server-config",
    gossipSecret: "consul-gossip-key",
    tlsSecret: "consul-server-tls",
    aclSecret: "consul-acl-bootstrap",
    serviceAccount: "consul-server",
    pdb: "consul-server",
} as const;

/** The gossip Secret's single key: a Consul config file `{"encrypt": "<key>"}`, loaded from a Secret volume. */
export const GOSSIP_SECRET_KEY = "gossip.json";
/** The ACL Secret's single key: `{"acl": {"tokens": {"initial_management": "<token>"}}}`, merged into the ACL block. */
export const ACL_SECRET_KEY = "acl.json";
/** Consul's DNS domain (the default): `server.<datacenter>.<domain>` is the name verify_server_hostname checks. */
export const CONSUL_DOMAIN = "consul";

export interface ServerConfigArgs {
    /** the region: the Consul datacenter name */
    datacenter: string;
    replicas: number;
    /** the control-plane namespace */
    namespace: string;
    /** the load balancer's host name (`<region>.cp.<domain>`), also a SAN: health checks and an operator may name it */
    loadBalancerHost?: string;
}

/** DNS names of the servers through the headless Service, on the Serf LAN port. */
export function retryJoinAddresses(args: ServerConfigArgs): string[] {
    return Array.from(
        { length: args.replicas },
        (_, i) => `${CONSUL_NAMES.statefulSet}-${i}.${CONSUL_NAMES.headlessService}.${args.namespace}.svc.cluster.local:${CONSUL_PORTS.serfLan}`,
    );
}

/**
 * SANs of the server certificate, as consul-k8s issues them (`consul.serverTLSAltNames`):
 * `server.<datacenter>.<domain>` and `*.server.<datacenter>.<domain>` (what verify_server_hostname
 * checks when servers dial each other), the Service names, localhost; plus the load balancer's host.
 */
export function serverCertDnsNames(args: ServerConfigArgs): string[] {
    const ns = args.namespace;
    return [
        `server.${args.datacenter}.${CONSUL_DOMAIN}`,
        `*.server.${args.datacenter}.${CONSUL_DOMAIN}`,
        `${CONSUL_NAMES.headlessService}.${ns}.svc`,
        `${CONSUL_NAMES.headlessService}.${ns}.svc.cluster.local`,
        `*.${CONSUL_NAMES.headlessService}.${ns}.svc`,
        `*.${CONSUL_NAMES.headlessService}.${ns}.svc.cluster.local`,
        `${CONSUL_NAMES.apiService}.${ns}.svc`,
        `${CONSUL_NAMES.apiService}.${ns}.svc.cluster.local`,
        "localhost",
        ...(args.loadBalancerHost ? [args.loadBalancerHost] : []),
    ];
}

/**
 * The server configuration. The gossip key is not here (Consul reads it from the gossip Secret,
 * mounted as a second config dir), so this ConfigMap holds no secret.
 */
export function consulServerConfig(args: ServerConfigArgs): Record<string, unknown> {
    return {
        datacenter: args.datacenter,
        domain: CONSUL_DOMAIN,
        server: true,
        bootstrap_expect: args.replicas,
        data_dir: CONSUL_PATHS.data,
        bind_addr: "0.0.0.0",
        client_addr: "0.0.0.0",
        retry_join: retryJoinAddresses(args),
        ports: {
            http: -1,
            https: CONSUL_PORTS.https,
            grpc: -1,
            grpc_tls: CONSUL_PORTS.grpcTls,
            server: CONSUL_PORTS.server,
            serf_lan: CONSUL_PORTS.serfLan,
            serf_wan: CONSUL_PORTS.serfWan,
            dns: CONSUL_PORTS.dns,
        },
        tls: {
            defaults: {
                ca_file: `${CONSUL_PATHS.tls}/ca.crt`,
                cert_file: `${CONSUL_PATHS.tls}/tls.crt`,
                key_file: `${CONSUL_PATHS.tls}/tls.key`,
                tls_min_version: "TLSv1_2",
                verify_incoming: true,
                verify_outgoing: true,
            },
            // Servers dial each other with their own certificate (server_auth + client_auth) and check
            // that the peer's names `server.<datacenter>.<domain>`.
            internal_rpc: { verify_incoming: true, verify_server_hostname: true },
            // The mutual-TLS load balancer checks the data centers' client certificates and
            // re-encrypts to this port without one of its own (neither GCP nor AWS presents a
            // client certificate to backends), so the API port cannot demand one.
            https: { verify_incoming: false },
            grpc: { verify_incoming: false, use_auto_cert: false },
        },
        encrypt_verify_incoming: true,
        encrypt_verify_outgoing: true,
        // The initial management token comes from the ACL Secret (a second file merged into this block);
        // the anonymous token gets no policy, so an unauthenticated request is denied.
        acl: { enabled: true, default_policy: "deny", down_policy: "extend-cache", enable_token_persistence: true },
        leave_on_terminate: true,
        autopilot: {
            cleanup_dead_servers: true,
            last_contact_threshold: "200ms",
            server_stabilization_time: "10s",
            // consul-k8s: a majority (`consul.server.autopilotMinQuorum`)
            min_quorum: Math.floor(args.replicas / 2) + 1,
        },
        performance: { raft_multiplier: 1 },
        disable_update_check: true,
        log_level: "INFO",
        log_json: true,
        ui_config: { enabled: false },
    };
}
