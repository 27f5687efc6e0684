import * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
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

/** answered without an ACL token (status endpoints need none), 200 with the leader's address once there is one */
export const HEALTH_PATH = "/v1/status/leader";
/** every Consul gRPC service lives under this package: `/hashicorp.consul.<service>/<method>` */
export const GRPC_PATH_PREFIX = "/hashicorp.consul.";

/**
 * The Consul API Service's node ports (HTTPS API 8501, gRPC TLS 8503), which both clouds' load
 * balancers target on the continental cluster's nodes. Kubernetes allocates them; a Service without
 * one is a broken deployment, so it fails the run with the region's name rather than reaching a
 * provider as `undefined`.
 */
export function consulNodePorts(regionName: string, consul: Pick<ConsulServers, "apiNodePort" | "grpcNodePort">): { https: pulumi.Output<number>; grpc: pulumi.Output<number> } {
    const nodePortOf = (port: pulumi.Output<number | undefined>, what: string) =>
        port.apply((x) => {
            if (x === undefined) throw new Error(`${regionName}: the Consul API Service has no ${what} node port`);
            return x;
        });
    return { https: nodePortOf(consul.apiNodePort, "HTTPS"), grpc: nodePortOf(consul.grpcNodePort, "gRPC TLS") };
}
