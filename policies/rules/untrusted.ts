import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { containers, describe, namespaceOf, ofWorkloads, podTemplate, type PodTemplate, type Props } from "./util";

export const UNTRUSTED_LABEL = "globalgrid.dev/untrusted";
export const POOL_KEY = "globalgrid.dev/pool";
export const SANDBOX_KEY = "globalgrid.dev/sandbox";

export interface UntrustedConfig {
    sandboxPools: string[];
    runtimeClassName: string;
    tokenContainers: string[];
}

const sandboxPools = {
    type: "array" as const,
    items: { type: "string" as const },
    default: ["warm-pool", "job-grid"],
    description: "node pools (label/taint globalgrid.dev/pool) that run customer code",
};

/**
 * A pod runs customer code when it says so (label globalgrid.dev/untrusted=true) or when it is
 * scheduled onto the sandboxed grid pools (node selector, required node affinity or toleration).
 */
export function runsCustomerCode(pod: PodTemplate, pools: string[]): boolean {
    if (pod.labels[UNTRUSTED_LABEL] === "true") return true;
    const sel = (pod.spec.nodeSelector ?? {}) as Record<string, string>;
    if (pools.includes(sel[POOL_KEY]) || sel[SANDBOX_KEY] === "gvisor") return true;
    const terms = (pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) as Props[];
    const affine = terms.some((t) =>
        ((t.matchExpressions ?? []) as Props[]).some((e) => e.key === POOL_KEY && e.operator === "In" && ((e.values ?? []) as string[]).some((v) => pools.includes(v))),
    );
    const tolerates = ((pod.spec.tolerations ?? []) as Props[]).some((t) => t.key === POOL_KEY && pools.includes(t.value));
    return affine || tolerates;
}

export const untrustedSandbox: ResourceValidationPolicy = {
    name: "untrusted-gvisor-runtime",
    description: "Pods that run customer code use the gVisor runtime class.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set spec.template.spec.runtimeClassName to the gVisor RuntimeClass (`gvisor`).",
    configSchema: {
        properties: { sandboxPools, runtimeClassName: { type: "string", default: "gvisor", description: "the gVisor RuntimeClass name" } },
    },
    validateResource: ofWorkloads((pod, _props, args, report) => {
        const cfg = args.getConfig<UntrustedConfig>();
        if (!runsCustomerCode(pod, cfg.sandboxPools)) return;
        if (pod.spec.runtimeClassName !== cfg.runtimeClassName) {
            report(`runs customer code with runtimeClassName ${JSON.stringify(pod.spec.runtimeClassName ?? null)}, not "${cfg.runtimeClassName}"`);
        }
    }),
};

export const untrustedNoToken: ResourceValidationPolicy = {
    name: "untrusted-no-service-account-token",
    description: "Pods that run customer code do not automount a service-account token; only the listed sidecars may mount a projected one.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set automountServiceAccountToken: false on the pod; a sidecar that needs the API gets a projected serviceAccountToken volume of its own.",
    configSchema: {
        properties: {
            sandboxPools,
            tokenContainers: { type: "array", items: { type: "string" }, default: ["job-supervisor"], description: "sidecars allowed to mount a projected service-account token (never the user container)" },
        },
    },
    validateResource: ofWorkloads((pod, _props, args, report) => {
        const cfg = args.getConfig<UntrustedConfig>();
        if (!runsCustomerCode(pod, cfg.sandboxPools)) return;
        if (pod.spec.automountServiceAccountToken !== false) report("runs customer code without automountServiceAccountToken: false");
        const tokenVolumes = new Set(
            ((pod.spec.volumes ?? []) as Props[]).filter((v) => ((v.projected?.sources ?? []) as Props[]).some((s) => s.serviceAccountToken)).map((v) => String(v.name)),
        );
        for (const c of containers(pod.spec)) {
            if (cfg.tokenContainers.includes(c.name)) continue;
            for (const m of (c.spec.volumeMounts ?? []) as Props[]) {
                if (tokenVolumes.has(String(m.name))) report(`${c.kind} "${c.name}" mounts service-account token volume "${m.name}"`);
            }
        }
    }),
};

const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** podSelector {} with both policy types and no allow rules. */
export function isDefaultDeny(np: Props): boolean {
    const spec = (np.spec ?? {}) as Props;
    const sel = (spec.podSelector ?? {}) as Props;
    const selectsAll = Object.keys(sel.matchLabels ?? {}).length === 0 && ((sel.matchExpressions ?? []) as unknown[]).length === 0;
    const types = (spec.policyTypes ?? []) as string[];
    return selectsAll && types.includes("Ingress") && types.includes("Egress") && !(spec.ingress ?? []).length && !(spec.egress ?? []).length;
}

export const clusterOf = (r: PolicyResource): string => r.provider?.urn ?? "default";

export const untrustedDefaultDeny: StackValidationPolicy = {
    name: "untrusted-default-deny",
    description: "Pods that run customer code sit in a namespace with a default-deny NetworkPolicy (ingress and egress) in the same cluster.",
    enforcementLevel: "mandatory",
    remediationSteps: "Create the namespace with components/kubernetes/namespace.ts `restrictedNamespace`, which adds the default-deny policy.",
    configSchema: { properties: { sandboxPools } },
    validateStack: (args, report) => {
        const cfg = args.getConfig<UntrustedConfig>();
        const denied = new Set(
            args.resources.filter((r) => r.type === NETWORK_POLICY && isDefaultDeny(r.props)).map((r) => `${clusterOf(r)} ${namespaceOf(r.props)}`),
        );
        for (const r of args.resources) {
            const pod = podTemplate(r.type, r.props);
            if (!pod || !runsCustomerCode(pod, cfg.sandboxPools)) continue;
            const ns = namespaceOf(r.props);
            if (!denied.has(`${clusterOf(r)} ${ns}`)) report(`${describe(r.type, r.props)} runs customer code in namespace "${ns}", which has no default-deny NetworkPolicy`, r.urn);
        }
    },
};

export const untrustedPolicies = [untrustedSandbox, untrustedNoToken, untrustedDefaultDeny];
