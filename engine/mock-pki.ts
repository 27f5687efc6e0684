import "reflect-metadata";
import { createECDH, createHash, createPrivateKey, createPublicKey, webcrypto, type KeyObject } from "crypto";
import * as x509 from "@peculiar/x509";

/**
 * Real X.509 for the offline engine: what the `tls` provider (terraform-provider-tls,
 * internal/provider/common_cert.go and resource_*.go) would put into its keys, requests and
 * certificates, computed with node:crypto and @peculiar/x509, so tests can parse the plan's
 * certificates and perform real TLS handshakes with them.
 *
 * - Keys are ECDSA P-256 (the only algorithm the program uses), derived from the resource name: the
 *   same name gives the same key in every run. The PEM is SEC1 (`EC PRIVATE KEY`), like the provider's
 *   `private_key_pem`.
 * - Certificates follow the provider: validity from now for `validityPeriodHours`; basic constraints
 *   (critical) with the CA flag; key usage (critical) and extended key usage from `allowedUses` with the
 *   provider's mapping; a subject key id on CA certificates (SHA-1 of the public key) and the issuer's as
 *   authority key id (Go's x509.CreateCertificate does the latter); subject, DNS/IP/URI SANs from the
 *   request. The serial is derived from the resource name (the provider draws a random 128-bit one).
 * - ECDSA signatures are randomised and notBefore is the run's time, so certificate bytes differ
 *   between runs (as they do between two `pulumi up`s of the real provider). Within one process the
 *   results are cached by type, name and inputs, so one program run sees one certificate per resource;
 *   across runs the plan diff compares what a certificate says (`describePem`), not its signature.
 */

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const subtle = webcrypto.subtle;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
/** order of the P-256 group */
const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

const KEY_USAGES: Record<string, number> = {
    digital_signature: x509.KeyUsageFlags.digitalSignature,
    content_commitment: x509.KeyUsageFlags.nonRepudiation,
    key_encipherment: x509.KeyUsageFlags.keyEncipherment,
    data_encipherment: x509.KeyUsageFlags.dataEncipherment,
    key_agreement: x509.KeyUsageFlags.keyAgreement,
    cert_signing: x509.KeyUsageFlags.keyCertSign,
    crl_signing: x509.KeyUsageFlags.cRLSign,
    encipher_only: x509.KeyUsageFlags.encipherOnly,
    decipher_only: x509.KeyUsageFlags.decipherOnly,
};
/** `allowedUses` names of extended key usages and their OIDs (Go's crypto/x509 table) */
export const EXTENDED_KEY_USAGES: Record<string, string> = {
    any_extended: "2.5.29.37.0",
    server_auth: "1.3.6.1.5.5.7.3.1",
    client_auth: "1.3.6.1.5.5.7.3.2",
    code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8",
    ocsp_signing: "1.3.6.1.5.5.7.3.9",
    microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
    microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

type Inputs = Record<string, unknown>;
interface Subject {
    commonName?: string;
    organization?: string;
    organizationalUnit?: string;
    country?: string;
    province?: string;
    locality?: string;
    streetAddresses?: string[];
    postalCode?: string;
    serialNumber?: string;
}

const cache = new Map<string, Promise<Inputs>>();
function cached(type: string, name: string, inputs: Inputs, make: () => Promise<Inputs>): Promise<Inputs> {
    const key = createHash("sha256").update(`${type}\0${name}\0${JSON.stringify(inputs)}`).digest("hex");
    let hit = cache.get(key);
    if (!hit) {
        hit = make();
        cache.set(key, hit);
    }
    return hit;
}

const b64url = (b: Buffer) => b.toString("base64url");

/** A P-256 private key whose scalar is derived from `seed`. */
function derivedKey(seed: string): KeyObject {
    for (let i = 0; ; i++) {
        const d = createHash("sha256").update(`globalgrid-mock-key:${seed}:${i}`).digest();
        const n = BigInt(`0x${d.toString("hex")}`);
        if (n === 0n || n >= P256_N) continue;
        const ecdh = createECDH("prime256v1");
        ecdh.setPrivateKey(d);
        const pub = ecdh.getPublicKey();
        return createPrivateKey({ key: { kty: "EC", crv: "P-256", d: b64url(d), x: b64url(pub.subarray(1, 33)), y: b64url(pub.subarray(33, 65)) }, format: "jwk" });
    }
}

/** An input as the mock monitor hands it over: secrets arrive wrapped in `{ <secret sig>: ..., value }`. */
function text(v: unknown): string {
    if (typeof v === "object" && v !== null && "value" in v) return text((v as { value: unknown }).value);
    if (typeof v !== "string") throw new Error(`mock tls: expected a PEM string, got ${typeof v}`);
    return v;
}

async function cryptoKeys(privatePem: unknown): Promise<CryptoKeyPair> {
    const priv = createPrivateKey(text(privatePem));
    const pkcs8 = priv.export({ type: "pkcs8", format: "der" });
    const spki = createPublicKey(priv).export({ type: "spki", format: "der" });
    return {
        privateKey: await subtle.importKey("pkcs8", pkcs8, EC, true, ["sign"]),
        publicKey: await subtle.importKey("spki", spki, EC, true, ["verify"]),
    };
}

/** The distinguished name in Go's pkix.Name order. */
function distinguishedName(subject: unknown): x509.JsonName {
    const s = (subject ?? {}) as Subject;
    const rdn: x509.JsonName = [];
    const add = (oid: string, v: string | string[] | undefined) => {
        for (const value of Array.isArray(v) ? v : v ? [v] : []) rdn.push({ [oid]: [value] });
    };
    add("2.5.4.6", s.country);
    add("2.5.4.8", s.province);
    add("2.5.4.7", s.locality);
    add("2.5.4.9", s.streetAddresses);
    add("2.5.4.17", s.postalCode);
    add("2.5.4.10", s.organization);
    add("2.5.4.11", s.organizationalUnit);
    add("2.5.4.3", s.commonName);
    add("2.5.4.5", s.serialNumber);
    return rdn;
}

function sanExtension(dnsNames: unknown, ipAddresses: unknown, uris: unknown): x509.Extension[] {
    const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : []);
    const entries: x509.JsonGeneralName[] = [
        ...list(dnsNames).map((value) => ({ type: "dns" as const, value })),
        ...list(ipAddresses).map((value) => ({ type: "ip" as const, value })),
        ...list(uris).map((value) => ({ type: "url" as const, value })),
    ];
    return entries.length > 0 ? [new x509.SubjectAlternativeNameExtension(entries)] : [];
}

const pemOf = (cert: { toString(format: "pem"): string }) => `${cert.toString("pem").trimEnd()}\n`;
const serialOf = (type: string, name: string) => `01${createHash("sha256").update(`serial:${type}:${name}`).digest("hex").slice(0, 30)}`;

async function certificate(type: string, resourceName: string, inputs: Inputs, subject: x509.JsonName, san: x509.Extension[], publicKey: CryptoKey, issuer: { name: string | x509.JsonName; key: CryptoKey; skid?: string }): Promise<string> {
    const uses = Array.isArray(inputs.allowedUses) ? (inputs.allowedUses as string[]) : [];
    const isCa = inputs.isCaCertificate === true;
    const extensions: x509.Extension[] = [];
    const ku = uses.reduce((flags, u) => flags | (KEY_USAGES[u] ?? 0), 0);
    if (ku !== 0) extensions.push(new x509.KeyUsagesExtension(ku, true));
    const eku = uses.filter((u) => EXTENDED_KEY_USAGES[u]).map((u) => EXTENDED_KEY_USAGES[u]);
    if (eku.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(eku, false));
    const maxPath = typeof inputs.maxPathLength === "number" && inputs.maxPathLength >= 0 ? inputs.maxPathLength : undefined;
    extensions.push(new x509.BasicConstraintsExtension(isCa, isCa ? maxPath : undefined, true));
    let skid: string | undefined;
    if (isCa || inputs.setSubjectKeyId === true) {
        const spki = Buffer.from(await subtle.exportKey("spki", publicKey));
        // Go hashes the subjectPublicKey bit string (RFC 5280 method 1); for P-256 that is the last 65 bytes
        skid = createHash("sha1").update(spki.subarray(spki.length - 65)).digest("hex");
        extensions.push(new x509.SubjectKeyIdentifierExtension(skid));
    }
    if (issuer.skid && issuer.skid !== skid) extensions.push(new x509.AuthorityKeyIdentifierExtension(issuer.skid));
    extensions.push(...san);
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
    const notAfter = new Date(notBefore.getTime() + Number(inputs.validityPeriodHours ?? 0) * 3600_000);
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serialOf(type, resourceName),
        subject,
        issuer: issuer.name,
        notBefore,
        notAfter,
        signingAlgorithm: SIGNING,
        publicKey,
        signingKey: issuer.key,
        extensions,
    });
    return pemOf(cert);
}

/** State of a `tls:index/privateKey:PrivateKey`. */
export function mockPrivateKey(name: string, inputs: Inputs): Inputs {
    if (inputs.algorithm !== "ECDSA" || (inputs.ecdsaCurve ?? "P224") !== "P256") throw new Error(`mock tls.PrivateKey ${name}: only ECDSA P256 is implemented (got ${String(inputs.algorithm)} ${String(inputs.ecdsaCurve)})`);
    const key = derivedKey(name);
    return {
        privateKeyPem: key.export({ type: "sec1", format: "pem" }).toString(),
        privateKeyPemPkcs8: key.export({ type: "pkcs8", format: "pem" }).toString(),
        publicKeyPem: createPublicKey(key).export({ type: "spki", format: "pem" }).toString(),
    };
}

/** State of a `tls:index/certRequest:CertRequest`. */
export function mockCertRequest(name: string, inputs: Inputs): Promise<Inputs> {
    return cached("csr", name, inputs, async () => {
        const keys = await cryptoKeys(inputs.privateKeyPem);
        const csr = await x509.Pkcs10CertificateRequestGenerator.create({
            name: distinguishedName(inputs.subject),
            keys,
            signingAlgorithm: SIGNING,
            extensions: sanExtension(inputs.dnsNames, inputs.ipAddresses, inputs.uris),
        });
        return { certRequestPem: pemOf(csr) };
    });
}

/** State of a `tls:index/selfSignedCert:SelfSignedCert`. */
export function mockSelfSignedCert(resourceName: string, inputs: Inputs): Promise<Inputs> {
    return cached("self", resourceName, inputs, async () => {
        const keys = await cryptoKeys(inputs.privateKeyPem);
        const subject = distinguishedName(inputs.subject);
        const certPem = await certificate("self", resourceName, inputs, subject, sanExtension(inputs.dnsNames, inputs.ipAddresses, inputs.uris), keys.publicKey, { name: subject, key: keys.privateKey });
        return { certPem, ...validity(certPem) };
    });
}

/** State of a `tls:index/locallySignedCert:LocallySignedCert`: subject and SANs from the request, issuer from the CA. */
export function mockLocallySignedCert(resourceName: string, inputs: Inputs): Promise<Inputs> {
    return cached("local", resourceName, inputs, async () => {
        const csr = new x509.Pkcs10CertificateRequest(text(inputs.certRequestPem));
        if (!(await csr.verify())) throw new Error(`mock tls.LocallySignedCert ${resourceName}: the request's signature does not verify`);
        const ca = new x509.X509Certificate(text(inputs.caCertPem));
        const caKeys = await cryptoKeys(inputs.caPrivateKeyPem);
        const caSpki = Buffer.from(await subtle.exportKey("spki", caKeys.publicKey));
        if (!caSpki.equals(Buffer.from(ca.publicKey.rawData))) throw new Error(`mock tls.LocallySignedCert ${resourceName}: caPrivateKeyPem is not the key of caCertPem`);
        const sanRaw = csr.getExtension("2.5.29.17");
        const san = sanRaw ? new x509.SubjectAlternativeNameExtension(sanRaw.rawData) : undefined;
        const skid = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
        const publicKey = await csr.publicKey.export(EC, ["verify"]);
        const certPem = await certificate("local", resourceName, inputs, JSON.parse(JSON.stringify(csr.subjectName.toJSON())) as x509.JsonName, san ? [san] : [], publicKey as unknown as CryptoKey, { name: ca.subjectName.toJSON(), key: caKeys.privateKey, skid });
        return { certPem, ...validity(certPem) };
    });
}

function validity(certPem: string): Inputs {
    const c = new x509.X509Certificate(certPem);
    return { validityStartTime: c.notBefore.toISOString(), validityEndTime: c.notAfter.toISOString(), readyForRenewal: false };
}

/**
 * What a PEM certificate or request says, without its signature or validity dates: the plan diff
 * compares this, so re-signing the same certificate (which the real provider does on every
 * replacement) is not a change, and a changed subject, SAN, usage, key or issuer is.
 */
export function describePem(text: string): string {
    return text.replace(/-----BEGIN (CERTIFICATE|CERTIFICATE REQUEST)-----[\s\S]*?-----END \1-----\n?/g, (block, label: string) => {
        try {
            if (label === "CERTIFICATE") {
                const c = new x509.X509Certificate(block);
                const ext = c.extensions.map((e) => `${e.type}${e.critical ? "!" : ""}=${Buffer.from(e.value).toString("hex")}`).join(",");
                return `certificate(subject=${c.subject};issuer=${c.issuer};serial=${c.serialNumber};key=${hex(c.publicKey.rawData)};${ext})\n`;
            }
            const r = new x509.Pkcs10CertificateRequest(block);
            return `request(subject=${r.subject};key=${hex(r.publicKey.rawData)};${r.extensions.map((e) => `${e.type}=${Buffer.from(e.value).toString("hex")}`).join(",")})\n`;
        } catch {
            return block;
        }
    });
}
const hex = (b: ArrayBuffer) => createHash("sha256").update(Buffer.from(b)).digest("hex").slice(0, 16);
