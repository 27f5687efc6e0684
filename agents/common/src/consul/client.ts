import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as https from "node:https";
import { consulAccessSchema, type ConsulAccess } from "../consul-access";
import type { AclLoginRequest, AclToken, CatalogDeregistration, CatalogNode, CatalogRegistration, ServiceHealth } from "./types";

/**
 * A small client for Consul's HTTPS API as the trusted agents use it: through the region's mTLS
 * load balancer (client certificate of the data center, server verified against `tls.caFile`),
 * with an ACL token obtained by `POST /v1/acl/login` with the agent's projected ServiceAccount
 * token. The token is renewed before its ExpirationTime and, when Consul answers 403
 * "ACL not found" (expired, logged out or deleted token), by one fresh login and one retry.
 */

/** An HTTP answer other than 2xx from Consul. */
export class ConsulError extends Error {
    constructor(
        readonly method: string,
        readonly path: string,
        readonly status: number,
        readonly body: string,
    ) {
        super(`consul ${method} ${path}: ${status} ${body.trim().slice(0, 200)}`);
        this.name = "ConsulError";
    }
    /** Consul's answer to a token it does not know (expired, logged out, deleted) */
    get aclNotFound(): boolean {
        return this.status === 403 && /ACL not found/i.test(this.body);
    }
}

export interface ConsulApiOptions {
    /** per-request timeout; a request never hangs longer than this */
    timeoutMs?: number;
    /** renew the token when less than this is left before its ExpirationTime */
    renewBeforeMs?: number;
    /** for tests: the clock */
    now?: () => number;
}

export class ConsulApi {
    private token?: AclToken;
    private expiresAt = Infinity;
    private loggingIn?: Promise<AclToken>;
    private readonly agent: https.Agent;
    private readonly base: URL;
    private readonly timeoutMs: number;
    private readonly renewBeforeMs: number;
    private readonly now: () => number;
    /** how many logins this client has made (exported as a metric by the agents) */
    logins = 0;

    constructor(
        readonly access: ConsulAccess,
        opts: ConsulApiOptions = {},
    ) {
        this.base = new URL(access.address);
        this.timeoutMs = opts.timeoutMs ?? 10_000;
        this.renewBeforeMs = opts.renewBeforeMs ?? 60_000;
        this.now = opts.now ?? Date.now;
        this.agent = new https.Agent({
            keepAlive: true,
            maxSockets: 16,
            ca: access.tls.caFile ? readFileSync(access.tls.caFile) : undefined,
            cert: readFileSync(access.tls.certFile),
            key: readFileSync(access.tls.keyFile),
            servername: access.tls.serverName ?? this.base.hostname,
            minVersion: "TLSv1.2",
        });
    }

    /** Parses a rendered ConsulAccess block (the program's ConfigMap) and builds the client. */
    static fromConfig(value: unknown, opts?: ConsulApiOptions): ConsulApi {
        return new ConsulApi(consulAccessSchema.parse(value), opts);
    }

    /** `POST /v1/acl/login` with the current content of the projected token file (it rotates). */
    async login(): Promise<AclToken> {
        if (!this.loggingIn) {
            this.loggingIn = (async () => {
                const bearer = (await readFile(this.access.login.bearerTokenFile, "utf8")).trim();
                const body: AclLoginRequest = { AuthMethod: this.access.login.authMethod, BearerToken: bearer, ...(this.access.login.meta ? { Meta: this.access.login.meta } : {}) };
                const token = (await this.send("POST", "/v1/acl/login", body, undefined)) as AclToken;
                if (!token?.SecretID) throw new Error("consul login: the answer carries no SecretID");
                this.token = token;
                this.expiresAt = token.ExpirationTime ? Date.parse(token.ExpirationTime) : Infinity;
                this.logins++;
                return token;
            })().finally(() => (this.loggingIn = undefined));
        }
        return this.loggingIn;
    }

    /** `POST /v1/acl/logout`: destroys the login token (Consul recommends it to avoid leaking tokens). */
    async logout(): Promise<void> {
        const token = this.token;
        this.token = undefined;
        if (token) await this.send("POST", "/v1/acl/logout", undefined, token.SecretID).catch(() => undefined);
    }

    /** An authenticated request; logs in when needed and once more on "ACL not found". */
    async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
        const token = await this.currentToken();
        try {
            return (await this.send(method, path, body, token.SecretID)) as T;
        } catch (e) {
            if (!(e instanceof ConsulError) || !e.aclNotFound) throw e;
            if (this.token?.SecretID === token.SecretID) this.token = undefined;
            const fresh = await this.currentToken();
            return (await this.send(method, path, body, fresh.SecretID)) as T;
        }
    }

    register(reg: CatalogRegistration): Promise<boolean> {
        return this.request<boolean>("PUT", "/v1/catalog/register", { Datacenter: this.access.datacenter, ...reg });
    }

    deregister(dereg: CatalogDeregistration): Promise<boolean> {
        return this.request<boolean>("PUT", "/v1/catalog/deregister", { Datacenter: this.access.datacenter, ...dereg });
    }

    /** `GET /v1/catalog/node/:node`; undefined when the node is not registered */
    async node(node: string): Promise<CatalogNode | undefined> {
        const answer = await this.request<CatalogNode | null>("GET", `/v1/catalog/node/${encodeURIComponent(node)}?dc=${encodeURIComponent(this.access.datacenter)}`);
        return answer ?? undefined;
    }

    /** `GET /v1/health/service/:service`, only instances whose checks pass when `passing` */
    health(service: string, passing = true): Promise<ServiceHealth[]> {
        const q = new URLSearchParams({ dc: this.access.datacenter, ...(passing ? { passing: "true" } : {}) });
        return this.request<ServiceHealth[]>("GET", `/v1/health/service/${encodeURIComponent(service)}?${q}`);
    }

    /**
     * `GET /v1/kv/:key`: the raw value of one key (Consul returns a JSON array whose entry carries
     * `Value` base64-encoded), undefined when the key does not exist (Consul answers 404).
     */
    async kvGet(key: string): Promise<Buffer | undefined> {
        const q = new URLSearchParams({ dc: this.access.datacenter });
        try {
            const answer = await this.request<Array<{ Key: string; Value: string | null }> | undefined>("GET", `/v1/kv/${encodeKey(key)}?${q}`);
            const entry = answer?.[0];
            if (!entry) return undefined;
            return Buffer.from(entry.Value ?? "", "base64");
        } catch (e) {
            if (e instanceof ConsulError && e.status === 404) return undefined;
            throw e;
        }
    }

    /** `PUT /v1/kv/:key` with a JSON document as the raw value; Consul answers `true` when written. */
    kvPutJson(key: string, value: unknown): Promise<boolean> {
        const q = new URLSearchParams({ dc: this.access.datacenter });
        return this.request<boolean>("PUT", `/v1/kv/${encodeKey(key)}?${q}`, value);
    }

    close(): void {
        this.agent.destroy();
    }

    private async currentToken(): Promise<AclToken> {
        if (this.token && this.now() < this.expiresAt - this.renewBeforeMs) return this.token;
        return this.login();
    }

    private send(method: string, path: string, body: unknown, token: string | undefined): Promise<unknown> {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        return new Promise((resolve, reject) => {
            const req = https.request(
                {
                    agent: this.agent,
                    protocol: "https:",
                    hostname: this.base.hostname,
                    port: this.base.port || 443,
                    method,
                    path,
                    timeout: this.timeoutMs,
                    headers: {
                        accept: "application/json",
                        ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
                        ...(token ? { "x-consul-token": token } : {}),
                    },
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("error", reject);
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        const status = res.statusCode ?? 0;
                        if (status < 200 || status > 299) return reject(new ConsulError(method, path, status, text));
                        if (status === 404 || text === "") return resolve(undefined);
                        try {
                            resolve(JSON.parse(text));
                        } catch {
                            reject(new ConsulError(method, path, status, `unparseable answer: ${text.slice(0, 100)}`));
                        }
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`consul ${method} ${path}: no answer within ${this.timeoutMs} ms`)));
            req.on("error", reject);
            req.end(payload);
        });
    }
}

/** A KV key in a URL path: each segment escaped, the `/` separators kept (Consul keys are paths). */
function encodeKey(key: string): string {
    return key.split("/").map(encodeURIComponent).join("/");
}
