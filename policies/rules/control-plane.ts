import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { runsCustomerCode } from "./untrusted";
import { containers, ofType, ofWorkloads, type Props } from "./util";

/**
 * The regional control plane's invariants: Consul server certificates that let servers dial each
 * other, both Consul TLS ports routed by every control-plane load balancer, anonymous access
 * denied, a trust anchor of its own per region, and no Consul access next to customer code.
 */

const LSC = "tls:index/locallySignedCert:LocallySignedCert";
const URL_MAP = "gcp:compute/uRLMap:URLMap";
const LISTENER = "aws:lb/listener:Listener";
const LISTENER_RULE = "aws:lb/listenerRule:ListenerRule";
const TARGET_GROUP = "aws:lb/targetGroup:TargetGroup";
const TRUST_CONFIG = "gcp:certificatemanager/trustConfig:TrustConfig";
const BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const GRPC_PREFIX = "/hashicorp.consul.";
/** Consul's built-in anonymous token */
export const ANONYMOUS_TOKEN_ACCESSOR = "00000000-0000-0000-0000-000000000002";

export const consulServerCertUsages: ResourceValidationPolicy = {
    name: "consul-server-cert-usages",
    description: "A Consul server certificate allows server and client auth: servers dial each other with it while verify_incoming demands a client certificate.",
    enforcementLevel: "mandatory",
    remediationSteps: "Create the server certificate with usage `peer` (components/pki/certificates.ts): digital_signature, key_encipherment, server_auth, client_auth.",
    configSchema: { properties: { nameSuffix: { type: "string", default: "-consul-server", description: "Pulumi name suffix of Consul server certificates" } } },
    validateResource: ofType(LSC, (props, args, report) => {
        const cfg = args.getConfig<{ nameSuffix: string }>();
        if (!args.name.endsWith(cfg.nameSuffix)) return;
        const uses = (props.allowedUses ?? []) as string[];
        const missing = ["digital_signature", "server_auth", "client_auth"].filter((u) => !uses.includes(u));
        if (missing.length > 0) report(`Consul server certificate ${args.name} lacks ${missing.join(", ")}`);
    }),
};

const siblings = (all: PolicyResource[], r: PolicyResource, type: string) => all.filter((x) => x.type === type && x.parent?.urn !== undefined && x.parent.urn === r.parent?.urn);

export const controlPlaneBothPorts: StackValidationPolicy = {
    name: "control-plane-both-consul-ports",
    description: "Every mTLS load balancer in front of Consul routes gRPC (`/hashicorp.consul.*`) to the gRPC TLS backend and the rest to the HTTPS API.",
    enforcementLevel: "mandatory",
    remediationSteps: "GCP: a URL map route rule with prefixMatch /hashicorp.consul. to the gRPC backend service; AWS: a listener rule with path pattern /hashicorp.consul.* forwarding to a target group with protocolVersion GRPC.",
    validateStack: (args, report) => {
        for (const um of args.resources.filter((r) => r.type === URL_MAP && /-cp-um$/.test(String(r.props.name ?? "")))) {
            const rules = ((um.props.pathMatchers ?? []) as Props[]).flatMap((m) => (m.routeRules ?? []) as Props[]);
            const grpc = rules.find((rule) => ((rule.matchRules ?? []) as Props[]).some((mr) => mr.prefixMatch === GRPC_PREFIX));
            if (!grpc) report(`URL map ${um.props.name} routes no ${GRPC_PREFIX} path: Consul's gRPC TLS port is unreachable`, um.urn);
            else if (grpc.service === um.props.defaultService) report(`URL map ${um.props.name} sends gRPC to its default (HTTPS API) backend`, um.urn);
        }
        for (const listener of args.resources.filter((r) => r.type === LISTENER && r.props.mutualAuthentication?.mode === "verify")) {
            const groups = siblings(args.resources, listener, TARGET_GROUP);
            const grpcArns = new Set(groups.filter((g) => g.props.protocolVersion === "GRPC").map((g) => g.props.arn));
            const ok = siblings(args.resources, listener, LISTENER_RULE).some(
                (rule) =>
                    ((rule.props.conditions ?? []) as Props[]).some((c) => ((c.pathPattern?.values ?? []) as string[]).includes(`${GRPC_PREFIX}*`)) &&
                    ((rule.props.actions ?? []) as Props[]).some((a) => a.type === "forward" && grpcArns.has(a.targetGroupArn)),
            );
            if (!ok) report(`mTLS listener ${listener.name} forwards no ${GRPC_PREFIX}* path to a GRPC target group`, listener.urn);
        }
    },
};

export const consulAnonymousDenied: StackValidationPolicy = {
    name: "consul-anonymous-denied",
    description: "Consul ACLs are on with default_policy deny, no policy or role is attached to the anonymous token, and every binding rule has a selector.",
    enforcementLevel: "mandatory",
    remediationSteps: "Keep acl {enabled: true, default_policy: deny} in server.json; do not manage the anonymous token; give each AclBindingRule a selector on namespace and service_account.",
    validateStack: (args, report) => {
        for (const cm of args.resources.filter((r) => r.type === CONFIG_MAP && typeof r.props.data?.["server.json"] === "string")) {
            let acl: Props | undefined;
            try {
                acl = (JSON.parse(cm.props.data["server.json"]) as Props).acl;
            } catch {
                acl = undefined;
            }
            if (acl?.enabled !== true || acl?.default_policy !== "deny") report(`Consul server config ${cm.name} does not enable ACLs with default_policy deny`, cm.urn);
        }
        for (const r of args.resources.filter((x) => x.type.startsWith("consul:"))) {
            if (r.props.tokenId === ANONYMOUS_TOKEN_ACCESSOR || r.props.accessorId === ANONYMOUS_TOKEN_ACCESSOR) report(`${r.type.split(":").pop()} ${r.name} grants rights to the anonymous token`, r.urn);
            if (r.type === "consul:index/aclBindingRule:AclBindingRule" && !String(r.props.selector ?? "").trim()) report(`binding rule ${r.name} has no selector: every login through its auth method would get ${r.props.bindName}`, r.urn);
        }
    },
};

const pemBlocks = (text: unknown): string[] => (typeof text === "string" ? text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [] : []);

export const trustAnchorPerRegion: StackValidationPolicy = {
    name: "mtls-trust-anchor-per-region",
    description: "Each control-plane load balancer trusts exactly one CA, of its own: no two trust configs or trust-store bundles share a certificate, so a client of one region cannot pass another's.",
    enforcementLevel: "mandatory",
    remediationSteps: "Trust only the region's client CA (components/tiers/region.ts `clientCa`), never the world root or another region's CA.",
    validateStack: (args, report) => {
        const seen = new Map<string, string>();
        const stores: [PolicyResource, string[]][] = [
            ...args.resources
                .filter((r) => r.type === TRUST_CONFIG)
                .map((r): [PolicyResource, string[]] => [r, ((r.props.trustStores ?? []) as Props[]).flatMap((s) => [...((s.trustAnchors ?? []) as Props[]), ...((s.intermediateCas ?? []) as Props[])]).flatMap((a) => pemBlocks(a.pemCertificate))]),
            ...args.resources.filter((r) => r.type === BUCKET_OBJECT && String(r.props.key ?? "").endsWith("ca-bundle.pem")).map((r): [PolicyResource, string[]] => [r, pemBlocks(r.props.content)]),
        ];
        for (const [r, certs] of stores) {
            if (certs.length !== 1) report(`${r.name} trusts ${certs.length} certificates; exactly the region's client CA is expected`, r.urn);
            for (const c of certs) {
                const key = c.replace(/\s/g, "");
                const other = seen.get(key);
                if (other && other !== r.urn) report(`${r.name} shares a trust anchor with ${other.split("::").pop()}`, r.urn);
                seen.set(key, r.urn);
            }
        }
    },
};

/** What gives a container access to Consul: the client certificate, the Consul login token, the access file, CONSUL_* settings. */
const CONSUL_VOLUME = (v: Props, secretName: string) =>
    v.secret?.secretName === secretName ||
    ["consul-client-tls", "consul-login", "consul-access"].includes(String(v.name)) ||
    ((v.projected?.sources ?? []) as Props[]).some((s) => String(s.serviceAccountToken?.audience ?? "").startsWith("consul://"));

export const noConsulForCustomerCode: ResourceValidationPolicy = {
    name: "no-consul-access-for-customer-code",
    description: "Pods that run customer code get no Consul access: no client certificate, no Consul login token or access file, no CONSUL_* settings.",
    enforcementLevel: "mandatory",
    remediationSteps: "Only the broker and scaler Deployments call ConsulClient.apiAccess(); keep it out of warm-pool and job-grid pods.",
    configSchema: {
        properties: {
            sandboxPools: { type: "array", items: { type: "string" }, default: ["warm-pool", "job-grid"] },
            clientTlsSecret: { type: "string", default: "control-plane-client-tls" },
        },
    },
    validateResource: ofWorkloads((pod, _props, args, report) => {
        const cfg = args.getConfig<{ sandboxPools: string[]; clientTlsSecret: string }>();
        if (!runsCustomerCode(pod, cfg.sandboxPools)) return;
        for (const v of (pod.spec.volumes ?? []) as Props[]) if (CONSUL_VOLUME(v, cfg.clientTlsSecret)) report(`runs customer code with Consul access volume "${v.name}"`);
        for (const c of containers(pod.spec)) {
            for (const e of (c.spec.env ?? []) as Props[]) if (/^CONSUL_/.test(String(e.name))) report(`${c.kind} "${c.name}" has Consul setting ${e.name}`);
        }
    }),
};

export const controlPlanePolicies = [consulServerCertUsages, controlPlaneBothPorts, consulAnonymousDenied, trustAnchorPerRegion, noConsulForCustomerCode];
