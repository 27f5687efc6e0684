import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConsulAccess } from "../consul-access";
import type { AclRule, ConsulApiServer } from "./consul-api-server";

/**
 * A ConsulAccess for the in-process Consul, as an agent's config names it: registers an auth method
 * on the server that accepts one bearer token and grants `rules`, and writes the files the access
 * block points to (the server's CA, the data center's client certificate and key, the token) into a
 * fresh temporary directory.
 */
export function fakeConsulAccess(server: ConsulApiServer, authMethod: string, rules: AclRule[]): ConsulAccess {
    const dir = mkdtempSync(join(tmpdir(), `consul-${authMethod}-`));
    const token = `${authMethod}-sa-token`;
    writeFileSync(join(dir, "ca.crt"), server.ca.certPem);
    writeFileSync(join(dir, "tls.crt"), server.clientCert.certPem);
    writeFileSync(join(dir, "tls.key"), server.clientCert.keyPem);
    writeFileSync(join(dir, "token"), token);
    server.authMethods.set(authMethod, { bearerTokens: new Set([token]), rules, maxTokenTtlMs: 3600_000 });
    return {
        address: server.address,
        datacenter: server.datacenter,
        tls: { caFile: join(dir, "ca.crt"), certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), serverName: server.serverName },
        login: { authMethod, bearerTokenFile: join(dir, "token") },
    };
}
