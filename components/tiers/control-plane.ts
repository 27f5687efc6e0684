import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { Region, World } from "../config/model";
import type { Placement } from "../labels";
import type { Names } from "../naming";
import { createSignedCert, type KeyPair } from "../pki/certificates";
import { createConsulAcl, type ConsulAcl } from "../workloads/consul/acl-bootstrap";
import { MtlsLoadBalancer } from "../network/mtls-load-balancer";
import { ConsulServers } from "../workloads/consul/servers";
import type { ContinentTier } from "./continent";
import type { GlobalTier } from "./global";

/** A region's control plane: its Consul servers in the continental cluster and the mTLS load balancer in front. */
export interface RegionControlPlane {
    consul: ConsulServers;
    loadBalancer: MtlsLoadBalancer;
    /** `names.controlPlaneHost(region)`: what data centers connect to */
    host: string;
    /** the ACL policies, roles, auth method and binding rules of the region's datacenter */
    acl: ConsulAcl;
}

export interface RegionControlPlaneArgs {
    /** the effective world config (the Consul image, the region's continent) */
    world: World;
    /** physical names of the servers, the load balancer and its host */
    names: Names;
    /** the region's effective config */
    region: Region;
    /** the world context (project, admin CIDRs, network, DNS zone) and the APIs the load balancer calls */
    global: GlobalTier;
    /** the continent whose cluster runs the Consul servers and the load balancer's backends */
    continent: ContinentTier;
    /** the control-plane namespace (in the continental cluster) */
    namespace: k8s.core.v1.Namespace;
    /** the region's intermediate CA: signs the Consul servers' and the load balancer's certificates */
    intermediateCa: KeyPair;
    /** the region's own client CA: signs data-center and operator client certificates */
    clientCa: KeyPair;
    /** the data-plane cluster's ServiceAccount token issuer, trusted by the JWT auth method */
    dataPlaneIssuer: pulumi.Output<string>;
    /** the region data-plane cluster's NAT egress addresses: the only sources the load balancer admits */
    dataCenterEgressIps: pulumi.Output<string>[];
    /** where the control plane sits in the world (labels and tags) */
    placement: Placement;
}

/** Builds the region's Consul servers and their load balancer, both children of the region tier. */
export function createRegionControlPlane(args: RegionControlPlaneArgs, opts: { parent: pulumi.Resource }): RegionControlPlane {
    const { parent } = opts;
    const { world, names, region } = args;
    const continent = world.continents.find((c) => c.name === region.continent);
    if (!continent) throw new Error(`region ${region.name}: continent ${region.continent} not in the world`);
    const consul = new ConsulServers(
        `${region.name}-consul`,
        {
            region,
            image: world.images.consul,
            namespaceName: names.controlPlaneNamespace(region.name),
            namespace: args.namespace,
            intermediateCa: args.intermediateCa,
            placement: args.placement,
            provider: args.continent.provider,
            loadBalancerSources: [...args.continent.cluster.loadBalancerSources],
            loadBalancerHost: names.controlPlaneHost(region.name),
        },
        { parent },
    );
    const loadBalancer = new MtlsLoadBalancer(
        `${region.name}-cp-lb`,
        {
            context: args.global.context,
            names,
            region,
            continent,
            cluster: args.continent.cluster,
            intermediateCa: args.intermediateCa,
            clientCa: args.clientCa,
            consul,
            clientSourceIps: args.dataCenterEgressIps,
            placement: args.placement,
        },
        // its GCP pieces (on a gcp continent: health check, backend, URL map, proxy, addresses,
        // TrustConfig, ServerTlsPolicy; on both: the DNS record) wait for the APIs they call
        { parent, dependsOn: args.global.apis.after("compute", "certificatemanager", "networksecurity", "dns") },
    );
    // The operator's client certificate: how `pulumi up` (the consul provider) passes the load balancer.
    const operatorCert = createSignedCert(
        `${region.name}-consul-operator`,
        { ca: args.clientCa, commonName: `operator.${region.name}.client.globalgrid`, usage: "client", ...region.certificates },
        { parent },
    );
    const acl = createConsulAcl(
        `${region.name}-consul-acl`,
        {
            region,
            host: loadBalancer.host,
            issuer: args.dataPlaneIssuer,
            namespaces: Object.fromEntries(region.dataCenters.map((dc) => [dc.name, names.dataCenterNamespace(dc.name)])),
            managementToken: consul.managementToken.result,
            serverCa: args.intermediateCa,
            operatorCert,
            dependsOn: [consul.statefulSet, loadBalancer],
        },
        { parent },
    );
    return { consul, loadBalancer, host: loadBalancer.host, acl };
}
