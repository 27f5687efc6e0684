import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { GkeCluster } from "../clusters/gke";
import { gcpLabels } from "../labels";
import { layout } from "./cidr";
import { GOOGLE_FRONT_END_RANGES } from "./google-front-ends";
import { controlPlaneDnsRecord, type MtlsFrontend, type MtlsImplArgs } from "./mtls-common";

/** answered without an ACL token (status endpoints need none), 200 with the leader's address once there is one */
export const HEALTH_PATH = "/v1/status/leader";
/** every Consul gRPC service lives under this package: `/hashicorp.consul.<service>/<method>` */
export const GRPC_PATH_PREFIX = "/hashicorp.consul.";
/** Consul blocking queries wait up to 5 minutes; the proxy must not cut them. */
const BACKEND_TIMEOUT_SECONDS = 360;

/**
 * GCP: a global external Application Load Balancer. Client certificates are validated against a
 * Certificate Manager TrustConfig holding only the region's client CA, by a
 * ServerTlsPolicy in REJECT_INVALID mode on the HTTPS proxy; two backend services (HTTPS API and
 * gRPC TLS) speak HTTP/2 over TLS to the Consul API Service's node ports on the continental
 * cluster's system-pool instance groups. A Cloud Armor policy admits only the data centers' egress
 * addresses and the admin CIDRs.
 */
export function createGcpMtls(args: MtlsImplArgs<GkeCluster>, parent: pulumi.Resource): MtlsFrontend {
    const { names, region, continent } = args;
    const project = args.context.project;
    const p = `${region.name}-cp`;
    const opts = { parent };
    const labels = gcpLabels("control-plane-load-balancer", args.placement);
    const n = (suffix: string) => names.controlPlaneGcpResource(region.name, suffix);

    const systemPool = args.cluster.systemPool;
    const nodePortOf = (port: pulumi.Output<number | undefined>, what: string) =>
        port.apply((x) => {
            if (x === undefined) throw new Error(`${region.name}: the Consul API Service has no ${what} node port`);
            return x;
        });
    const httpsNodePort = nodePortOf(args.consul.apiNodePort, "HTTPS");
    const grpcNodePort = nodePortOf(args.consul.grpcNodePort, "gRPC TLS");
    /** the system pool's instance group in a zone (a regional pool has one per node location) */
    const groupIn = (zone: string) =>
        systemPool.managedInstanceGroupUrls.apply((urls) => {
            const url = (urls ?? []).find((u) => u.includes(`/zones/${zone}/`));
            if (!url) throw new Error(`continent ${continent.name}: the control-plane system pool has no instance group in ${zone}`);
            return url.replace(/^https:\/\/www\.googleapis\.com\/compute\/v1\//, "");
        });
    // Named ports on each zone's instance group: the backend services address the node ports by name.
    const namedPorts = continent.zones.flatMap((zone) =>
        ([["https", httpsNodePort], ["grpc", grpcNodePort]] as const).map(
            ([portName, port]) =>
                new gcp.compute.InstanceGroupNamedPort(
                    `${p}-${portName}-${zone}`,
                    { project, zone, group: groupIn(zone).apply((g) => g.split("/").pop() ?? g), name: `${region.name}-consul-${portName}`, port },
                    opts,
                ),
        ),
    );
    const healthCheck = new gcp.compute.HealthCheck(
        `${p}-hc`,
        {
            name: n("hc"),
            project,
            description: `Consul leader status of ${region.name}`,
            checkIntervalSec: 5,
            timeoutSec: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 2,
            // HTTP/2 health checks run over TLS, like the traffic. Both backend services (HTTPS API and
            // gRPC) use this check on the HTTPS port of the same endpoints: a server that answers its
            // leader status is serving; a fixed port applies to every endpoint of a GCE_VM_IP_PORT NEG.
            http2HealthCheck: { portSpecification: "USE_FIXED_PORT", port: httpsNodePort, requestPath: HEALTH_PATH },
            logConfig: { enable: true },
        },
        opts,
    );
    new gcp.compute.Firewall(
        `${p}-hc-fw`,
        {
            name: n("lb-fw"),
            project,
            network: args.context.network,
            description: `Google front ends and health checks to ${region.name}'s Consul node ports`,
            direction: "INGRESS",
            sourceRanges: GOOGLE_FRONT_END_RANGES,
            destinationRanges: [layout.gkeNodes(continent.cidr)],
            allows: [{ protocol: "tcp", ports: [httpsNodePort.apply(String), grpcNodePort.apply(String)] }],
            logConfig: { metadata: "INCLUDE_ALL_METADATA" },
        },
        opts,
    );
    const armor = new gcp.compute.SecurityPolicy(
        `${p}-armor`,
        {
            name: n("armor"),
            project,
            description: `only ${region.name}'s data centers reach its control plane`,
            type: "CLOUD_ARMOR",
            rules: [
                {
                    action: "allow",
                    priority: 1000,
                    description: "data centers' NAT egress",
                    match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: pulumi.all(args.clientSourceIps).apply((ips) => ips.map((ip) => `${ip}/32`)) } },
                },
                // the operator's `pulumi up` (the consul provider declares the ACLs through this load balancer)
                { action: "allow", priority: 1100, description: "admin CIDRs", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: [...args.context.adminCidrs] } } },
                { action: "deny(403)", priority: 2147483647, description: "everything else", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } },
            ],
        },
        opts,
    );
    // Instance-group backends: one per continent zone (the system pool's autoscaling minimum keeps a
    // node in each); each backend service names its node port through the groups' named port.
    const backendService = (suffix: string, portName: string, what: string) =>
        new gcp.compute.BackendService(
            `${p}-${suffix}`,
            {
                name: n(suffix),
                project,
                description: `${region.name} Consul servers' ${what}`,
                loadBalancingScheme: "EXTERNAL_MANAGED",
                // HTTP/2 over TLS to the servers: the HTTPS API speaks it, and gRPC needs it
                protocol: "HTTP2",
                portName: `${region.name}-consul-${portName}`,
                timeoutSec: BACKEND_TIMEOUT_SECONDS,
                healthChecks: healthCheck.id,
                securityPolicy: armor.id,
                backends: continent.zones.map((zone) => ({ group: groupIn(zone), balancingMode: "UTILIZATION", capacityScaler: 1 })),
                logConfig: { enable: true, sampleRate: 1 },
            },
            { parent, dependsOn: [args.consul.apiService, ...namedPorts] },
        );
    const backend = backendService("be", "https", "HTTPS API (8501)");
    const grpcBackend = backendService("grpc-be", "grpc", "gRPC TLS (8503)");
    // One :443 frontend for both ports: gRPC requests (`/hashicorp.consul.*`) go to 8503, the rest to the HTTPS API.
    const urlMap = new gcp.compute.URLMap(
        `${p}-um`,
        {
            name: n("um"),
            project,
            description: `${region.name} control plane`,
            defaultService: backend.id,
            hostRules: [{ hosts: ["*"], pathMatcher: "consul" }],
            pathMatchers: [
                {
                    name: "consul",
                    defaultService: backend.id,
                    routeRules: [{ priority: 1, matchRules: [{ prefixMatch: GRPC_PATH_PREFIX }], service: grpcBackend.id }],
                },
            ],
        },
        opts,
    );

    const trustConfig = new gcp.certificatemanager.TrustConfig(
        `${p}-tc`,
        {
            name: n("tc"),
            project,
            location: "global",
            description: `${region.name} data-center client certificates: the region's own client CA, nothing else`,
            trustStores: [{ trustAnchors: [{ pemCertificate: args.clientCa.certPem }] }],
            labels,
        },
        opts,
    );
    const tlsPolicy = new gcp.networksecurity.ServerTlsPolicy(
        `${p}-tls`,
        {
            name: n("tls"),
            project,
            location: "global",
            description: `refuse ${region.name} control-plane connections without a valid client certificate`,
            mtlsPolicy: {
                clientValidationMode: "REJECT_INVALID",
                clientValidationTrustConfig: pulumi.interpolate`projects/${project}/locations/global/trustConfigs/${trustConfig.name}`,
            },
            labels,
        },
        opts,
    );
    const certificate = new gcp.compute.SSLCertificate(
        `${p}-cert`,
        {
            // a prefix, so a rotated certificate is created before the old one is deleted
            namePrefix: `${n("cert")}-`,
            project,
            description: args.host,
            certificate: pulumi.all([args.serverCert.certPem, args.intermediateCa.certPem]).apply(([leaf, ca]) => `${leaf.trimEnd()}\n${ca.trimEnd()}\n`),
            privateKey: pulumi.secret(args.serverCert.keyPem),
        },
        opts,
    );
    const sslPolicy = new gcp.compute.SSLPolicy(`${p}-ssl`, { name: n("ssl"), project, minTlsVersion: "TLS_1_2", profile: "MODERN" }, opts);
    const proxy = new gcp.compute.TargetHttpsProxy(
        `${p}-proxy`,
        {
            name: n("proxy"),
            project,
            urlMap: urlMap.id,
            sslCertificates: [certificate.id],
            sslPolicy: sslPolicy.id,
            serverTlsPolicy: pulumi.interpolate`projects/${project}/locations/global/serverTlsPolicies/${tlsPolicy.name}`,
        },
        opts,
    );
    const address = new gcp.compute.GlobalAddress(`${p}-ip`, { name: n("ip"), project, ipVersion: "IPV4", addressType: "EXTERNAL", labels }, opts);
    new gcp.compute.GlobalForwardingRule(
        `${p}-fr`,
        {
            name: n("fr"),
            project,
            target: proxy.id,
            ipAddress: address.address,
            ipProtocol: "TCP",
            portRange: "443",
            loadBalancingScheme: "EXTERNAL_MANAGED",
            labels,
        },
        opts,
    );
    const dnsRecord = controlPlaneDnsRecord(`${p}-dns`, { host: args.host, type: "A", target: address.address, context: args.context }, parent);
    return { address: address.address, dnsRecord, clientValidation: "REJECT_INVALID" };
}
