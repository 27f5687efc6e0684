/**
 * The parts of Consul's HTTP API the trusted agents use, with the field names Consul's JSON uses
 * (https://developer.hashicorp.com/consul/api-docs/catalog, .../api-docs/acl#login-to-auth-method).
 */

/** `POST /v1/acl/login` request body. */
export interface AclLoginRequest {
    AuthMethod: string;
    BearerToken: string;
    Meta?: Record<string, string>;
}

/** The token Consul returns from a login (a subset of its ACL token object). */
export interface AclToken {
    AccessorID: string;
    SecretID: string;
    AuthMethod?: string;
    /** RFC 3339; set when the auth method has a MaxTokenTTL */
    ExpirationTime?: string;
    Local?: boolean;
    Description?: string;
}

export type CheckStatus = "passing" | "warning" | "critical";

export interface CatalogService {
    ID: string;
    Service: string;
    Tags?: string[];
    Address?: string;
    Port?: number;
    Meta?: Record<string, string>;
}

export interface CatalogCheck {
    Node: string;
    CheckID: string;
    Name: string;
    Status: CheckStatus;
    Notes?: string;
    Output?: string;
    ServiceID?: string;
    /** what an external health checker (consul-esm) would probe; Consul servers do not run it */
    Definition?: { HTTP?: string; TCP?: string; Interval?: string; Timeout?: string; DeregisterCriticalServiceAfter?: string };
}

/** `PUT /v1/catalog/register` body: a node (here an external, agent-less one), a service, its checks. */
export interface CatalogRegistration {
    Datacenter?: string;
    Node: string;
    Address: string;
    NodeMeta?: Record<string, string>;
    /** do not overwrite the node's address and meta when it exists (several writers share one node) */
    SkipNodeUpdate?: boolean;
    Service?: CatalogService;
    Checks?: CatalogCheck[];
}

/** `PUT /v1/catalog/deregister` body: the whole node, one service, or one check. */
export interface CatalogDeregistration {
    Datacenter?: string;
    Node: string;
    ServiceID?: string;
    CheckID?: string;
}

/** One entry of `GET /v1/health/service/:service`. */
export interface ServiceHealth {
    Node: { Node: string; Address: string; Datacenter?: string; Meta?: Record<string, string> };
    Service: CatalogService;
    Checks: CatalogCheck[];
}

/** `GET /v1/catalog/node/:node`. */
export interface CatalogNode {
    Node: { Node: string; Address: string; Meta?: Record<string, string> };
    Services: Record<string, CatalogService>;
}
