import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { gcpLabels } from "../labels";
import { BROKER_HEALTH_PATH, BROKER_PORT } from "../workloads/broker";
import { layout } from "./cidr";
import { globalHttpsEntrance, googleFrontEndFirewall } from "./gcp-https-entrance";
import { loadBalancerDnsRecord } from "./load-balancer-dns";
import type { SyncPathFrontend, SyncPathImplArgs, SyncTarget } from "./sync-common";
import { cloudArmorPolicy } from "./sync-protection";

/** Longer than the broker's request timeout (60 s), so the broker, not the proxy, answers a slow site. */
const BACKEND_TIMEOUT_SECONDS = 75;

/**
 * GCP: a global external Application Load Balancer (EXTERNAL_MANAGED) per data center. TLS ends
 * at the HTTPS proxy with a Google-managed Certificate Manager certificate for `<dc>.sync.<domain>`
 * (DNS authorization: a CNAME in the world's zone, so the certificate is issued before traffic
 * arrives), served through a certificate map; an SSL policy holds TLS >= 1.2. The backend service
 * speaks HTTP to the broker pods through the zonal NEG the GKE NEG controller creates for the broker
 * Service in the data center's zone; Google encrypts the front end to backend hop inside its network.
 * A firewall rule admits the front ends and health checkers (130.211.0.0/22, 35.191.0.0/16) to the
 * broker port on the cluster's pod range only. A Cloud Armor security policy on the backend service
 * limits each client IP and filters web attacks before requests reach the broker (sync-protection.ts).
 */
export function createGcpSyncPath(args: GcpSyncArgs, parent: pulumi.Resource): SyncPathFrontend {
    const s = scopeOf(args, parent);
    const backend = brokerBackend(s);
    const urlMap = new gcp.compute.URLMap(`${s.p}-um`, { name: s.n("um"), project: s.project, description: `${args.dataCenter.name} synchronous path`, defaultService: backend.id }, s.opts);
    const certMap = managedCertificateMap(s);
    const address = globalHttpsEntrance(
        s.p,
        {
            n: s.n,
            project: s.project,
            labels: s.labels,
            proxy: {
                description: `public TLS entrance of ${args.dataCenter.name}'s synchronous path`,
                urlMap: urlMap.id,
                certificateMap: pulumi.interpolate`//certificatemanager.googleapis.com/${certMap.id}`,
            },
        },
        s.opts,
    );
    const dnsRecord = loadBalancerDnsRecord(`${s.p}-dns`, { host: args.host, type: "A", target: address.address, context: args.context }, parent);
    return { address: address.address, dnsRecord };
}

type GcpSyncArgs = SyncPathImplArgs<Extract<SyncTarget, { cloud: "gcp" }>>;

/** What every piece of one data center's GCP synchronous-path load balancer is named, labelled and parented by. */
interface Scope {
    args: GcpSyncArgs;
    project: string;
    /** prefix of the Pulumi resource names: `<dc>-sync` */
    p: string;
    /** the Google resource name for a suffix (`names.syncGcpResource`) */
    n: (suffix: string) => string;
    labels: Record<string, string>;
    opts: { parent: pulumi.Resource };
}

function scopeOf(args: GcpSyncArgs, parent: pulumi.Resource): Scope {
    const dc = args.dataCenter.name;
    return {
        args,
        project: args.context.project,
        p: `${dc}-sync`,
        n: (suffix) => args.names.syncGcpResource(dc, suffix),
        labels: gcpLabels("sync-load-balancer", args.placement),
        opts: { parent },
    };
}

/**
 * The broker's own health endpoint, checked over HTTP on the serving port of each NEG endpoint, and
 * the firewall opening for Google's front ends and health checkers to the broker port on the pod
 * range (NEG endpoints are pod addresses).
 */
function brokerHealthCheck(s: Scope): gcp.compute.HealthCheck {
    const { dataCenter: dc, region, context } = s.args;
    const { p, n, project, opts } = s;
    const healthCheck = new gcp.compute.HealthCheck(
        `${p}-hc`,
        {
            name: n("hc"),
            project,
            description: `${dc.name} broker health`,
            checkIntervalSec: 5,
            timeoutSec: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 2,
            httpHealthCheck: { portSpecification: "USE_SERVING_PORT", requestPath: BROKER_HEALTH_PATH },
            logConfig: { enable: true },
        },
        opts,
    );
    googleFrontEndFirewall(
        `${p}-fw`,
        {
            name: n("fw"),
            project,
            network: context.network,
            description: `Google front ends and health checks to ${dc.name}'s broker`,
            destinationRanges: [layout.gkePods(region.cidr)],
            ports: [String(BROKER_PORT)],
        },
        opts,
    );
    return healthCheck;
}

/**
 * The backend service: HTTP to the broker pods through the zonal NEG of the data center's zone,
 * rate-balanced per endpoint, behind the Cloud Armor policy (per-IP rate limit, WAF rules). It waits
 * for the broker Service, whose annotation makes the NEG controller create the NEG.
 */
function brokerBackend(s: Scope): gcp.compute.BackendService {
    const { dataCenter: dc } = s.args;
    const { p, n, project, opts } = s;
    const healthCheck = brokerHealthCheck(s);
    const armor = cloudArmorPolicy(`${p}-armor`, { name: n("armor"), project, description: `${dc.name} synchronous path: per-IP rate limit and WAF rules` }, opts);
    return new gcp.compute.BackendService(
        `${p}-be`,
        {
            name: n("be"),
            project,
            description: `${dc.name} broker (synchronous path)`,
            loadBalancingScheme: "EXTERNAL_MANAGED",
            protocol: "HTTP",
            timeoutSec: BACKEND_TIMEOUT_SECONDS,
            connectionDrainingTimeoutSec: BACKEND_TIMEOUT_SECONDS,
            healthChecks: healthCheck.id,
            // The NEG controller names the zone's NEG after the broker Service's annotation.
            backends: [{ group: `projects/${project}/zones/${dc.zone}/networkEndpointGroups/${s.args.entrance.exposure.negName}`, balancingMode: "RATE", maxRatePerEndpoint: 1000 }],
            logConfig: { enable: true, sampleRate: 0.1 },
            securityPolicy: armor.id,
        },
        { parent: opts.parent, dependsOn: [s.args.broker.service] },
    );
}

/**
 * The Google-managed certificate for the host and the certificate map the proxy serves it from.
 * DNS authorization: the CNAME Certificate Manager asks for goes in the world's zone, so the
 * certificate is issued before any traffic arrives.
 */
function managedCertificateMap(s: Scope): gcp.certificatemanager.CertificateMap {
    const { host, dataCenter: dc, context } = s.args;
    const { p, n, project, labels, opts } = s;
    const dnsAuth = new gcp.certificatemanager.DnsAuthorization(
        `${p}-dns-auth`,
        { name: n("dns-auth"), project, location: "global", domain: host, description: `proves control of ${host} for its managed certificate`, labels },
        opts,
    );
    const record = dnsAuth.dnsResourceRecords.apply((rs) => {
        if (!rs?.[0]) throw new Error(`${dc.name}: the DNS authorization for ${host} returned no record`);
        return rs[0];
    });
    new gcp.dns.RecordSet(`${p}-dns-auth`, { name: record.name, project, managedZone: context.dnsZone, type: record.type, ttl: 300, rrdatas: [record.data] }, opts);
    const certificate = new gcp.certificatemanager.Certificate(
        `${p}-cert`,
        { name: n("cert"), project, location: "global", description: host, scope: "DEFAULT", managed: { domains: [host], dnsAuthorizations: [dnsAuth.id] }, labels },
        opts,
    );
    const certMap = new gcp.certificatemanager.CertificateMap(`${p}-cert-map`, { name: n("cert-map"), project, description: `${dc.name} synchronous path`, labels }, opts);
    new gcp.certificatemanager.CertificateMapEntry(`${p}-cert-map-entry`, { name: n("cert-entry"), project, map: certMap.name, hostname: host, certificates: [certificate.id], labels }, opts);
    return certMap;
}
