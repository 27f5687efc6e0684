import * as pulumi from "@pulumi/pulumi";
import type * as gcp from "@pulumi/gcp";
import type { Continent } from "../config/model";
import { createSignedCert, type KeyPair } from "../pki/certificates";
import { createAwsMtls } from "./mtls-aws";
import type { MtlsFrontend, MtlsLoadBalancerArgs } from "./mtls-common";
import { createGcpMtls } from "./mtls-gcp";

export { GOOGLE_FRONT_END_RANGES, type MtlsLoadBalancerArgs } from "./mtls-common";

/**
 * The mutual-TLS load balancer in front of a regional control plane. Data centers reach Consul only
 * through it with their client certificate; anything else is refused at the load balancer.
 * One interface, an implementation per cloud chosen by the continent: GCP (TrustConfig +
 * ServerTlsPolicy REJECT_INVALID) or AWS (ALB TrustStore, listener in `verify` mode).
 */
export class MtlsLoadBalancer extends pulumi.ComponentResource {
    readonly host: string;
    readonly cloud: Continent["cloud"];
    readonly serverCert: KeyPair;
    readonly caBundle: pulumi.Output<string>;
    readonly address: pulumi.Output<string>;
    readonly dnsRecord: gcp.dns.RecordSet;
    readonly clientValidation: MtlsFrontend["clientValidation"];

    constructor(name: string, args: MtlsLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:network:MtlsLoadBalancer", name, {}, opts);
        const { region, names } = args;
        this.host = names.controlPlaneHost(region.name);
        this.cloud = args.cluster.cloud;
        this.serverCert = createSignedCert(
            `${region.name}-cp-lb`,
            { ca: args.intermediateCa, commonName: this.host, dnsNames: [this.host], usage: "server", ...region.certificates },
            { parent: this },
        );
        // Only the region's own client CA: GCP TrustConfig and ALB trust stores are given a self-signed
        // anchor, so no provider-specific handling of non-root anchors is relied on.
        this.caBundle = args.clientCa.certPem.apply((ca) => `${ca.trimEnd()}\n`);
        const impl = { ...args, host: this.host, serverCert: this.serverCert, caBundle: this.caBundle };
        const cluster = args.cluster;
        const frontend = cluster.cloud === "gcp" ? createGcpMtls({ ...impl, cluster }, this) : createAwsMtls({ ...impl, cluster }, this);
        this.address = frontend.address;
        this.dnsRecord = frontend.dnsRecord;
        this.clientValidation = frontend.clientValidation;
        this.registerOutputs({ host: this.host, address: this.address, clientValidation: this.clientValidation });
    }
}
