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

export const syncPathPolicies = [syncEntranceBackends, noOpenIngress];
