import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

/**
 * Throw-away certificates for the in-process servers of the agents' tests: a CA, server
 * certificates for a host name, client certificates (ECDSA P-256), all as PEM.
 */

x509.cryptoProvider.set(webcrypto as any);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface TestCert {
    certPem: string;
    keyPem: string;
}

export interface TestCa extends TestCert {
    issue(commonName: string, usage: "server" | "client", dnsNames?: string[]): Promise<TestCert>;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
    const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
    return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

let serial = 1;
const window = () => ({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 24 * 3600_000) });

export async function testCa(commonName = "globalgrid test CA"): Promise<TestCa> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: (serial++).toString(16).padStart(2, "0"),
        name: `CN=${commonName}`,
        ...window(),
        signingAlgorithm: ALG,
        keys,
        extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
    });
    return {
        certPem: ca.toString("pem") + "\n",
        keyPem: await keyPem(keys.privateKey),
        async issue(cn, usage, dnsNames = []) {
            const leaf = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
            const cert = await x509.X509CertificateGenerator.create({
                serialNumber: (serial++).toString(16).padStart(2, "0"),
                subject: `CN=${cn}`,
                issuer: ca.subject,
                ...window(),
                signingAlgorithm: ALG,
                publicKey: leaf.publicKey as any,
                signingKey: keys.privateKey as any,
                extensions: [
                    new x509.BasicConstraintsExtension(false, undefined, true),
                    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
                    new x509.ExtendedKeyUsageExtension([usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
                    ...(dnsNames.length ? [new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: "dns" as const, value })))] : []),
                ],
            });
            return { certPem: cert.toString("pem") + "\n", keyPem: await keyPem(leaf.privateKey) };
        },
    };
}
