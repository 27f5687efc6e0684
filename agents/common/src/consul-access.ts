import { z } from "zod";

/**
 * How a trusted agent (broker, scaler, job supervisor) reaches its region's Consul servers: over
 * Consul's HTTPS API, through the region's mTLS load balancer, with an ACL token it obtains by
 * logging in (`POST /v1/acl/login`) with its own Kubernetes ServiceAccount token.
 *
 * This schema is the contract between the program (which renders the block into each agent's
 * ConfigMap and mounts the files it names) and the agents (which parse it with this same schema).
 */
export const consulAccessSchema = z
    .object({
        /** `https://<region control-plane host>:443`, the region's mTLS load balancer */
        address: z.string().url().startsWith("https://", { message: "must be an https:// URL" }),
        /** the region's Consul datacenter */
        datacenter: z.string().min(1),
        tls: z
            .object({
                /** PEM bundle that verifies the load balancer's server certificate; system roots when unset */
                caFile: z.string().min(1).optional(),
                /** the data center's client certificate and key, presented to the load balancer */
                certFile: z.string().min(1),
                keyFile: z.string().min(1),
                /** name checked in the load balancer's certificate; the address's host when unset */
                serverName: z.string().min(1).optional(),
            })
            .strict(),
        login: z
            .object({
                /** the region's JWT auth method trusting the data-plane cluster's ServiceAccount issuer */
                authMethod: z.string().min(1),
                /** projected ServiceAccount token (audience = the auth method's bound audience) */
                bearerTokenFile: z.string().min(1),
                /** recorded on the token Consul issues (`Meta`), for audit */
                meta: z.record(z.string()).optional(),
            })
            .strict(),
    })
    .strict();

export type ConsulAccess = z.infer<typeof consulAccessSchema>;
