import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { CloudCluster } from "../clusters/cloud-cluster";
import type { Continent, Region } from "../config/model";
import type { WorldContext } from "../context";
import type { Placement } from "../labels";
import type { Names } from "../naming";
import type { KeyPair } from "../pki/certificates";
import type { ConsulServers } from "../workloads/consul/servers";

/** The interface of the mutual-TLS load balancer and what its GCP and AWS implementations share. */

export interface MtlsLoadBalancerArgs<C extends CloudCluster = CloudCluster> {
    /** the project, admin CIDRs (admitted besides the data centers), world network and DNS zone */
    context: WorldContext;
    names: Names;
    region: Region;
    /** the continent (config): its zones and CIDR are where the Consul nodes are */
    continent: Continent;
    /** the continental cluster the Consul servers run in: the load balancer runs in its cloud, next to them */
    cluster: C;
    /** the region's intermediate CA: signs the load balancer's server certificate */
    intermediateCa: KeyPair;
    /** the region's own self-signed client CA: the only trust anchor for client certificates */
    clientCa: KeyPair;
    /** the region's Consul servers: their API Service is the only backend */
    consul: ConsulServers;
    /** public addresses the region's data centers connect from (their cluster's NAT egress) */
    clientSourceIps: pulumi.Input<string>[];
    placement: Placement;
}

/** What each cloud's implementation receives: the args plus what both share. */
export interface MtlsImplArgs<C extends CloudCluster> extends MtlsLoadBalancerArgs<C> {
    /** `names.controlPlaneHost(region)` */
    host: string;
    /** the load balancer's certificate for `host`, signed by the region's intermediate */
    serverCert: KeyPair;
    /** PEM of the region's client CA alone: the whole client trust bundle (a client of another region chains to another CA) */
    caBundle: pulumi.Output<string>;
}

/** What each implementation returns. */
export interface MtlsFrontend {
    /** the public address clients resolve `host` to (GCP: static IP; AWS: the ALB's DNS name) */
    address: pulumi.Output<string>;
    dnsRecord: gcp.dns.RecordSet;
    /** how a missing or invalid client certificate is treated: refused */
    clientValidation: "REJECT_INVALID" | "verify";
}

export { GOOGLE_FRONT_END_RANGES } from "./google-front-ends";

/** The `<region>.cp.<domain>` record in the global zone. */
export function controlPlaneDnsRecord(
    name: string,
    args: { host: string; type: "A" | "CNAME"; target: pulumi.Input<string>; context: WorldContext },
    parent: pulumi.Resource,
): gcp.dns.RecordSet {
    return new gcp.dns.RecordSet(
        name,
        { name: `${args.host}.`, project: args.context.project, managedZone: args.context.dnsZone, type: args.type, ttl: 300, rrdatas: [args.target] },
        { parent },
    );
}
