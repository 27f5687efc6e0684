import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface TestCertificate {
    /** PEM certificate for `localhost` and 127.0.0.1, self-signed (it is its own CA) */
    cert: string;
    /** PEM PKCS#8 private key */
    key: string;
}

/** A throwaway serving certificate for the in-process HTTPS servers (the client trusts `cert` as CA). */
export async function localhostCertificate(): Promise<TestCertificate> {
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: "01",
        name: "CN=localhost",
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]["keys"],
        signingAlgorithm: alg,
        extensions: [
            new x509.BasicConstraintsExtension(true, undefined, true),
            new x509.SubjectAlternativeNameExtension([
                { type: "dns", value: "localhost" },
                { type: "ip", value: "127.0.0.1" },
            ]),
        ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
    const b64 = Buffer.from(pkcs8).toString("base64").replace(/(.{64})/g, "$1\n");
    return { cert: cert.toString("pem"), key: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n` };
}
