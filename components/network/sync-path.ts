import * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import type { DataCenter, Region, World } from "../config/model";
import type { Placement } from "../labels";
import type { Names } from "../naming";
import type { GlobalTier } from "../tiers/global";
import type { DataPlaneCluster } from "../tiers/region";
import type { Broker, BrokerExposure } from "../workloads/broker";
import { layout } from "./cidr";
import { GOOGLE_FRONT_END_RANGES } from "./mtls-common";
import { createGcpSyncPath } from "./sync-gcp";
import { createAwsSyncPath } from "./sync-aws";

/**
 * The synchronous path's way in, one per data center: `<dc>.sync.<domain>` in the world's DNS
 * zone > a TLS load balancer on the region's cloud > the data center's broker Service > (the
 * broker routes) the site's warm pod. Per data center, not per region, because a broker knows only
 * its own data center's site pods: one name per data center keeps all of a site's requests on the
 * brokers that share its pods, and a data center's entrance can change without touching another's.
 */

/** The entrance of a data center: how its load balancer reaches the broker and from where. */
export interface BrokerEntrance {
    exposure: BrokerExposure;
    /** the load balancer's source ranges (the broker's NetworkPolicy admits only these) */
    loadBalancerSources: string[];
}

/**
 * GCP: zonal NEGs in the data center's zone, reached from Google's front ends and health checkers;
 * AWS: node ports on the system nodes, reached from the ALB's nodes in the region VPC's public subnets.
 */
export function brokerEntrance(names: Names, region: Region, dc: DataCenter): BrokerEntrance {
    return region.cloud === "gcp"
        ? { exposure: { kind: "neg", negName: names.brokerNeg(dc.name), zone: dc.zone }, loadBalancerSources: [...GOOGLE_FRONT_END_RANGES] }
        : { exposure: { kind: "nodePort" }, loadBalancerSources: region.zones.map((z) => layout.awsPublic(region.cidr, z)) };
}

export interface SyncPathArgs {
    world: World;
    names: Names;
    region: Region;
    dataCenter: DataCenter;
    global: GlobalTier;
    dataPlane: DataPlaneCluster;
    broker: Broker;
    entrance: BrokerEntrance;
    placement: Placement;
}

export interface SyncPathFrontend {
    /** GCP: the static address; AWS: the ALB's DNS name */
    address: pulumi.Output<string>;
    dnsRecord: gcp.dns.RecordSet;
}

export class SyncPath extends pulumi.ComponentResource {
    readonly host: string;
    readonly address: pulumi.Output<string>;
    readonly dnsRecord: gcp.dns.RecordSet;

    constructor(name: string, args: SyncPathArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:network:SyncPath", name, {}, opts);
        this.host = args.names.syncHost(args.dataCenter.name);
        const frontend = args.dataPlane.cloud === "gcp" ? createGcpSyncPath({ ...args, host: this.host }, this) : createAwsSyncPath({ ...args, host: this.host }, this);
        this.address = frontend.address;
        this.dnsRecord = frontend.dnsRecord;
        this.registerOutputs({ host: this.host, address: this.address });
    }
}
