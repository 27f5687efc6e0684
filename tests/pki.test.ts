import { strict as assert } from "assert";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions } from "../components/config/model";
import { isSignedBy, parseCert } from "./support/x509";
import { isSecret, plainStrings } from "../engine/values";
import { STACKS, stackGraph } from "./support/stacks";
import { worldOf } from "./support/world-variants";

const LSC = "tls:index/locallySignedCert:LocallySignedCert";

describe("PKI", () => {
    for (const stack of STACKS) {
        describe(stack, () => {
            const world = parseWorld(worldOf(stack));

            it("chains each region's intermediate to the root, and signs each data center's client certificate with its region's own client CA", async () => {
                const g = await stackGraph(stack);
                const root = g.ofType("tls:index/selfSignedCert:SelfSignedCert").filter((c) => c.name === "root-ca");
                assert.equal(root.length, 1);
                assert.equal(root[0].inputs.isCaCertificate, true);
                const rootPem = String(root[0].outputs.certPem);
                assert.equal(parseCert(rootPem).isCa, true);
                for (const r of allRegions(world)) {
                    const inter = g.get(LSC, `${r.name}-intermediate-ca`);
                    assert.equal(inter.inputs.isCaCertificate, true);
                    assert.equal(inter.inputs.caCertPem, root[0].outputs.certPem, `${r.name} intermediate signed by the root`);
                    assert.ok(await isSignedBy(String(inter.outputs.certPem), rootPem), `${r.name} intermediate's signature verifies with the root's key`);
                    assert.equal(parseCert(String(inter.outputs.certPem)).isCa, true);
                    for (const dc of r.dataCenters) {
                        const client = g.get(LSC, `${dc.name}-client`);
                        const clientCa = g.get("tls:index/selfSignedCert:SelfSignedCert", `${r.name}-client-ca`);
                        assert.equal(client.inputs.caCertPem, clientCa.outputs.certPem, `${dc.name} signed by ${r.name}'s client CA`);
                        assert.deepEqual(client.inputs.allowedUses, ["digital_signature", "key_encipherment", "client_auth"]);
                        assert.equal(client.inputs.validityPeriodHours, r.certificates.validityHours);
                        assert.equal(client.inputs.earlyRenewalHours, r.certificates.earlyRenewalHours);
                        assert.equal(g.dataCenterOf(client), dc.name);
                        const facts = parseCert(String(client.outputs.certPem));
                        assert.ok(await isSignedBy(String(client.outputs.certPem), String(clientCa.outputs.certPem)), `${dc.name} client cert verifies with ${r.name}'s client CA`);
                        assert.deepEqual(facts.extendedKeyUsages, ["client_auth"]);
                        assert.equal(facts.isCa, false);
                        assert.equal(facts.validityHours, r.certificates.validityHours);
                    }
                }
            });

            it("keeps every CA private key secret where it is used", async () => {
                const g = await stackGraph(stack);
                for (const cert of g.ofType(LSC)) assert.ok(isSecret(cert.inputs.caPrivateKeyPem), `${cert.name} caPrivateKeyPem`);
                for (const req of g.ofType("tls:index/certRequest:CertRequest")) assert.ok(isSecret(req.inputs.privateKeyPem), `${req.name} privateKeyPem`);
            });

            it("never shows private key material in any plain input or output", async () => {
                const g = await stackGraph(stack);
                for (const r of g.resources) {
                    for (const s of [...plainStrings(r.inputs, "inputs"), ...plainStrings(r.outputs, "outputs")]) {
                        if (r.type === "tls:index/privateKey:PrivateKey" && s.path.startsWith("outputs.publicKey")) continue;
                        assert.ok(!/PRIVATE KEY/.test(s.value), `${r.urn} ${s.path} holds key material`);
                    }
                }
            });

            it("delivers each data center's client certificate to its namespace as a TLS Secret", async () => {
                const g = await stackGraph(stack);
                for (const dc of allDataCenters(world)) {
                    const secret = g.get("kubernetes:core/v1:Secret", `${dc.name}-client-tls`);
                    assert.equal(secret.inputs.type, "kubernetes.io/tls");
                    assert.equal((secret.inputs.metadata as { namespace: string }).namespace, `dc-${dc.name}`);
                    const data = secret.inputs.stringData as Record<string, unknown>;
                    assert.ok(isSecret(data["tls.key"]) || isSecret(secret.inputs.stringData), `${dc.name} tls.key is secret`);
                }
            });
        });
    }
});
