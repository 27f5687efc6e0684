import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { GkeCluster } from "../clusters/gke";
import { gcpLabels } from "../labels";
import { layout } from "./cidr";
import { globalHttpsEntrance, googleFrontEndFirewall } from "./gcp-https-entrance";
import { loadBalancerDnsRecord } from "./load-balancer-dns";
import { consulNodePorts, GRPC_PATH_PREFIX, HEALTH_PATH, type MtlsFrontend, type MtlsImplArgs } from "./mtls-common";

/** Consul blocking queries wait up to 5 minutes; the proxy must not cut them. */
const BACKEND_TIMEOUT_SECONDS = 360;

/**
 * GCP: a global external Application Load Balancer. Client certificates are validated against a
 * Certificate Manager TrustConfig holding only the region's client CA, by a
 * ServerTlsPolicy in REJECT_INVALID mode on the HTTPS proxy; two backend services (HTTPS API and
 * gRPC TLS) speak HTTP/2 over TLS to the Consul API Service's node ports on the continental
 * cluster's system-pool instance groups. A Cloud Armor policy admits only the data centers' egress
 * addresses and the admin CIDRs.
 *
 * The resources are created in this order: instance-group named ports, health check and firewall,
 * Cloud Armor, backend services, URL map, client-certificate validation, server certificate,
 * entrance (SSL policy, proxy, address, forwarding rule), DNS record.
 */
export function createGcpMtls(args: MtlsImplArgs<GkeCluster>, parent: pulumi.Resource): MtlsFrontend {
    const s = scopeOf(args, parent);
    const ports = consulNodePorts(args.region.name, args.consul);
    const groups = systemPoolGroups(s, ports);
    const healthCheck = consulHealthCheck(s, ports);
    const armor = dataCenterOnlyArmor(s);
    const backends = consulBackendServices(s, groups, healthCheck, armor);
    const urlMap = consulUrlMap(s, backends);
    const serverTlsPolicy = clientCertificateValidation(s);
    const certificate = serverCertificate(s);
    const address = globalHttpsEntrance(
        s.p,
        { n: s.n, project: s.project, labels: s.labels, proxy: { urlMap: urlMap.id, sslCertificates: [certificate.id], serverTlsPolicy } },
        s.opts,
    );
    const dnsRecord = loadBalancerDnsRecord(`${s.p}-dns`, { host: args.host, type: "A", target: address.address, context: args.context }, parent);
    return { address: address.address, dnsRecord, clientValidation: "REJECT_INVALID" };
}

/** What every piece of one region's GCP control-plane load balancer is named, labelled and parented by. */
interface Scope {
    args: MtlsImplArgs<GkeCluster>;
    project: string;
    /** prefix of the Pulumi resource names: `<region>-cp` */
    p: string;
    /** the Google resource name for a suffix (`names.controlPlaneGcpResource`) */
    n: (suffix: string) => string;
    labels: Record<string, string>;
    opts: { parent: pulumi.Resource };
}

function scopeOf(args: MtlsImplArgs<GkeCluster>, parent: pulumi.Resource): Scope {
    const region = args.region.name;
    return {
        args,
        project: args.context.project,
        p: `${region}-cp`,
        n: (suffix) => args.names.controlPlaneGcpResource(region, suffix),
        labels: gcpLabels("control-plane-load-balancer", args.placement),
        opts: { parent },
    };
}

type ConsulPorts = ReturnType<typeof consulNodePorts>;

/** The system pool's instance groups, one per continent zone, and the named ports that address the node ports on them. */
interface SystemPoolGroups {
    /** the instance group in a zone, as a `projects/…/zones/…/instanceGroups/…` path */
    groupIn: (zone: string) => pulumi.Output<string>;
    namedPorts: gcp.compute.InstanceGroupNamedPort[];
}

/**
 * The backends are the system pool's instance groups (a regional pool has one per node location).
 * A backend service reaches a node port through a named port on each group, so each zone's group
 * gets an `https` and a `grpc` named port.
 */
function systemPoolGroups(s: Scope, ports: ConsulPorts): SystemPoolGroups {
    const { region, continent } = s.args;
    const groupIn = (zone: string) =>
        s.args.cluster.systemPool.managedInstanceGroupUrls.apply((urls) => {
            const url = (urls ?? []).find((u) => u.includes(`/zones/${zone}/`));
            if (!url) throw new Error(`continent ${continent.name}: the control-plane system pool has no instance group in ${zone}`);
            return url.replace(/^https:\/\/www\.googleapis\.com\/compute\/v1\//, "");
        });
    const namedPorts = continent.zones.flatMap((zone) =>
        ([["https", ports.https], ["grpc", ports.grpc]] as const).map(
            ([portName, port]) =>
                new gcp.compute.InstanceGroupNamedPort(
                    `${s.p}-${portName}-${zone}`,
                    { project: s.project, zone, group: groupIn(zone).apply((g) => g.split("/").pop() ?? g), name: `${region.name}-consul-${portName}`, port },
                    s.opts,
                ),
        ),
    );
    return { groupIn, namedPorts };
}

/**
 * One health check for both backend services: the Consul leader status over HTTP/2 and TLS (like
 * the traffic) on the HTTPS node port; a server that answers its leader status is serving. The
 * firewall admits Google's front ends and health checkers to both node ports on the GKE nodes.
 */
function consulHealthCheck(s: Scope, ports: ConsulPorts): gcp.compute.HealthCheck {
    const { region, continent, context } = s.args;
    const healthCheck = new gcp.compute.HealthCheck(
        `${s.p}-hc`,
        {
            name: s.n("hc"),
            project: s.project,
            description: `Consul leader status of ${region.name}`,
            checkIntervalSec: 5,
            timeoutSec: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 2,
            // HTTP/2 health checks run over TLS, like the traffic. Both backend services (HTTPS API and
            // gRPC) use this check on the HTTPS port of the same endpoints: a server that answers its
            // leader status is serving; a fixed port applies to every endpoint of a GCE_VM_IP_PORT NEG.
            http2HealthCheck: { portSpecification: "USE_FIXED_PORT", port: ports.https, requestPath: HEALTH_PATH },
            logConfig: { enable: true },
        },
        s.opts,
    );
    googleFrontEndFirewall(
        `${s.p}-hc-fw`,
        {
            name: s.n("lb-fw"),
            project: s.project,
            network: context.network,
            description: `Google front ends and health checks to ${region.name}'s Consul node ports`,
            destinationRanges: [layout.gkeNodes(continent.cidr)],
            ports: [ports.https.apply(String), ports.grpc.apply(String)],
        },
        s.opts,
    );
    return healthCheck;
}

/**
 * Cloud Armor on both backend services: only the region's data centers (their NAT egress addresses)
 * and the admin CIDRs reach the control plane; everything else gets 403 before TLS client
 * validation matters.
 */
function dataCenterOnlyArmor(s: Scope): gcp.compute.SecurityPolicy {
    const { region, clientSourceIps, context } = s.args;
    return new gcp.compute.SecurityPolicy(
        `${s.p}-armor`,
        {
            name: s.n("armor"),
            project: s.project,
            description: `only ${region.name}'s data centers reach its control plane`,
            type: "CLOUD_ARMOR",
            rules: [
                {
                    action: "allow",
                    priority: 1000,
                    description: "data centers' NAT egress",
                    match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: pulumi.all(clientSourceIps).apply((ips) => ips.map((ip) => `${ip}/32`)) } },
                },
                // the operator's `pulumi up` (the consul provider declares the ACLs through this load balancer)
                { action: "allow", priority: 1100, description: "admin CIDRs", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: [...context.adminCidrs] } } },
                { action: "deny(403)", priority: 2147483647, description: "everything else", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } },
            ],
        },
        s.opts,
    );
}

/**
 * Two backend services on the same instance groups, one per Consul port: the HTTPS API (8501) and
 * gRPC TLS (8503). Instance-group backends: one per continent zone (the system pool's autoscaling
 * minimum keeps a node in each); each service names its node port through the groups' named port,
 * so it waits for the named ports and for the Service that allocates the node ports.
 */
function consulBackendServices(
    s: Scope,
    groups: SystemPoolGroups,
    healthCheck: gcp.compute.HealthCheck,
    armor: gcp.compute.SecurityPolicy,
): { https: gcp.compute.BackendService; grpc: gcp.compute.BackendService } {
    const { region, continent, consul } = s.args;
    const backendService = (suffix: string, portName: string, what: string) =>
        new gcp.compute.BackendService(
            `${s.p}-${suffix}`,
            {
                name: s.n(suffix),
                project: s.project,
                description: `${region.name} Consul servers' ${what}`,
                loadBalancingScheme: "EXTERNAL_MANAGED",
                // HTTP/2 over TLS to the servers: the HTTPS API speaks it, and gRPC needs it
                protocol: "HTTP2",
                portName: `${region.name}-consul-${portName}`,
                timeoutSec: BACKEND_TIMEOUT_SECONDS,
                healthChecks: healthCheck.id,
                securityPolicy: armor.id,
                backends: continent.zones.map((zone) => ({ group: groups.groupIn(zone), balancingMode: "UTILIZATION", capacityScaler: 1 })),
                logConfig: { enable: true, sampleRate: 1 },
            },
            { ...s.opts, dependsOn: [consul.apiService, ...groups.namedPorts] },
        );
    return { https: backendService("be", "https", "HTTPS API (8501)"), grpc: backendService("grpc-be", "grpc", "gRPC TLS (8503)") };
}

/**
 * One :443 frontend for both Consul ports: the URL map sends gRPC requests (paths under
 * `/hashicorp.consul.`) to the gRPC backend, everything else to the HTTPS API.
 */
function consulUrlMap(s: Scope, backends: { https: gcp.compute.BackendService; grpc: gcp.compute.BackendService }): gcp.compute.URLMap {
    return new gcp.compute.URLMap(
        `${s.p}-um`,
        {
            name: s.n("um"),
            project: s.project,
            description: `${s.args.region.name} control plane`,
            defaultService: backends.https.id,
            hostRules: [{ hosts: ["*"], pathMatcher: "consul" }],
            pathMatchers: [
                {
                    name: "consul",
                    defaultService: backends.https.id,
                    routeRules: [{ priority: 1, matchRules: [{ prefixMatch: GRPC_PATH_PREFIX }], service: backends.grpc.id }],
                },
            ],
        },
        s.opts,
    );
}

/**
 * Client-certificate validation at the proxy: a TrustConfig whose only anchor is the region's own
 * client CA (a client of another region chains to another CA and is refused), used by a
 * ServerTlsPolicy in REJECT_INVALID mode. Returns the policy's path for the proxy's serverTlsPolicy.
 */
function clientCertificateValidation(s: Scope): pulumi.Output<string> {
    const { region, clientCa } = s.args;
    const project = s.project;
    const trustConfig = new gcp.certificatemanager.TrustConfig(
        `${s.p}-tc`,
        {
            name: s.n("tc"),
            project,
            location: "global",
            description: `${region.name} data-center client certificates: the region's own client CA, nothing else`,
            trustStores: [{ trustAnchors: [{ pemCertificate: clientCa.certPem }] }],
            labels: s.labels,
        },
        s.opts,
    );
    const tlsPolicy = new gcp.networksecurity.ServerTlsPolicy(
        `${s.p}-tls`,
        {
            name: s.n("tls"),
            project,
            location: "global",
            description: `refuse ${region.name} control-plane connections without a valid client certificate`,
            mtlsPolicy: {
                clientValidationMode: "REJECT_INVALID",
                clientValidationTrustConfig: pulumi.interpolate`projects/${project}/locations/global/trustConfigs/${trustConfig.name}`,
            },
            labels: s.labels,
        },
        s.opts,
    );
    return pulumi.interpolate`projects/${project}/locations/global/serverTlsPolicies/${tlsPolicy.name}`;
}

/**
 * The proxy's server certificate: the load balancer's leaf (signed by the region's intermediate)
 * followed by the intermediate, so clients that trust the root can build the chain.
 */
function serverCertificate(s: Scope): gcp.compute.SSLCertificate {
    const { host, serverCert, intermediateCa } = s.args;
    return new gcp.compute.SSLCertificate(
        `${s.p}-cert`,
        {
            // a prefix, so a rotated certificate is created before the old one is deleted
            namePrefix: `${s.n("cert")}-`,
            project: s.project,
            description: host,
            certificate: pulumi.all([serverCert.certPem, intermediateCa.certPem]).apply(([leaf, ca]) => `${leaf.trimEnd()}\n${ca.trimEnd()}\n`),
            privateKey: pulumi.secret(serverCert.keyPem),
        },
        s.opts,
    );
}
