import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { lastSegment, ofType, type Props } from "./util";

/**
 * The synchronous path's public entrances (components/network/sync-path.ts): TLS load balancers
 * that anyone may reach, in front of a data center's broker. They are the one exception to the
 * control plane's mutual TLS, so these rules keep the exception narrow: an entrance forwards only to
 * its broker, and no NetworkPolicy opens a pod to the whole internet.
 */

export const SYNC_PATH_TYPE = "globalgrid:network:SyncPath";

/** The resource is a descendant of a SyncPath component (its URN's type chain names it). */
export function isSyncEntrance(urn: string): boolean {
    const chain = urn.split("::")[2] ?? "";
    return chain.split("$").slice(0, -1).includes(SYNC_PATH_TYPE);
}

const PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy";
const URL_MAP = "gcp:compute/uRLMap:URLMap";
const BACKEND = "gcp:compute/backendService:BackendService";
const LISTENERS = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const TARGET_GROUPS = ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"];
/** the NEG name suffix of broker Services (components/naming.ts brokerNeg) */
const BROKER_NEG = /-broker-neg$/;

/** The SyncPath component a resource sits in (its parent chain). */
function entranceOf(r: PolicyResource | undefined): PolicyResource | undefined {
    for (let p = r?.parent; p; p = p.parent) if (p.type === SYNC_PATH_TYPE) return p;
    return undefined;
}

function target(r: PolicyResource, prop: string, candidates: PolicyResource[]): PolicyResource | undefined {
    const dep = (r.propertyDependencies[prop] ?? []).find((d) => candidates.includes(d));
    return dep ?? candidates.find((c) => c.props.name === lastSegment(r.props[prop]) || c.props.arn === r.props[prop]);
}

export const syncEntranceBackends: StackValidationPolicy = {
    name: "sync-entrance-forwards-to-broker",
    description:
        "A synchronous-path entrance (the public TLS load balancers without client certificates) forwards only to its own data center's broker: GCP URL map without host or path rules, default service whose backends are broker NEGs; AWS listener forwarding only to a target group of the same entrance.",
    enforcementLevel: "mandatory",
    remediationSteps: "Keep the entrance's URL map/listener pointing at the broker backend of its own SyncPath; anything else (Consul, other workloads) belongs behind the mTLS load balancer.",
    validateStack: (args, report) => {
        const maps = args.resources.filter((r) => r.type === URL_MAP);
        const backends = args.resources.filter((r) => r.type === BACKEND);
        const groups = args.resources.filter((r) => TARGET_GROUPS.includes(r.type));
        for (const proxy of args.resources.filter((r) => r.type === PROXY && isSyncEntrance(r.urn))) {
            const label = `sync entrance proxy "${proxy.props.name ?? proxy.name}"`;
            const map = target(proxy, "urlMap", maps);
            if (!map) {
                report(`${label} uses a URL map that is not in the stack`, proxy.urn);
                continue;
            }
            if (((map.props.hostRules ?? []) as unknown[]).length || ((map.props.pathMatchers ?? []) as unknown[]).length) report(`${label}: URL map "${map.props.name}" has host or path rules`, proxy.urn);
            const backend = target(map, "defaultService", backends);
            if (!backend || entranceOf(backend) !== entranceOf(proxy)) {
                report(`${label}: URL map "${map.props.name}" does not default to its entrance's broker backend`, proxy.urn);
                continue;
            }
            const bad = ((backend.props.backends ?? []) as Props[]).map((b) => lastSegment(b.group)).filter((g) => !BROKER_NEG.test(g));
            if (bad.length || !((backend.props.backends ?? []) as Props[]).length) report(`${label}: backend "${backend.props.name}" reaches ${bad.join(", ") || "nothing"}, not a broker NEG`, proxy.urn);
        }
        for (const listener of args.resources.filter((r) => LISTENERS.includes(r.type) && isSyncEntrance(r.urn))) {
            const actions = (listener.props.defaultActions ?? []) as Props[];
            const ok =
                actions.length > 0 &&
                actions.every((a) => {
                    if (a.type !== "forward") return false;
                    const tg = groups.find((g) => g.props.arn === a.targetGroupArn) ?? (listener.propertyDependencies.defaultActions ?? []).find((d) => groups.includes(d));
                    return tg !== undefined && entranceOf(tg) === entranceOf(listener);
                });
            if (!ok) report(`sync entrance listener on port ${listener.props.port ?? "?"} forwards somewhere other than its entrance's broker target group`, listener.urn);
        }
    },
};

const SECURITY_POLICY = "gcp:compute/securityPolicy:SecurityPolicy";
const LOAD_BALANCERS = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
const WEB_ACL = "aws:wafv2/webAcl:WebAcl";
const WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";

/** A per-client-IP rate rule: Cloud Armor throttle / rate-based ban keyed on IP, or an AWS WAF rate-based statement on IP. */
const armorRateRule = (rule: Props) => ["throttle", "rate_based_ban"].includes(rule.action) && rule.preview !== true && rule.rateLimitOptions?.enforceOnKey === "IP";
const wafRateRule = (rule: Props) => rule.statement?.rateBasedStatement !== undefined && (rule.statement.rateBasedStatement.aggregateKeyType ?? "IP") === "IP" && rule.action?.block !== undefined;

export const syncEntranceProtected: StackValidationPolicy = {
    name: "sync-entrance-protected",
    description:
        "Every synchronous-path entrance has web protection with a per-client-IP rate limit: GCP backend services of a SyncPath carry a Cloud Armor security policy of the stack with a throttle or rate-based-ban rule keyed on IP; AWS load balancers of a SyncPath are associated with a WAF web ACL of the stack with an IP rate-based blocking rule.",
    enforcementLevel: "mandatory",
    remediationSteps: "Create the entrance through components/network/sync-protection.ts (cloudArmorPolicy on the backend service's securityPolicy; albWebAcl with the ALB's ARN).",
    validateStack: (args, report) => {
        const policies = args.resources.filter((r) => r.type === SECURITY_POLICY);
        const acls = args.resources.filter((r) => r.type === WEB_ACL);
        const associations = args.resources.filter((r) => r.type === WEB_ACL_ASSOCIATION);
        for (const backend of args.resources.filter((r) => r.type === BACKEND && isSyncEntrance(r.urn))) {
            const label = `sync entrance backend "${backend.props.name ?? backend.name}"`;
            if (!backend.props.securityPolicy && !(backend.propertyDependencies.securityPolicy ?? []).length) {
                report(`${label} has no Cloud Armor security policy`, backend.urn);
                continue;
            }
            const policy = (backend.propertyDependencies.securityPolicy ?? []).find((d) => policies.includes(d)) ?? policies.find((p) => p.props.name === lastSegment(backend.props.securityPolicy));
            if (!policy) report(`${label} uses a security policy that is not in the stack`, backend.urn);
            else if (!((policy.props.rules ?? []) as Props[]).some(armorRateRule)) report(`${label}: security policy "${policy.props.name}" has no per-IP rate limit`, backend.urn);
        }
        for (const lb of args.resources.filter((r) => LOAD_BALANCERS.includes(r.type) && isSyncEntrance(r.urn))) {
            const label = `sync entrance load balancer "${lb.props.name ?? lb.name}"`;
            const association = associations.find((a) => (lb.props.arn !== undefined && a.props.resourceArn === lb.props.arn) || (a.propertyDependencies.resourceArn ?? []).includes(lb));
            if (!association) {
                report(`${label} has no WAF web ACL association`, lb.urn);
                continue;
            }
            const acl = (association.propertyDependencies.webAclArn ?? []).find((d) => acls.includes(d)) ?? acls.find((a) => a.props.arn === association.props.webAclArn);
            if (!acl) report(`${label} is associated with a web ACL that is not in the stack`, lb.urn);
            else if (acl.props.scope !== "REGIONAL" || !((acl.props.rules ?? []) as Props[]).some(wafRateRule)) report(`${label}: web ACL "${acl.props.name}" is not regional with a per-IP rate-based rule`, lb.urn);
        }
    },
};

const OPEN = new Set(["0.0.0.0/0", "::/0"]);

export const noOpenIngress: ResourceValidationPolicy = {
    name: "network-policy-no-open-ingress",
    description: "No NetworkPolicy admits ingress from 0.0.0.0/0 or ::/0: pods behind a load balancer admit only its source ranges.",
    enforcementLevel: "mandatory",
    remediationSteps: "List the load balancer's source ranges (GCP 130.211.0.0/22 and 35.191.0.0/16; the ALB's subnets on AWS) in the ingress ipBlocks.",
    validateResource: ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy", (props, _args, report) => {
        for (const rule of (props.spec?.ingress ?? []) as Props[]) {
            for (const peer of (rule.from ?? []) as Props[]) {
                if (OPEN.has(peer.ipBlock?.cidr)) report(`NetworkPolicy "${props.metadata?.name}" admits ingress from ${peer.ipBlock.cidr}`);
            }
        }
    }),
};

export const syncPathPolicies = [syncEntranceBackends, syncEntranceProtected, noOpenIngress];
