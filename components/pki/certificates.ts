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

/**
 * A self-signed CA: the root CA of the world (signs the regions' intermediates), or a region's
 * client CA (signs only that region's data-center and operator client certificates, and is the
 * only trust anchor of that region's load balancer, so a client of another region is refused).
 */
export function createRootCa(name: string, validity: Validity, opts: pulumi.CustomResourceOptions, commonName = "globalgrid root CA"): KeyPair {
    const key = newKey(name, opts);
    const cert = new tls.SelfSignedCert(
        name,
        {
            privateKeyPem: key,
            isCaCertificate: true,
            subject: { commonName, organization: ORG },
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
    ipAddresses?: string[];
    /**
     * `ca` for an intermediate; `server` or `client` for a leaf; `peer` for a Consul server, which
     * serves (server_auth) and also dials the other servers with the same certificate while they
     * demand a client certificate (client_auth), like `consul tls cert create -server`.
     */
    usage: "ca" | "server" | "client" | "peer";
}

const USES: Record<SignedCertArgs["usage"], string[]> = {
    ca: ["cert_signing", "crl_signing", "digital_signature"],
    server: ["digital_signature", "key_encipherment", "server_auth"],
    client: ["digital_signature", "key_encipherment", "client_auth"],
    peer: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
};

/** `allowedUses` of each kind of certificate (policies and tests check them). */
export const CERT_USES: Readonly<Record<SignedCertArgs["usage"], readonly string[]>> = USES;

/** A key, its CSR and the certificate signed by `args.ca`. Rotates through `pulumi up` once early renewal starts. */
export function createSignedCert(name: string, args: SignedCertArgs, opts: pulumi.CustomResourceOptions): KeyPair {
    const key = newKey(name, opts);
    const csr = new tls.CertRequest(
        `${name}-csr`,
        { privateKeyPem: key, subject: { commonName: args.commonName, organization: ORG }, dnsNames: args.dnsNames, ipAddresses: args.ipAddresses },
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
