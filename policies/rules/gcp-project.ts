import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ofType, type Props } from "./util";

export const PROJECT_SERVICE = "gcp:projects/service:Service";
const GKE = "gcp:container/cluster:Cluster";
const GKE_POOL = "gcp:container/nodePool:NodePool";
const ROUTER_NAT = "gcp:compute/routerNat:RouterNat";

/** The Google API (service) each provider module calls. */
const MODULE_APIS: Record<string, string[]> = {
    artifactregistry: ["artifactregistry"],
    binaryauthorization: ["binaryauthorization"],
    certificatemanager: ["certificatemanager"],
    compute: ["compute"],
    container: ["container", "compute"],
    dns: ["dns"],
    iam: ["iam"],
    logging: ["logging"],
    monitoring: ["monitoring"],
    networksecurity: ["networksecurity"],
    pubsub: ["pubsub"],
    serviceaccount: ["iam"],
    storage: ["storage"],
};

/**
 * The APIs a gcp resource needs enabled before it can be created (short names, `<name>.googleapis.com`);
 * undefined for a type no rule knows yet (the policy then asks for one).
 */
export function requiredApis(type: string, props: Props): string[] | undefined {
    if (type === PROJECT_SERVICE) return [];
    const [, mod, rest] = /^gcp:([a-z0-9]+)\/([^:]+):/i.exec(type) ?? [];
    if (!mod) return undefined;
    if (mod === "projects") {
        if (/^iAM(Member|Binding|Policy)$/.test(rest)) return ["cloudresourcemanager"];
        // generateServiceIdentity is a Service Usage method, for a service that must be on already
        if (rest === "serviceIdentity") return ["serviceusage", String(props.service ?? "").replace(/\.googleapis\.com$/, "")];
        return undefined;
    }
    if (type === GKE) {
        // logs and system metrics of the cluster; Binary Authorization when it evaluates a policy
        const apis = ["container", "compute", "logging", "monitoring"];
        const mode = props.binaryAuthorization?.evaluationMode;
        if (mode && mode !== "DISABLED") apis.push("binaryauthorization");
        return apis;
    }
    if (mod === "iam" && /^workloadIdentityPool/.test(rest)) return ["iam", "sts"];
    return MODULE_APIS[mod];
}

/** The resource's own dependencies and those of its ancestors (children wait for their parent). */
function inheritedDependencies(r: PolicyResource): PolicyResource[] {
    const out: PolicyResource[] = [];
    for (let p: PolicyResource | undefined = r; p; p = p.parent) out.push(...p.dependencies);
    return out;
}

export const gcpApisEnabled: StackValidationPolicy = {
    name: "gcp-apis-enabled",
    description: "Every GCP resource is created after the project services (APIs) it calls: a fresh project has them off.",
    enforcementLevel: "mandatory",
    remediationSteps: "Pass `dependsOn: apis.after(<api>...)` (components/project/services.ts) to the resource or to a component above it; for a new resource type, add its API to policies/rules/gcp-project.ts.",
    validateStack: (args, report) => {
        for (const r of args.resources) {
            if (!r.type.startsWith("gcp:")) continue;
            const apis = requiredApis(r.type, r.props);
            if (!apis) {
                report(`${r.type} "${r.name}": no rule says which API it needs`, r.urn);
                continue;
            }
            const enabled = new Set(
                inheritedDependencies(r)
                    .filter((d) => d.type === PROJECT_SERVICE)
                    .map((d) => String(d.props.service)),
            );
            const missing = apis.filter((api) => !enabled.has(`${api}.googleapis.com`));
            if (missing.length) report(`${r.type.split(":").pop()} "${r.name}" is not created after ${missing.map((a) => `${a}.googleapis.com`).join(", ")}`, r.urn);
        }
    },
};

const DEFAULT_COMPUTE_SA = /-compute@developer\.gserviceaccount\.com$/;

export const gkeNodeServiceAccount: ResourceValidationPolicy = {
    name: "gke-node-service-account",
    description: "GKE nodes (every pool, and the cluster's temporary default pool) run as a dedicated service account, never the Compute Engine default.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set nodeConfig.serviceAccount to the cluster's node account (components/clusters/node-identity.ts).",
    validateResource: [GKE, GKE_POOL].map((token) =>
        ofType(token, (props, _args, report) => {
            const sa = props.nodeConfig?.serviceAccount;
            const kind = token === GKE ? "cluster" : "node pool";
            if (!sa || sa === "default" || DEFAULT_COMPUTE_SA.test(String(sa))) report(`${kind} "${props.name}" runs its nodes as the Compute Engine default service account`);
        }),
    ),
};

export const gkePoolInitialSize: ResourceValidationPolicy = {
    name: "gke-pool-initial-size",
    description: "An autoscaled GKE node pool starts at its minimum (per zone) and ignores later drift of initialNodeCount, which would recreate the pool.",
    enforcementLevel: "mandatory",
    remediationSteps: "Use autoscaledPoolSize() and nodePoolOptions() from components/clusters/gke.ts.",
    validateResource: ofType(GKE_POOL, (props, args, report) => {
        const min = props.autoscaling?.minNodeCount;
        if (min === undefined) args.notApplicable("not autoscaled per zone");
        if (props.initialNodeCount !== min) report(`node pool "${props.name}" starts with ${props.initialNodeCount ?? 0} nodes per zone, not its minimum ${min}`);
        if (!(args.opts.ignoreChanges ?? []).includes("initialNodeCount")) report(`node pool "${props.name}" does not ignore changes to initialNodeCount (the autoscaler's resizes would recreate it)`);
    }),
};

export interface NatPortsConfig {
    minPortsPerVm: number;
}

export const cloudNatPorts: ResourceValidationPolicy = {
    name: "cloud-nat-ports",
    description: "Cloud NAT gives each node enough source ports for its pods' connections to one destination (the control plane's load balancer): dynamic allocation, endpoint-independent mapping off, a minimum per VM.",
    enforcementLevel: "mandatory",
    remediationSteps: "Create gateways with components/clusters/gke.ts (values in components/network/cloud-nat.ts).",
    configSchema: { properties: { minPortsPerVm: { type: "integer", minimum: 32, default: 1024, description: "fewest NAT source ports a node must get" } } },
    validateResource: ofType(ROUTER_NAT, (props, args, report) => {
        const cfg = args.getConfig<NatPortsConfig>();
        if (props.enableDynamicPortAllocation !== true) report(`Cloud NAT "${props.name}" does not use dynamic port allocation`);
        if (props.enableEndpointIndependentMapping !== false) report(`Cloud NAT "${props.name}" leaves endpoint-independent mapping on (or unset)`);
        if (!(Number(props.minPortsPerVm) >= cfg.minPortsPerVm)) report(`Cloud NAT "${props.name}" reserves ${props.minPortsPerVm ?? "the default"} ports per node; at least ${cfg.minPortsPerVm} are needed`);
    }),
};

export const gcpProjectPolicies = [gcpApisEnabled, gkeNodeServiceAccount, gkePoolInitialSize, cloudNatPorts];
