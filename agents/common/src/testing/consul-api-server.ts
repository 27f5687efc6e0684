import { randomUUID } from "node:crypto";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import type { CatalogCheck, CatalogDeregistration, CatalogRegistration, CatalogService } from "../consul/types";
import { testCa, type TestCa, type TestCert } from "./test-pki";

/**
 * An in-process HTTPS server reproducing the documented behaviour of the Consul endpoints the
 * agents use, as a server with ACLs enabled and `default_policy = "deny"` behind the region's
 * mTLS load balancer:
 *
 * - TLS: a client without a certificate signed by the server's CA fails the handshake (the load
 *   balancer's REJECT_INVALID / verify mode);
 * - `POST /v1/acl/login`: an auth method exchanges a bearer token it accepts for a new token whose
 *   ExpirationTime is now + the method's MaxTokenTTL; an unknown bearer token is refused (403);
 * - a request without a token is the anonymous token: 403 "Permission denied"; a token that does
 *   not exist or has expired: 403 "ACL not found";
 * - `PUT /v1/catalog/register` (needs service:write on the service, node:write on the node unless
 *   the node exists and SkipNodeUpdate is set; Node and Address required; a check without Status
 *   is stored as critical here, the agents always set it) and `PUT /v1/catalog/deregister` (the node,
 *   one service with its checks, or one check);
 * - `GET /v1/catalog/node/:node` (null when absent), `GET /v1/catalog/service/:s`,
 *   `GET /v1/health/service/:s[?passing]` (only instances whose node and service checks all pass),
 *   `POST /v1/acl/logout`;
 * - KV (https://developer.hashicorp.com/consul/api-docs/kv): `GET /v1/kv/:key` answers a JSON array
 *   of one entry whose `Value` is base64, or 404 with an empty body when the key is absent, with an
 *   `X-Consul-Index` header (the store's modify index) either way; `PUT /v1/kv/:key` stores the raw
 *   request body and answers `true`. `key_prefix` rules hold (read for GET, write for PUT; 403
 *   "Permission denied" otherwise).
 */

/** A Consul ACL rule: `service_prefix "<prefix>" { policy = "<policy>" }` and its node kin. */
export interface AclRule {
    resource: "service" | "node" | "key";
    prefix: string;
    policy: "read" | "write";
}

export interface FakeAuthMethod {
    /** bearer tokens the method accepts (what a JWT/Kubernetes validator would accept) */
    bearerTokens: Set<string>;
    /** the rules the binding rules give every token of this method */
    rules: AclRule[];
    maxTokenTtlMs: number;
}

interface Token {
    accessor: string;
    secret: string;
    authMethod: string;
    expiresAt: number;
    rules: AclRule[];
    meta?: Record<string, string>;
}

interface Node {
    Node: string;
    Address: string;
    Meta: Record<string, string>;
    services: Map<string, CatalogService>;
    checks: Map<string, CatalogCheck>;
}

export interface ConsulApiServer {
    /** `https://127.0.0.1:<port>` */
    address: string;
    /** the name in the server's certificate (what clients set as tls.serverName) */
    serverName: string;
    datacenter: string;
    ca: TestCa;
    /** a client certificate the server accepts (the data center's) */
    clientCert: TestCert;
    authMethods: Map<string, FakeAuthMethod>;
    /** the server's clock offset: `advance(ms)` lets tokens expire */
    advance(ms: number): void;
    /** every token ever issued by login, newest last */
    issued: Token[];
    /** requests answered, as `METHOD path status` */
    log: string[];
    nodes: Map<string, Node>;
    /** the KV store: key -> raw value */
    kv: Map<string, Buffer>;
    /** expire (delete) a token now, as an operator or MaxTokenTTL would */
    revoke(secret: string): void;
    close(): Promise<void>;
}

const ANONYMOUS = "00000000-0000-0000-0000-000000000002";
const WRITE_SCORE = { read: 1, write: 2 } as const;

/** Longest-prefix match over the token's rules, as Consul resolves `*_prefix` rules. */
function allowed(rules: AclRule[], resource: AclRule["resource"], name: string, need: AclRule["policy"]): boolean {
    const match = rules.filter((r) => r.resource === resource && name.startsWith(r.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
    return match !== undefined && WRITE_SCORE[match.policy] >= WRITE_SCORE[need];
}

export async function startConsulApiServer(opts: { datacenter?: string; serverName?: string } = {}): Promise<ConsulApiServer> {
    const datacenter = opts.datacenter ?? "fra";
    const serverName = opts.serverName ?? "fra.cp.consul.test";
    const ca = await testCa("consul test CA");
    const serverCert = await ca.issue(serverName, "server", [serverName]);
    const clientCert = await ca.issue("fra1.fra.client.globalgrid", "client");
    const tokens = new Map<string, Token>();
    const nodes = new Map<string, Node>();
    const authMethods = new Map<string, FakeAuthMethod>();
    const issued: Token[] = [];
    const log: string[] = [];
    const kv = new Map<string, Buffer>();
    const kvMeta = new Map<string, { create: number; modify: number }>();
    let kvIndex = 1;
    let offset = 0;
    const now = () => Date.now() + offset;

    const server = https.createServer({ key: serverCert.keyPem, cert: serverCert.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "https://consul");
            const isKv = url.pathname.startsWith("/v1/kv/");
            const answer = (status: number, body: unknown) => {
                log.push(`${req.method} ${url.pathname} ${status}`);
                if (isKv) res.setHeader("X-Consul-Index", String(kvIndex));
                const text = typeof body === "string" ? body : JSON.stringify(body);
                res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json" });
                res.end(text);
            };
            let body: any;
            try {
                body = chunks.length && !isKv ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
            } catch {
                return answer(400, "Request decode failed: invalid JSON");
            }

            if (req.method === "POST" && url.pathname === "/v1/acl/login") {
                const method = authMethods.get(body?.AuthMethod);
                if (!method) return answer(403, "ACL not found");
                if (!method.bearerTokens.has(body?.BearerToken)) return answer(403, "Permission denied");
                const token: Token = { accessor: randomUUID(), secret: randomUUID(), authMethod: body.AuthMethod, expiresAt: now() + method.maxTokenTtlMs, rules: method.rules, meta: body.Meta };
                tokens.set(token.secret, token);
                issued.push(token);
                return answer(200, {
                    AccessorID: token.accessor,
                    SecretID: token.secret,
                    AuthMethod: token.authMethod,
                    Local: true,
                    ExpirationTime: new Date(token.expiresAt - offset).toISOString(),
                    Description: `token created via login: ${JSON.stringify(body.Meta ?? {})}`,
                });
            }

            // Every other endpoint resolves the request's token first.
            const secret = req.headers["x-consul-token"] as string | undefined;
            let token: Token | undefined;
            if (secret) {
                token = tokens.get(secret);
                if (!token || token.expiresAt <= now()) {
                    tokens.delete(secret);
                    return answer(403, "ACL not found");
                }
            }
            const rules = token?.rules ?? [];
            const deny = (resource: string, name: string, policy: string) =>
                answer(403, `Permission denied: token with AccessorID '${token?.accessor ?? ANONYMOUS}' lacks permission '${resource}:${policy}' on "${name}"`);

            if (req.method === "POST" && url.pathname === "/v1/acl/logout") {
                if (!token) return answer(403, "Permission denied");
                tokens.delete(token.secret);
                return answer(200, true);
            }
            if (req.method === "PUT" && url.pathname === "/v1/catalog/register") {
                const reg = body as CatalogRegistration;
                if (!reg?.Node) return answer(400, "Must provide node");
                if (!reg.Address && !nodes.has(reg.Node)) return answer(400, "Must provide address if SkipNodeUpdate is not set");
                if (reg.Service && !reg.Service.Service) return answer(400, "Must provide service name (Service.Service) with ID");
                const existing = nodes.get(reg.Node);
                if (!(existing && reg.SkipNodeUpdate) && !allowed(rules, "node", reg.Node, "write")) return deny("node", reg.Node, "write");
                if (reg.Service && !allowed(rules, "service", reg.Service.Service, "write")) return deny("service", reg.Service.Service, "write");
                const node = existing ?? { Node: reg.Node, Address: reg.Address, Meta: {}, services: new Map(), checks: new Map() };
                if (!existing || !reg.SkipNodeUpdate) {
                    node.Address = reg.Address || node.Address;
                    node.Meta = reg.NodeMeta ?? node.Meta;
                }
                nodes.set(reg.Node, node);
                if (reg.Service) {
                    const svc = { ...reg.Service, ID: reg.Service.ID || reg.Service.Service };
                    node.services.set(svc.ID, svc);
                }
                for (const c of reg.Checks ?? []) {
                    if (c.ServiceID && !node.services.has(c.ServiceID)) return answer(400, `Unknown service ID "${c.ServiceID}" for check "${c.CheckID}"`);
                    node.checks.set(c.CheckID, { ...c, Node: reg.Node, Status: c.Status || "critical" });
                }
                return answer(200, true);
            }
            if (req.method === "PUT" && url.pathname === "/v1/catalog/deregister") {
                const d = body as CatalogDeregistration;
                if (!d?.Node) return answer(400, "Must provide node");
                const node = nodes.get(d.Node);
                if (d.ServiceID) {
                    const svc = node?.services.get(d.ServiceID);
                    if (svc && !allowed(rules, "service", svc.Service, "write")) return deny("service", svc.Service, "write");
                    node?.services.delete(d.ServiceID);
                    for (const [id, c] of node?.checks ?? []) if (c.ServiceID === d.ServiceID) node?.checks.delete(id);
                } else if (d.CheckID) {
                    if (!allowed(rules, "node", d.Node, "write")) return deny("node", d.Node, "write");
                    node?.checks.delete(d.CheckID);
                } else {
                    if (!allowed(rules, "node", d.Node, "write")) return deny("node", d.Node, "write");
                    nodes.delete(d.Node);
                }
                return answer(200, true);
            }
            if (isKv) {
                const key = url.pathname.slice("/v1/kv/".length).split("/").map(decodeURIComponent).join("/");
                if (req.method === "GET") {
                    if (!allowed(rules, "key", key, "read")) return deny("key", key, "read");
                    const value = kv.get(key);
                    if (!value) {
                        log.push(`GET ${url.pathname} 404`);
                        res.writeHead(404, { "X-Consul-Index": String(kvIndex) });
                        return void res.end();
                    }
                    const meta = kvMeta.get(key) ?? { create: kvIndex, modify: kvIndex }; // seeded directly through `kv`
                    return answer(200, [{ LockIndex: 0, Key: key, Flags: 0, Value: value.toString("base64"), CreateIndex: meta.create, ModifyIndex: meta.modify }]);
                }
                if (req.method === "PUT") {
                    if (!allowed(rules, "key", key, "write")) return deny("key", key, "write");
                    kvIndex++;
                    kv.set(key, Buffer.concat(chunks));
                    kvMeta.set(key, { create: kvMeta.get(key)?.create ?? kvIndex, modify: kvIndex });
                    return answer(200, true);
                }
            }
            let m: RegExpMatchArray | null;
            if (req.method === "GET" && (m = url.pathname.match(/^\/v1\/catalog\/node\/([^/]+)$/))) {
                const name = decodeURIComponent(m[1]);
                if (!allowed(rules, "node", name, "read")) return deny("node", name, "read");
                const node = nodes.get(name);
                if (!node) return answer(200, null);
                const services = Object.fromEntries([...node.services].filter(([, s]) => allowed(rules, "service", s.Service, "read")));
                return answer(200, { Node: { Node: node.Node, Address: node.Address, Meta: node.Meta }, Services: services });
            }
            if (req.method === "GET" && (m = url.pathname.match(/^\/v1\/(catalog|health)\/service\/([^/]+)$/))) {
                const name = decodeURIComponent(m[2]);
                if (!allowed(rules, "service", name, "read")) return deny("service", name, "read");
                const out: unknown[] = [];
                for (const node of nodes.values()) {
                    if (!allowed(rules, "node", node.Node, "read")) continue; // Consul filters what the token may not read
                    for (const svc of node.services.values()) {
                        if (svc.Service !== name) continue;
                        const checks = [...node.checks.values()].filter((c) => !c.ServiceID || c.ServiceID === svc.ID);
                        if (m[1] === "health" && url.searchParams.get("passing") !== null && checks.some((c) => c.Status !== "passing")) continue;
                        out.push(
                            m[1] === "health"
                                ? { Node: { Node: node.Node, Address: node.Address, Datacenter: datacenter, Meta: node.Meta }, Service: svc, Checks: checks }
                                : { Node: node.Node, Address: node.Address, ServiceID: svc.ID, ServiceName: svc.Service, ServiceAddress: svc.Address, ServicePort: svc.Port, ServiceMeta: svc.Meta },
                        );
                    }
                }
                return answer(200, out);
            }
            return answer(404, `unsupported endpoint ${req.method} ${url.pathname}`);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        address: `https://127.0.0.1:${port}`,
        serverName,
        datacenter,
        ca,
        clientCert,
        authMethods,
        advance: (ms) => (offset += ms),
        issued,
        log,
        nodes,
        kv,
        revoke: (s) => void tokens.delete(s),
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
