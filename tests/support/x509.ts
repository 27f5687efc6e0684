import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { EXTENDED_KEY_USAGES } from "../../engine/mock-pki";

/** What a PEM certificate says, parsed as X.509. */
export interface CertFacts {
    cert: x509.X509Certificate;
    subjectCn: string;
    issuerCn: string;
    isCa: boolean;
    dnsNames: string[];
    /** `allowedUses` names of the extended key usages */
    extendedKeyUsages: string[];
    keyUsages: number;
    validityHours: number;
}

const cn = (n: x509.Name) => n.getField("CN")[0] ?? "";

export function parseCert(pem: string): CertFacts {
    const cert = new x509.X509Certificate(pem);
    const byOid = Object.fromEntries(Object.entries(EXTENDED_KEY_USAGES).map(([k, v]) => [v, k]));
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    return {
        cert,
        subjectCn: cn(cert.subjectName),
        issuerCn: cn(cert.issuerName),
        isCa: cert.getExtension(x509.BasicConstraintsExtension)?.ca === true,
        dnsNames: san ? san.names.items.filter((n) => n.type === "dns").map((n) => n.value) : [],
        extendedKeyUsages: [...(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])].map((u) => byOid[String(u)] ?? String(u)),
        keyUsages: cert.getExtension(x509.KeyUsagesExtension)?.usages ?? 0,
        validityHours: (cert.notAfter.getTime() - cert.notBefore.getTime()) / 3600_000,
    };
}

/** True when `child` is signed by `issuer`'s key and names it as issuer. */
export async function isSignedBy(child: string, issuer: string): Promise<boolean> {
    const c = new x509.X509Certificate(child);
    const i = new x509.X509Certificate(issuer);
    return c.issuer === i.subject && (await c.verify({ publicKey: i.publicKey, signatureOnly: true }));
}
