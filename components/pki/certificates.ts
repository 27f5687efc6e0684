import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** A certificate and its key; `keyPem` is always a Pulumi secret. */
export interface KeyPair {
    certPem: pulumi.Output<string>;
    keyPem: pulumi.Output<string>;
}

export interface Validity {
    validityHours: number;
    earlyRenewalHours: number;
}

const ORG = "globalgrid";

/** A P-256 key; its PEM is wrapped as a secret here so no consumer ever sees it in plain text. */
function newKey(name: string, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    return pulumi.secret(new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, opts).privateKeyPem);
}

/** The root CA of the world: self-signed, signs only intermediates (path length 1 by policy). */
export function createRootCa(name: string, validity: Validity, opts: pulumi.CustomResourceOptions): KeyPair {
    const key = newKey(name, opts);
    const cert = new tls.SelfSignedCert(
        name,
        {
            privateKeyPem: key,
            isCaCertificate: true,
            subject: { commonName: "globalgrid root CA", organization: ORG },
            validityPeriodHours: validity.validityHours,
            earlyRenewalHours: validity.earlyRenewalHours,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        },
        opts,
    );
    return { certPem: cert.certPem, keyPem: key };
}

export interface SignedCertArgs extends Validity {
    /** the issuing CA */
    ca: KeyPair;
    commonName: string;
    dnsNames?: string[];
    /** `ca` for an intermediate, `server` or `client` for a leaf */
    usage: "ca" | "server" | "client";
}

const USES: Record<SignedCertArgs["usage"], string[]> = {
    ca: ["cert_signing", "crl_signing", "digital_signature"],
    server: ["digital_signature", "key_encipherment", "server_auth"],
    client: ["digital_signature", "key_encipherment", "client_auth"],
};

/** A key, its CSR and the certificate signed by `args.ca`. Rotates through `pulumi up` once early renewal starts. */
export function createSignedCert(name: string, args: SignedCertArgs, opts: pulumi.CustomResourceOptions): KeyPair {
    const key = newKey(name, opts);
    const csr = new tls.CertRequest(
        `${name}-csr`,
        { privateKeyPem: key, subject: { commonName: args.commonName, organization: ORG }, dnsNames: args.dnsNames },
        opts,
    );
    const cert = new tls.LocallySignedCert(
        name,
        {
            certRequestPem: csr.certRequestPem,
            caCertPem: args.ca.certPem,
            caPrivateKeyPem: args.ca.keyPem,
            isCaCertificate: args.usage === "ca",
            validityPeriodHours: args.validityHours,
            earlyRenewalHours: args.earlyRenewalHours,
            allowedUses: USES[args.usage],
        },
        opts,
    );
    return { certPem: cert.certPem, keyPem: key };
}
