import type * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { GOOGLE_FRONT_END_RANGES } from "./google-front-ends";

/**
 * The pieces a global external Application Load Balancer (EXTERNAL_MANAGED) on GCP needs whatever
 * it serves: the firewall opening that lets Google's front ends and health checkers reach the
 * backends, and the public :443 entrance (SSL policy, HTTPS proxy, static address, forwarding rule).
 * The control plane's mTLS load balancer and each data center's synchronous path use them alike.
 */

/**
 * Admits Google's front ends and health checkers (the only sources a global external ALB's traffic
 * and probes come from) to `ports` on `destinationRanges`, and nothing else; matches are logged.
 */
export function googleFrontEndFirewall(
    name: string,
    args: { name: string; project: string; network: pulumi.Input<string>; description: string; destinationRanges: string[]; ports: pulumi.Input<string>[] },
    opts: pulumi.CustomResourceOptions,
): gcp.compute.Firewall {
    return new gcp.compute.Firewall(
        name,
        {
            name: args.name,
            project: args.project,
            network: args.network,
            description: args.description,
            direction: "INGRESS",
            sourceRanges: GOOGLE_FRONT_END_RANGES,
            destinationRanges: args.destinationRanges,
            allows: [{ protocol: "tcp", ports: args.ports }],
            logConfig: { metadata: "INCLUDE_ALL_METADATA" },
        },
        opts,
    );
}

/** How the HTTPS proxy presents its certificate and routes: all but its name, project and SSL policy. */
export type HttpsProxyRouting = Omit<gcp.compute.TargetHttpsProxyArgs, "name" | "project" | "sslPolicy">;

/**
 * The public entrance on :443: an SSL policy (TLS >= 1.2, MODERN ciphers), the HTTPS proxy that ends
 * TLS with it, a global static IPv4 address and the forwarding rule that binds the address's :443 to
 * the proxy. Google names are `n("ssl")`, `n("proxy")`, `n("ip")`, `n("fr")`; Pulumi names `${p}-…`.
 * Returns the address clients resolve the host name to.
 */
export function globalHttpsEntrance(
    p: string,
    args: { n: (suffix: string) => string; project: string; labels: Record<string, string>; proxy: HttpsProxyRouting },
    opts: pulumi.CustomResourceOptions,
): gcp.compute.GlobalAddress {
    const { n, project, labels } = args;
    const sslPolicy = new gcp.compute.SSLPolicy(`${p}-ssl`, { name: n("ssl"), project, minTlsVersion: "TLS_1_2", profile: "MODERN" }, opts);
    const proxy = new gcp.compute.TargetHttpsProxy(`${p}-proxy`, { name: n("proxy"), project, ...args.proxy, sslPolicy: sslPolicy.id }, opts);
    const address = new gcp.compute.GlobalAddress(`${p}-ip`, { name: n("ip"), project, ipVersion: "IPV4", addressType: "EXTERNAL", labels }, opts);
    new gcp.compute.GlobalForwardingRule(
        `${p}-fr`,
        { name: n("fr"), project, target: proxy.id, ipAddress: address.address, ipProtocol: "TCP", portRange: "443", loadBalancingScheme: "EXTERNAL_MANAGED", labels },
        opts,
    );
    return address;
}
