import * as pulumi from "@pulumi/pulumi";
import * as consul from "@pulumi/consul";
import type { Region } from "../../config/model";
import type { KeyPair } from "../../pki/certificates";
import { SITE_KV_PREFIX } from "../../../agents/common/src/site-catalog";

/**
 * The ACL contract of a region's Consul datacenter, declared as resources of the `consul` provider.
 * The provider reaches the servers the way every client does: through the region's mTLS load
 * balancer, with an operator client certificate of the region's client CA, and authenticates with
 * the initial management token (a Pulumi secret). Declaring ACLs as resources (rather than the
 * consul-k8s `server-acl-init` Job) keeps them in the plan and the diff, and lets CrossGuard check
 * them; the cost is that `pulumi up` must reach the load balancer (admin CIDRs are allowed).
 *
 * Each data center's trusted agents log in (`POST /v1/acl/login`) with their own projected
 * Kubernetes ServiceAccount token through the JWT auth method bound to the data-plane cluster's
 * issuer; a binding rule per agent maps its namespace and service account to a role whose policy
 * grants only what that agent needs. The anonymous token gets no policy (default deny).
 */

/** the JWT auth method of every regional datacenter */
export const CONSUL_AUTH_METHOD = "data-plane-jwt";
/** claims of a Kubernetes ServiceAccount token mapped to binding-rule selector variables */
export const CLAIM_MAPPINGS = { "/kubernetes.io/namespace": "namespace", "/kubernetes.io/serviceaccount/name": "service_account" } as const;
/** the audience of the login token: the region's control-plane host */
export const loginAudience = (host: string): string => `consul://${host}`;

/** The trusted agents of a data center and their Kubernetes service accounts. */
export const CONSUL_AGENTS = {
    broker: { serviceAccounts: ["broker"] },
    scaler: { serviceAccounts: ["warm-pool-scaler", "job-grid-scaler"] },
} as const;
export type ConsulAgent = keyof typeof CONSUL_AGENTS;

/**
 * The rules of each agent's policy in data center `dc`: the broker registers its data center's site
 * services (catalog register needs service write and write on the node it registers them under)
 * and reads the region's site catalog (which release a site runs; it never writes it);
 * the scalers read the catalog and health of their data center's services. The job supervisor
 * needs nothing from Consul and has no binding rule, so its login is refused.
 */
export function agentRules(agent: ConsulAgent, dc: string): string {
    switch (agent) {
        case "broker":
            return [
                `service_prefix "${dc}-" {\n  policy = "write"\n}`,
                `node "${dc}-broker" {\n  policy = "write"\n}`,
                `key_prefix "${SITE_KV_PREFIX}" {\n  policy = "read"\n}`,
            ].join("\n");
        case "scaler":
            return [`service_prefix "${dc}-" {\n  policy = "read"\n}`, `node_prefix "" {\n  policy = "read"\n}`].join("\n");
    }
}

export interface ConsulAclArgs {
    region: Region;
    /** `<region>.cp.<domain>` */
    host: string;
    /** the data-plane cluster's ServiceAccount token issuer (GKE cluster URL, EKS OIDC issuer) */
    issuer: pulumi.Input<string>;
    /** the data centers' namespaces, by data center */
    namespaces: Record<string, string>;
    managementToken: pulumi.Input<string>;
    /** verifies the load balancer's certificate */
    serverCa: KeyPair;
    /** the operator client certificate presented to the load balancer */
    operatorCert: KeyPair;
    /** what must exist before the API answers: the servers and the load balancer */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

export interface ConsulAcl {
    provider: consul.Provider;
    authMethod: consul.AclAuthMethod;
    policies: consul.AclPolicy[];
    bindingRules: consul.AclBindingRule[];
}

export function createConsulAcl(name: string, args: ConsulAclArgs, options: { parent: pulumi.Resource }): ConsulAcl {
    const { parent } = options;
    const { region } = args;
    const provider = new consul.Provider(
        name,
        {
            address: `${args.host}:443`,
            scheme: "https",
            datacenter: region.name,
            token: pulumi.secret(args.managementToken),
            caPem: args.serverCa.certPem,
            certPem: args.operatorCert.certPem,
            keyPem: pulumi.secret(args.operatorCert.keyPem),
        },
        { parent },
    );
    const opts = { parent, provider, dependsOn: args.dependsOn };
    const authMethod = new consul.AclAuthMethod(
        `${name}-auth-method`,
        {
            name: CONSUL_AUTH_METHOD,
            type: "jwt",
            displayName: `${region.name} data-plane service accounts`,
            description: `Kubernetes ServiceAccount tokens of ${region.name}'s data-plane cluster`,
            maxTokenTtl: "1h",
            tokenLocality: "local",
            configJson: pulumi.output(args.issuer).apply((issuer) =>
                JSON.stringify({
                    BoundIssuer: issuer,
                    // keys are fetched from the issuer's discovery document (GKE and EKS publish one)
                    OIDCDiscoveryURL: issuer,
                    BoundAudiences: [loginAudience(args.host)],
                    ClaimMappings: CLAIM_MAPPINGS,
                }),
            ),
        },
        opts,
    );
    const policies: consul.AclPolicy[] = [];
    const bindingRules: consul.AclBindingRule[] = [];
    for (const [dc, namespace] of Object.entries(args.namespaces)) {
        for (const agent of Object.keys(CONSUL_AGENTS) as ConsulAgent[]) {
            const policy = new consul.AclPolicy(`${name}-${dc}-${agent}`, { name: `${dc}-${agent}`, description: `${agent} of ${dc}`, rules: agentRules(agent, dc), datacenters: [region.name] }, opts);
            const role = new consul.AclRole(`${name}-${dc}-${agent}`, { name: `${dc}-${agent}`, description: `${agent} of ${dc}`, policies: [policy.id] }, opts);
            policies.push(policy);
            for (const sa of CONSUL_AGENTS[agent].serviceAccounts) {
                bindingRules.push(
                    new consul.AclBindingRule(
                        `${name}-${dc}-${sa}`,
                        {
                            authMethod: authMethod.name,
                            description: `${namespace}/${sa} is ${dc}'s ${agent}`,
                            selector: `value.namespace == "${namespace}" and value.service_account == "${sa}"`,
                            bindType: "role",
                            bindName: role.name,
                        },
                        opts,
                    ),
                );
            }
        }
    }
    return { provider, authMethod, policies, bindingRules };
}
