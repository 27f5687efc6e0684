import type { PolicyResource, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { isConsulServer } from "./consul";

const STATEFUL = new Set(["gcp:container/cluster:Cluster", "aws:eks/cluster:Cluster", "aws:kms/key:Key", "gcp:pubsub/topic:Topic", "gcp:pubsub/subscription:Subscription"]);
const REGION_TIER = "globalgrid:tier:Region";
/** Stack tag that turns the policy on for any stack ("true") besides those named in config. */
export const STATE_SAFETY_TAG = "globalgrid:state-safety";

/** The stack name a URN belongs to: urn:pulumi:<stack>::<project>::... */
export const stackOfUrn = (urn: string): string => urn.split("::")[0].split(":").slice(2).join(":");

function regionOf(r: PolicyResource): string | undefined {
    for (let p = r.parent; p; p = p.parent) if (p.type === REGION_TIER) return p.name;
    return undefined;
}

export interface StateSafetyConfig {
    stacks: string[];
    decommissioning: string[];
}

function enabled(args: StackValidationArgs, cfg: StateSafetyConfig): boolean {
    if (args.stackTags.get(STATE_SAFETY_TAG) === "true") return true;
    const stack = args.resources.length ? stackOfUrn(args.resources[0].urn) : "";
    return cfg.stacks.includes(stack);
}

export const stateSafety: StackValidationPolicy = {
    name: "prod-state-protected",
    description:
        "In production stacks (config `stacks`, or stack tag globalgrid:state-safety=true) clusters, KMS keys (an EKS cluster's Secrets are unreadable without theirs), Consul server StatefulSets and Pub/Sub topics and subscriptions are `protect`ed, except in regions listed as decommissioning.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Create the resource with `protect: region.protect` (true in prod). To remove a region, set `decommission: true` on it in the stack file AND list it under `decommissioning` for this policy in policies/config/<stack>.json.",
    configSchema: {
        properties: {
            stacks: { type: "array", items: { type: "string" }, default: ["prod"], description: "stack names the policy applies to" },
            decommissioning: { type: "array", items: { type: "string" }, default: [], description: "regions being removed: their resources may be unprotected" },
        },
    },
    validateStack: (args, report) => {
        const cfg = args.getConfig<StateSafetyConfig>();
        if (!enabled(args, cfg)) args.notApplicable("not a production stack");
        for (const r of args.resources) {
            if (!STATEFUL.has(r.type) && !isConsulServer(r.type, r.props)) continue;
            if (r.opts.protect) continue;
            const region = regionOf(r);
            if (region && cfg.decommissioning.includes(region)) continue;
            report(`${r.type.split(":").pop()} "${r.name}" is not protected`, r.urn);
        }
    },
};

export const stateSafetyPolicies = [stateSafety];
