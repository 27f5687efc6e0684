import type * as pulumi from "@pulumi/pulumi";

/**
 * What the world's leaf components share, handed down by the tiers (a leaf never receives a tier
 * or the whole world config): the GCP project, the admin CIDRs, the world network and DNS zone.
 */
export interface WorldContext {
    /** the GCP project every GCP resource of the world is created in */
    project: string;
    /** CIDRs admitted to public control-plane endpoints and load balancers (operators, CI runners) */
    adminCidrs: string[];
    /** the world VPC network's id: GCP firewalls and load balancer backends attach to it */
    network: pulumi.Input<string>;
    /** name of the world's public Cloud DNS managed zone: control-plane and sync records live in it */
    dnsZone: pulumi.Input<string>;
}
