import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import type { Region } from "../../config/model";
import { k8sLabels, type Placement } from "../../labels";
import { createSignedCert, type KeyPair } from "../../pki/certificates";
import { consulNetworkPolicies } from "./network-policies";
import { consulServerStatefulSetSpec } from "./server-pod";
import { ACL_SECRET_KEY, CONSUL_DOMAIN, CONSUL_NAMES, CONSUL_PORTS, GOSSIP_SECRET_KEY, consulServerConfig, serverCertDnsNames } from "./server-config";


export interface ConsulServersArgs {
    /** the region: its name is the Consul datacenter; `consul` holds the server settings */
    region: Region;
    /** the pinned Consul image */
    image: string;
    /** the region's control-plane namespace in the continental cluster (`names.controlPlaneNamespace`) */
    namespaceName: string;
    /** that namespace: every object waits for it */
    namespace: k8s.core.v1.Namespace;
    /** the region's intermediate CA: signs the server certificate; the only CA the servers trust */
    intermediateCa: KeyPair;
    placement: Placement;
    /** Kubernetes provider of the continental cluster */
    provider: k8s.Provider;
    /** CIDRs the load balancer's connections and health checks come from */
    loadBalancerSources: string[];
    /** the load balancer's host name: a SAN of the server certificate */
    loadBalancerHost: string;
}

const COMPONENT = "consul-server";

/**
 * Compared with the consul-k8s chart (charts/consul/templates/server-*.yaml):
 * - server-config-configmap: the same ACL block (deny, extend-cache, token persistence) and TLS block
 *   (internal_rpc verify_incoming + verify_server_hostname, gRPC without client certificates,
 *   verify_outgoing, HTTPS only); no `connect`/central service config (no mesh here) and no UI; gRPC TLS
 *   on 8503 (the chart uses 8502). Autopilot min_quorum is a majority, like the chart.
 * - server-statefulset: the same readiness probe (`/v1/status/leader` on 8501), grace period (30 s),
 *   advertise/bind/client addresses and retry_join over the headless Service. The initial management
 *   token is a config file from a Secret (the chart passes it with `-hcl` from an env var), the gossip
 *   key too (chart: `-encrypt` from env), so no secret is in the pod spec. No locality init container
 *   and no snapshot agent (Raft snapshots are out of scope); required anti-affinity by host and zone
 *   spread are set here (the chart leaves spread to values).
 * - server certificate: the chart's SANs (`consul.serverTLSAltNames`), IP SAN 127.0.0.1, CN
 *   `server.<dc>.<domain>`, server and client auth; plus the load balancer's host.
 * - server-acl-init-job: replaced by declarative ACL resources (see acl-bootstrap.ts).
 * - server-service: the same ports and publishNotReadyAddresses (no plain HTTP or plain gRPC ports).
 * - server-disruptionbudget: maxUnavailable 1 (the chart uses 0 for a single server).
 * - server-role/clusterrole/podsecuritypolicy/SCC: the servers need no Kubernetes API access here
 *   (no auto-join through the API, no locality lookup), so no Role and no token is mounted.
 *
 * The Consul servers of one region (one Consul datacenter) in its control-plane namespace: a
 * StatefulSet, the headless Service for retry_join, the API Service the load balancer reaches,
 * the server ConfigMap, the gossip key and TLS Secrets, a PodDisruptionBudget, a ServiceAccount
 * and NetworkPolicies.
 */
export class ConsulServers extends pulumi.ComponentResource {
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly headlessService: k8s.core.v1.Service;
    /** the Service the load balancer reaches (HTTPS API port only) */
    readonly apiService: k8s.core.v1.Service;
    readonly configMap: k8s.core.v1.ConfigMap;
    readonly gossipKey: random.RandomBytes;
    readonly gossipSecret: k8s.core.v1.Secret;
    readonly serverCert: KeyPair;
    readonly tlsSecret: k8s.core.v1.Secret;
    /** the initial management token (`acl.tokens.initial_management`); its `result` is a secret */
    readonly managementToken: random.RandomUuid;
    readonly aclSecret: k8s.core.v1.Secret;
    /** the HTTPS API port on the pods (and the NEG endpoints) */
    readonly apiPort: number = CONSUL_PORTS.https;
    /** the gRPC TLS port on the pods (and the NEG endpoints) */
    readonly grpcPort: number = CONSUL_PORTS.grpcTls;
    /** the node ports of the API Service (nodePort exposure only) */
    readonly apiNodePort: pulumi.Output<number | undefined>;
    readonly grpcNodePort: pulumi.Output<number | undefined>;

    constructor(name: string, args: ConsulServersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:workload:ConsulServers", name, {}, opts);
        const { region, placement } = args;
        const nsName = args.namespaceName;
        const p = region.name;
        const k8sOpts = { parent: this, provider: args.provider, dependsOn: [args.namespace] };
        const labels = k8sLabels(CONSUL_NAMES.statefulSet, COMPONENT, placement);
        const selector = { "app.kubernetes.io/name": CONSUL_NAMES.statefulSet, "app.kubernetes.io/component": COMPONENT, "globalgrid.dev/region": region.name };
        const meta: Meta = (n, extra = {}) => ({ name: n, namespace: nsName, labels: { ...k8sLabels(n, COMPONENT, placement), ...extra } });
        const configArgs = { datacenter: region.name, replicas: region.consul.replicas, namespace: nsName };

        // gossip key
        this.gossipKey = new random.RandomBytes(`${p}-consul-gossip`, { length: 32 }, { parent: this });
        this.gossipSecret = new k8s.core.v1.Secret(
            `${p}-consul-gossip`,
            { metadata: meta(CONSUL_NAMES.gossipSecret), type: "Opaque", stringData: { [GOSSIP_SECRET_KEY]: pulumi.secret(this.gossipKey.base64.apply((key) => JSON.stringify({ encrypt: key }))) } },
            k8sOpts,
        );

        // TLS: the server certificate and the region's intermediate as the only trusted CA
        this.serverCert = createSignedCert(
            `${p}-consul-server`,
            {
                ca: args.intermediateCa,
                commonName: `server.${region.name}.${CONSUL_DOMAIN}`,
                dnsNames: serverCertDnsNames({ ...configArgs, loadBalancerHost: args.loadBalancerHost }),
                ipAddresses: ["127.0.0.1"],
                usage: "peer",
                ...region.certificates,
            },
            { parent: this },
        );
        this.tlsSecret = new k8s.core.v1.Secret(
            `${p}-consul-tls`,
            {
                metadata: meta(CONSUL_NAMES.tlsSecret),
                type: "kubernetes.io/tls",
                // Only the region's intermediate: another region's servers or clients cannot join.
                stringData: { "tls.crt": this.serverCert.certPem, "tls.key": pulumi.secret(this.serverCert.keyPem), "ca.crt": args.intermediateCa.certPem },
            },
            k8sOpts,
        );

        // ACLs: the initial management token, generated once, kept as a secret, loaded by every server from a Secret
        this.managementToken = new random.RandomUuid(`${p}-consul-management-token`, {}, { parent: this, additionalSecretOutputs: ["result"], protect: region.protect });
        this.aclSecret = new k8s.core.v1.Secret(
            `${p}-consul-acl`,
            {
                metadata: meta(CONSUL_NAMES.aclSecret),
                type: "Opaque",
                stringData: { [ACL_SECRET_KEY]: pulumi.secret(this.managementToken.result.apply((token) => JSON.stringify({ acl: { tokens: { initial_management: token } } }))) },
            },
            k8sOpts,
        );

        const configJson = JSON.stringify(consulServerConfig(configArgs), null, 2);
        this.configMap = new k8s.core.v1.ConfigMap(`${p}-consul-config`, { metadata: meta(CONSUL_NAMES.config), data: { "server.json": configJson } }, k8sOpts);
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${p}-consul`, { metadata: meta(CONSUL_NAMES.serviceAccount), automountServiceAccountToken: false }, k8sOpts);

        ({ headless: this.headlessService, api: this.apiService } = consulServices(p, meta, selector, k8sOpts));
        this.apiNodePort = this.apiService.spec.ports.apply((ports) => ports.find((x) => x.name === "https")?.nodePort);
        this.grpcNodePort = this.apiService.spec.ports.apply((ports) => ports.find((x) => x.name === "grpc-tls")?.nodePort);

        // consul-k8s allows 0 for a single server (`consul.server.pdb.maxUnavailable`); one server here never blocks a drain
        new k8s.policy.v1.PodDisruptionBudget(`${p}-consul`, { metadata: meta(CONSUL_NAMES.pdb), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, k8sOpts);
        consulNetworkPolicies({ prefix: p, namespace: nsName, labels, selector, loadBalancerSources: args.loadBalancerSources, provider: args.provider, parent: this, dependsOn: [args.namespace] });

        const configHash = createHash("sha256").update(configJson).digest("hex").slice(0, 16);
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            `${p}-consul-server`,
            { metadata: meta(CONSUL_NAMES.statefulSet), spec: consulServerStatefulSetSpec({ image: args.image, consul: region.consul, labels, selector, configHash }) },
            {
                ...k8sOpts,
                dependsOn: [args.namespace, this.configMap, this.gossipSecret, this.tlsSecret, this.aclSecret, serviceAccount, this.headlessService],
                protect: region.protect,
            },
        );

        this.registerOutputs({ statefulSet: this.statefulSet.metadata.name, apiService: this.apiService.metadata.name, replicas: args.region.consul.replicas });
    }
}

type Meta = (name: string, extra?: Record<string, string>) => { name: string; namespace: string; labels: Record<string, string> };

/**
 * The servers' two Services. The headless one (retry_join, the servers' stable DNS names) publishes
 * not-ready addresses, since servers must find each other before any is ready (no leader yet). The
 * API one is a NodePort Service (externalTrafficPolicy Local: only nodes running a server answer,
 * and the client address is kept for the NetworkPolicies) that both clouds' load balancers reach on
 * the continental cluster's nodes: ALB instance targets on AWS, instance-group backends on GCP
 * (frontend mTLS of GCP's global external Application LB lists instance groups, not zonal NEGs).
 */
function consulServices(p: string, meta: Meta, selector: Record<string, string>, k8sOpts: pulumi.CustomResourceOptions) {
    const port = (portName: string, number: number, protocol = "TCP") => ({ name: portName, port: number, targetPort: number, protocol });
    const apiPorts = [port("https", CONSUL_PORTS.https), port("grpc-tls", CONSUL_PORTS.grpcTls)];
    const headless = new k8s.core.v1.Service(
        `${p}-consul-headless`,
        {
            metadata: meta(CONSUL_NAMES.headlessService),
            spec: {
                clusterIP: "None",
                publishNotReadyAddresses: true,
                selector,
                ports: [port("server", CONSUL_PORTS.server), port("serflan-tcp", CONSUL_PORTS.serfLan), port("serflan-udp", CONSUL_PORTS.serfLan, "UDP"), ...apiPorts],
            },
        },
        k8sOpts,
    );
    const api = new k8s.core.v1.Service(`${p}-consul-api`, { metadata: meta(CONSUL_NAMES.apiService), spec: { type: "NodePort", externalTrafficPolicy: "Local", selector, ports: apiPorts } }, k8sOpts);
    return { headless, api };
}
