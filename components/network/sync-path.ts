import * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import type { SyncPathArgs } from "./sync-common";
import { createGcpSyncPath } from "./sync-gcp";
import { createAwsSyncPath } from "./sync-aws";

/**
 * The synchronous path of one data center: `<dc>.sync.<domain>` > a TLS load balancer on the
 * region's cloud > the data center's broker (see sync-common.ts for the layout and why per data center).
 */
export class SyncPath extends pulumi.ComponentResource {
    readonly host: string;
    readonly address: pulumi.Output<string>;
    readonly dnsRecord: gcp.dns.RecordSet;

    constructor(name: string, args: SyncPathArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:network:SyncPath", name, {}, opts);
        this.host = args.names.syncHost(args.dataCenter.name);
        const { target, ...rest } = args;
        const frontend = target.cloud === "gcp" ? createGcpSyncPath({ ...rest, ...target, host: this.host }, this) : createAwsSyncPath({ ...rest, ...target, host: this.host }, this);
        this.address = frontend.address;
        this.dnsRecord = frontend.dnsRecord;
        this.registerOutputs({ host: this.host, address: this.address });
    }
}
