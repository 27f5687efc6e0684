import { strict as assert } from "assert";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { parseWorld } from "../components/config/load";
import { allRegions } from "../components/config/model";
import { Names } from "../components/naming";
import type { GraphIndex } from "../engine/graph";
import { mockPrivateKey, mockSelfSignedCert, mockCertRequest, mockLocallySignedCert } from "../engine/mock-pki";
import { reveal } from "../engine/values";
import { fixtureGraph, fixtureWorld } from "./support/stacks";

/**
 * Real TLS handshakes (node:tls, OpenSSL) with the certificates and keys the plan holds, for every
 * link of the control plane. OpenSSL checks what Go (Consul) checks here: the chain to the
 * configured CA, the validity period, the peer name, and the certificate's purpose (a client
 * certificate must allow client auth, a server certificate server auth). One difference: Go takes
 * any certificate of its CA file as an anchor (the servers' ca.crt is the region's intermediate
 * alone), OpenSSL wants the chain to end at a self-signed root, so the Go side's CA file is given
 * here with the root appended (`goCa`); the region boundary is still the intermediate plus the
 * `server.<region>.consul` name check.
 */

const LSC = "tls:index/locallySignedCert:LocallySignedCert";
const SSC = "tls:index/selfSignedCert:SelfSignedCert";
const KEY = "tls:index/privateKey:PrivateKey";

interface Identity {
    cert: string;
    key: string;
}

interface Listener {
    /** the certificate chain the server presents */
    cert: string;
    key: string;
    /** CAs that verify client certificates; unset: no client certificate is asked for */
    clientCa?: string;
}

interface Dialer {
    /** the client certificate, if any */
    identity?: Identity;
    /** CA that verifies the server's certificate */
    ca: string;
    servername: string;
}

interface Outcome {
    ok: boolean;
    /** the error the refusing side saw (client or server) */
    error?: string;
    /** subject CN of the server's certificate and of its issuer, as the client saw them */
    peer?: { subject: string; issuer: string };
}

/** One handshake between a server and a client built from the given material. */
async function handshake(listener: Listener, dialer: Dialer): Promise<Outcome> {
    let serverError: string | undefined;
    const server = tls.createServer({
        cert: listener.cert,
        key: listener.key,
        minVersion: "TLSv1.2",
        ...(listener.clientCa ? { requestCert: true, rejectUnauthorized: true, ca: listener.clientCa } : {}),
    });
    server.on("tlsClientError", (e) => (serverError = e.message));
    server.on("secureConnection", (s) => s.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
        return await new Promise<Outcome>((resolve) => {
            const socket = tls.connect({ host: "127.0.0.1", port, servername: dialer.servername, ca: dialer.ca, cert: dialer.identity?.cert, key: dialer.identity?.key, minVersion: "TLSv1.2" });
            let data = "";
            socket.on("data", (d) => (data += String(d)));
            socket.on("end", () => {
                const peer = socket.getPeerCertificate(true);
                socket.destroy();
                resolve(data === "ok" ? { ok: true, peer: { subject: String(peer.subject.CN), issuer: String(peer.issuer.CN) } } : { ok: false, error: serverError ?? "closed" });
            });
            socket.on("error", (e) => {
                // TLS 1.3: the client learns of a rejected client certificate after its handshake completes
                setTimeout(() => resolve({ ok: false, error: serverError ?? e.message }), 20);
            });
        });
    } finally {
        server.close();
    }
}

function material(g: GraphIndex) {
    const pem = (type: string, name: string) => String(g.get(type, name).outputs.certPem);
    const key = (name: string) => String(reveal(g.get(KEY, `${name}-key`).outputs.privateKeyPem));
    const leaf = (name: string): Identity => ({ cert: pem(LSC, name), key: key(name) });
    return {
        root: pem(SSC, "root-ca"),
        intermediate: (region: string) => pem(LSC, `${region}-intermediate-ca`),
        /** a Go CA file holding the region's intermediate, as OpenSSL must see it */
        goCa: (region: string) => `${pem(LSC, `${region}-intermediate-ca`)}${pem(SSC, "root-ca")}`,
        clientCa: (region: string) => pem(SSC, `${region}-client-ca`),
        consulServer: (region: string) => leaf(`${region}-consul-server`),
        lb: (region: string) => leaf(`${region}-cp-lb`),
        dcClient: (dc: string) => leaf(`${dc}-client`),
        operator: (region: string) => leaf(`${region}-consul-operator`),
        /** what the load balancer trusts for client certificates: the TrustConfig anchors / the trust-store bundle */
        lbTrust: (region: string) => {
            const below = g.descendants(g.get("globalgrid:network:MtlsLoadBalancer", `${region}-cp-lb`).urn);
            const tc = below.find((r) => r.type === "gcp:certificatemanager/trustConfig:TrustConfig");
            if (tc) return (tc.inputs.trustStores as { trustAnchors: { pemCertificate: string }[] }[])[0].trustAnchors.map((a) => a.pemCertificate).join("");
            return String(below.find((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")!.inputs.content);
        },
        /** what a data center trusts for the load balancer's certificate (its Secret's ca.crt) */
        dcTrust: (dc: string) => String((reveal(g.get("kubernetes:core/v1:Secret", `${dc}-client-tls`).inputs.stringData) as Record<string, string>)["ca.crt"]),
    };
}

/** A certificate that chains to no CA of the world: self-signed, with client auth. */
async function stranger(): Promise<Identity> {
    const key = mockPrivateKey("stranger", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const self = await mockSelfSignedCert("stranger", { privateKeyPem: key.privateKeyPem, subject: { commonName: "fra1.fra.client.globalgrid" }, validityPeriodHours: 24, allowedUses: ["digital_signature", "client_auth"] });
    return { cert: String(self.certPem), key: String(key.privateKeyPem) };
}

describe("control plane: real TLS handshakes with the plan's certificates", () => {
    // the fixture world (tests/fixtures/world-small.json): a gcp region with two data centers, an aws region with one
    const world = parseWorld(fixtureWorld());
    const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
    const regions = allRegions(world);

    it("Consul servers handshake with each other under verify_incoming and verify_server_hostname, both ways", async () => {
        const m = material(await fixtureGraph());
        for (const r of regions) {
            const peer = m.consulServer(r.name);
            // server A listens demanding a client certificate from the region's intermediate; server B dials it
            const out = await handshake({ ...peer, clientCa: m.goCa(r.name) }, { identity: peer, ca: m.goCa(r.name), servername: `server.${r.name}.consul` });
            assert.ok(out.ok, `${r.name}: ${out.error}`);
            assert.equal(out.peer?.subject, `server.${r.name}.consul`);
            // the name check is real: a name outside the certificate is refused
            const wrongName = await handshake({ ...peer, clientCa: m.goCa(r.name) }, { identity: peer, ca: m.goCa(r.name), servername: `server.other.consul` });
            assert.equal(wrongName.ok, false);
        }
    });

    it("a server certificate without client auth (the old one) is refused by verify_incoming", async () => {
        const g = await fixtureGraph();
        const m = material(g);
        const r = regions[0];
        const csr = g.get("tls:index/certRequest:CertRequest", `${r.name}-consul-server-csr`);
        const ca = g.get(LSC, `${r.name}-intermediate-ca`);
        const serverOnly = await mockLocallySignedCert(`${r.name}-server-auth-only`, {
            certRequestPem: csr.outputs.certRequestPem,
            caCertPem: ca.outputs.certPem,
            caPrivateKeyPem: reveal(g.get(KEY, `${r.name}-intermediate-ca-key`).outputs.privateKeyPem),
            validityPeriodHours: 24,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        });
        const old = { cert: String(serverOnly.certPem), key: m.consulServer(r.name).key };
        const out = await handshake({ ...m.consulServer(r.name), clientCa: m.goCa(r.name) }, { identity: old, ca: m.goCa(r.name), servername: `server.${r.name}.consul` });
        assert.equal(out.ok, false);
    });

    it("a data center's client certificate passes its own region's load balancer and is refused by every other region's", async () => {
        const m = material(await fixtureGraph());
        for (const r of regions) {
            const host = names.controlPlaneHost(r.name);
            const lb: Listener = { cert: `${m.lb(r.name).cert}${m.intermediate(r.name)}`, key: m.lb(r.name).key, clientCa: m.lbTrust(r.name) };
            for (const dc of r.dataCenters) {
                const out = await handshake(lb, { identity: m.dcClient(dc.name), ca: m.dcTrust(dc.name), servername: host });
                assert.ok(out.ok, `${dc.name} -> ${r.name}: ${out.error}`);
                assert.equal(out.peer?.subject, host);
            }
            const operator = await handshake(lb, { identity: m.operator(r.name), ca: m.goCa(r.name), servername: host });
            assert.ok(operator.ok, `operator -> ${r.name}: ${operator.error}`);
            for (const other of regions.filter((o) => o.name !== r.name)) {
                const dc = other.dataCenters[0];
                const out = await handshake(lb, { identity: m.dcClient(dc.name), ca: m.dcTrust(r.dataCenters[0].name), servername: host });
                assert.equal(out.ok, false, `${dc.name} (${other.name}) passed ${r.name}'s load balancer`);
            }
            const none = await handshake(lb, { ca: m.dcTrust(r.dataCenters[0].name), servername: host });
            assert.equal(none.ok, false, "no client certificate");
            const foreign = await handshake(lb, { identity: await stranger(), ca: m.dcTrust(r.dataCenters[0].name), servername: host });
            assert.equal(foreign.ok, false, "a certificate of no CA of the world");
        }
    });

    it("the load balancer's proxy reaches Consul's API with the servers' chain and the load balancer's name", async () => {
        const m = material(await fixtureGraph());
        for (const r of regions) {
            const host = names.controlPlaneHost(r.name);
            // the HTTPS and gRPC ports do not ask the proxy for a client certificate (tls.https/grpc verify_incoming false)
            const out = await handshake(m.consulServer(r.name), { ca: m.goCa(r.name), servername: host });
            assert.ok(out.ok, `${r.name}: ${out.error}`);
            assert.equal(out.peer?.issuer, `globalgrid ${r.name} intermediate CA`);
            // and a data center's chain (its ca.crt) verifies the load balancer's own certificate, nothing else does
            const wrong = await handshake({ cert: m.lb(r.name).cert, key: m.lb(r.name).key }, { ca: m.clientCa(r.name), servername: host });
            assert.equal(wrong.ok, false);
        }
    });

    it("stays real: a CSR signed by the wrong CA key is rejected by the engine", async () => {
        const key = mockPrivateKey("probe", { algorithm: "ECDSA", ecdsaCurve: "P256" });
        const other = mockPrivateKey("probe-other", { algorithm: "ECDSA", ecdsaCurve: "P256" });
        const ca = await mockSelfSignedCert("probe-ca", { privateKeyPem: key.privateKeyPem, isCaCertificate: true, subject: { commonName: "probe" }, validityPeriodHours: 1, allowedUses: ["cert_signing"] });
        const csr = await mockCertRequest("probe-leaf", { privateKeyPem: other.privateKeyPem, subject: { commonName: "leaf" } });
        await assert.rejects(mockLocallySignedCert("probe-leaf", { certRequestPem: csr.certRequestPem, caCertPem: ca.certPem, caPrivateKeyPem: other.privateKeyPem, validityPeriodHours: 1 }), /not the key of caCertPem/);
    });
});
