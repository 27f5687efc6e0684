import type * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import type { DataPlaneCluster } from "../clusters/cloud-cluster";
import type { EksCluster } from "../clusters/eks";
import type { GkeCluster } from "../clusters/gke";
import type { DataCenter, Region } from "../config/model";
import type { WorldContext } from "../context";
import type { Placement } from "../labels";
import type { Names } from "../naming";
import type { Broker, BrokerExposure } from "../workloads/broker";

/**
 * The synchronous path's way in, one per data center: `<dc>.sync.<domain>` in the world's DNS
 * zone > a TLS load balancer on the region's cloud > the data center's broker Service > (the
 * broker routes) the site's warm pod. Per data center, not per region, because a broker knows only
 * its own data center's site pods: one name per data center keeps all of a site's requests on the
 * brokers that share its pods, and a data center's entrance can change without touching another's.
 */

/** The entrance of a data center: how its load balancer reaches the broker and from where. */
export interface BrokerEntrance<E extends BrokerExposure = BrokerExposure> {
    exposure: E;
    /** the load balancer's source ranges (the broker's NetworkPolicy admits only these) */
    loadBalancerSources: string[];
}

/** A data center's cluster and its broker's entrance there, one cloud's pair: the sync path's implementation follows from it. */
export type SyncTarget =
    | { cloud: "gcp"; dataPlane: GkeCluster; entrance: BrokerEntrance<Extract<BrokerExposure, { kind: "neg" }>> }
    | { cloud: "aws"; dataPlane: EksCluster; entrance: BrokerEntrance<Extract<BrokerExposure, { kind: "nodePort" }>> };

/**
 * GCP: zonal NEGs in the data center's zone, reached from Google's front ends and health checkers;
 * AWS: node ports on the system nodes, reached from the ALB's nodes in the region VPC's public subnets.
 */
export function syncTarget(dataPlane: DataPlaneCluster, names: Names, dc: DataCenter): SyncTarget {
    return dataPlane.cloud === "gcp"
        ? { cloud: "gcp", dataPlane, entrance: { exposure: { kind: "neg", negName: names.brokerNeg(dc.name), zone: dc.zone }, loadBalancerSources: [...dataPlane.loadBalancerSources] } }
        : { cloud: "aws", dataPlane, entrance: { exposure: { kind: "nodePort" }, loadBalancerSources: [...dataPlane.loadBalancerSources] } };
}

export interface SyncPathArgs {
    /** the project, the world network (GCP firewall) and the DNS zone the `<dc>.sync` records go in */
    context: WorldContext;
    names: Names;
    region: Region;
    dataCenter: DataCenter;
    /** the region's data-plane cluster (the load balancer is in its cloud, in front of its nodes) and how the broker is exposed there */
    target: SyncTarget;
    /** the data center's broker: its Service is the load balancer's only backend */
    broker: Broker;
    placement: Placement;
}

/** What each cloud's implementation receives: the args, its own cloud's target, and the host name. */
export type SyncPathImplArgs<T extends SyncTarget> = Omit<SyncPathArgs, "target"> & T & { host: string };

export interface SyncPathFrontend {
    /** GCP: the static address; AWS: the ALB's DNS name */
    address: pulumi.Output<string>;
    dnsRecord: gcp.dns.RecordSet;
}
