import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isSyncEntrance } from "./sync-path";
import { lastSegment, ofType, type Props } from "./util";

const HTTPS_PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy";
const SERVER_TLS_POLICY = "gcp:networksecurity/serverTlsPolicy:ServerTlsPolicy";
const SSL_POLICY = "gcp:compute/sSLPolicy:SSLPolicy";
const LISTENERS = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const BUCKETS = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const BUCKET_SSE = ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"];

/** The resource a reference property points at: by property dependency, else by the last segment of the id. */
function referenced(r: PolicyResource, prop: string, candidates: PolicyResource[]): PolicyResource | undefined {
    const dep = (r.propertyDependencies[prop] ?? []).find((d) => candidates.includes(d));
    if (dep) return dep;
    const ref = lastSegment(r.props[prop]);
    return ref ? candidates.find((c) => c.props.name === ref || c.props.bucket === ref) : undefined;
}

const proxyLabel = (p: PolicyResource) => `TargetHttpsProxy "${p.props.name ?? p.name}"`;

export const gcpProxyMtls: StackValidationPolicy = {
    name: "gcp-https-proxy-mtls",
    description:
        "Every GCP HTTPS proxy has a ServerTlsPolicy that rejects clients without a valid certificate (REJECT_INVALID with a trust config), except the synchronous path's public entrances (held by sync-entrance-forwards-to-broker).",
    enforcementLevel: "mandatory",
    remediationSteps: "Attach a networksecurity ServerTlsPolicy with mtlsPolicy {clientValidationMode: REJECT_INVALID, clientValidationTrustConfig} to the proxy.",
    validateStack: (args, report) => {
        const policies = args.resources.filter((r) => r.type === SERVER_TLS_POLICY);
        for (const proxy of args.resources.filter((r) => r.type === HTTPS_PROXY && !isSyncEntrance(r.urn))) {
            if (!proxy.props.serverTlsPolicy) {
                report(`${proxyLabel(proxy)} has no ServerTlsPolicy`, proxy.urn);
                continue;
            }
            const tls = referenced(proxy, "serverTlsPolicy", policies);
            const mtls = (tls?.props.mtlsPolicy ?? {}) as Props;
            if (!tls) report(`${proxyLabel(proxy)} uses ServerTlsPolicy "${lastSegment(proxy.props.serverTlsPolicy)}", which is not in the stack`, proxy.urn);
            else if (mtls.clientValidationMode !== "REJECT_INVALID" || !mtls.clientValidationTrustConfig) {
                report(`${proxyLabel(proxy)} ServerTlsPolicy "${tls.props.name}" does not reject invalid client certificates (mode ${mtls.clientValidationMode ?? "unset"})`, proxy.urn);
            }
        }
    },
};

const TLS12 = new Set(["TLS_1_2", "TLS_1_3"]);

export const gcpProxySslPolicy: StackValidationPolicy = {
    name: "gcp-https-proxy-ssl-policy",
    description: "Every GCP HTTPS proxy has an SSL policy with minimum TLS 1.2.",
    enforcementLevel: "mandatory",
    remediationSteps: "Attach a compute SSLPolicy with minTlsVersion TLS_1_2 (profile MODERN or RESTRICTED) to the proxy.",
    validateStack: (args, report) => {
        const policies = args.resources.filter((r) => r.type === SSL_POLICY);
        for (const proxy of args.resources.filter((r) => r.type === HTTPS_PROXY)) {
            const ssl = proxy.props.sslPolicy ? referenced(proxy, "sslPolicy", policies) : undefined;
            if (!ssl) report(`${proxyLabel(proxy)} has no SSL policy in the stack`, proxy.urn);
            else if (!TLS12.has(ssl.props.minTlsVersion)) report(`${proxyLabel(proxy)} SSL policy "${ssl.props.name}" allows TLS below 1.2 (${ssl.props.minTlsVersion ?? "TLS_1_0"})`, proxy.urn);
        }
    },
};

const listenerLabel = (p: Props) => `listener on port ${p.port ?? "?"}`;
/** AWS predefined policies that refuse TLS 1.0 and 1.1. */
const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)/;

export const awsListenerMtls: ResourceValidationPolicy = {
    name: "aws-listener-mtls",
    description:
        "Every AWS load-balancer HTTPS listener verifies client certificates against a trust store (mutual authentication mode `verify`), except the synchronous path's public entrances (held by sync-entrance-forwards-to-broker); plain HTTP listeners only redirect.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set mutualAuthentication {mode: verify, trustStoreArn} on the HTTPS listener; make HTTP listeners redirect to HTTPS.",
    validateResource: LISTENERS.map((t) =>
        ofType(t, (props, args, report) => {
            const protocol = String(props.protocol ?? "HTTP").toUpperCase();
            if (protocol === "HTTP") {
                const actions = (props.defaultActions ?? []) as Props[];
                if (!actions.length || actions.some((a) => a.type !== "redirect")) report(`${listenerLabel(props)} serves plain HTTP`);
                return;
            }
            if (protocol !== "HTTPS" || isSyncEntrance(args.urn)) return;
            const ma = (props.mutualAuthentication ?? {}) as Props;
            if (ma.mode !== "verify" || !ma.trustStoreArn) report(`${listenerLabel(props)} does not verify client certificates (mutual authentication ${ma.mode ?? "off"})`);
        }),
    ),
};

export const awsListenerTls: ResourceValidationPolicy = {
    name: "aws-listener-tls-policy",
    description: "Every AWS HTTPS listener uses a TLS 1.2+ security policy.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS 1.2+ policy).",
    validateResource: LISTENERS.map((t) =>
        ofType(t, (props, _args, report) => {
            if (String(props.protocol ?? "").toUpperCase() !== "HTTPS") return;
            if (!TLS12_POLICY.test(String(props.sslPolicy ?? ""))) report(`${listenerLabel(props)} uses security policy "${props.sslPolicy ?? "default"}", which allows TLS below 1.2`);
        }),
    ),
};

const bucketLabel = (b: PolicyResource) => `bucket "${b.props.bucket ?? b.name}"`;
const forBucket = (r: PolicyResource, buckets: PolicyResource[]) => referenced(r, "bucket", buckets);

export const s3PublicAccess: StackValidationPolicy = {
    name: "s3-public-access-block",
    description: "Every S3 bucket has a public access block with all four settings on.",
    enforcementLevel: "mandatory",
    remediationSteps: "Add an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets true.",
    validateStack: (args, report) => {
        const buckets = args.resources.filter((r) => BUCKETS.includes(r.type));
        const blocks = args.resources.filter((r) => r.type === PUBLIC_ACCESS_BLOCK);
        for (const b of buckets) {
            const block = blocks.find((x) => forBucket(x, buckets) === b);
            const off = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((k) => block?.props[k] !== true);
            if (!block) report(`${bucketLabel(b)} has no public access block`, b.urn);
            else if (off.length) report(`${bucketLabel(b)} public access block leaves ${off.join(", ")} off`, b.urn);
        }
    },
};

export const s3Encryption: StackValidationPolicy = {
    name: "s3-encryption",
    description: "Every S3 bucket has default server-side encryption configured.",
    enforcementLevel: "mandatory",
    remediationSteps: "Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket (aws:kms or AES256).",
    validateStack: (args, report) => {
        const buckets = args.resources.filter((r) => BUCKETS.includes(r.type));
        const sse = args.resources.filter((r) => BUCKET_SSE.includes(r.type));
        for (const b of buckets) {
            const inline = ((b.props.serverSideEncryptionConfiguration?.rule ?? b.props.serverSideEncryptionConfigurations) as unknown) !== undefined;
            const configured = sse.some((x) => forBucket(x, buckets) === b && ((x.props.rules ?? []) as Props[]).some((r) => r.applyServerSideEncryptionByDefault?.sseAlgorithm));
            if (!inline && !configured) report(`${bucketLabel(b)} has no server-side encryption configuration`, b.urn);
        }
    },
};

export const loadBalancerPolicies = [gcpProxyMtls, gcpProxySslPolicy, awsListenerMtls, awsListenerTls, s3PublicAccess, s3Encryption];
