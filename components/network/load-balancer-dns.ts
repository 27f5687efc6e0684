import type * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { WorldContext } from "../context";

/**
 * The record that points a load balancer's host name (`<region>.cp.<domain>`, `<dc>.sync.<domain>`)
 * at it, in the world's Cloud DNS zone: an A record to a GCP static address, or a CNAME to an ALB's
 * DNS name (an ALB's addresses change, so AWS is reached by name). Every load balancer of the world,
 * on either cloud, is named in the one GCP zone.
 */
export function loadBalancerDnsRecord(
    name: string,
    args: { host: string; type: "A" | "CNAME"; target: pulumi.Input<string>; context: Pick<WorldContext, "project" | "dnsZone"> },
    parent: pulumi.Resource,
): gcp.dns.RecordSet {
    return new gcp.dns.RecordSet(
        name,
        { name: `${args.host}.`, project: args.context.project, managedZone: args.context.dnsZone, type: args.type, ttl: 300, rrdatas: [args.target] },
        { parent },
    );
}
