import type { ResourceValidationPolicy } from "@pulumi/policy";
import { POOL_KEY } from "./untrusted";
import { ofType, type Props } from "./util";

const GKE = "gcp:container/cluster:Cluster";
const GKE_POOL = "gcp:container/nodePool:NodePool";
const EKS = "aws:eks/cluster:Cluster";
const EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";

const gke = (check: (props: Props) => string | undefined) =>
    ofType(GKE, (props, _args, report) => {
        const why = check(props);
        if (why) report(`GKE cluster "${props.name}" ${why}`);
    });
const eks = (check: (props: Props, cfg: Props) => string | undefined) =>
    ofType(EKS, (props, args, report) => {
        const why = check(props, args.getConfig<Props>());
        if (why) report(`EKS cluster "${props.name}" ${why}`);
    });

export const gkePrivateNodes: ResourceValidationPolicy = {
    name: "gke-private-nodes",
    description: "GKE nodes have no public IP addresses.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set privateClusterConfig.enablePrivateNodes: true (egress goes through Cloud NAT).",
    validateResource: gke((p) => (p.privateClusterConfig?.enablePrivateNodes === true ? undefined : "does not use private nodes")),
};

export const gkeWorkloadIdentity: ResourceValidationPolicy = {
    name: "gke-workload-identity",
    description: "GKE clusters use Workload Identity, so pods never see node credentials.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set workloadIdentityConfig.workloadPool to `<project>.svc.id.goog`.",
    validateResource: gke((p) => (p.workloadIdentityConfig?.workloadPool ? undefined : "has no Workload Identity pool")),
};

export const gkeNetworkPolicy: ResourceValidationPolicy = {
    name: "gke-network-policy",
    description: "GKE clusters enforce NetworkPolicy (Dataplane V2 or the Calico add-on).",
    enforcementLevel: "mandatory",
    remediationSteps: "Set datapathProvider: ADVANCED_DATAPATH (or networkPolicy.enabled: true).",
    validateResource: gke((p) => (p.datapathProvider === "ADVANCED_DATAPATH" || p.networkPolicy?.enabled === true ? undefined : "does not enforce NetworkPolicy")),
};

export const gkeShieldedNodes: ResourceValidationPolicy = {
    name: "gke-shielded-nodes",
    description: "GKE clusters use Shielded GKE nodes.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set enableShieldedNodes: true.",
    validateResource: gke((p) => (p.enableShieldedNodes === true ? undefined : "does not enable shielded nodes")),
};

export const sandboxedGridPools: ResourceValidationPolicy = {
    name: "sandboxed-grid-pools",
    description: "Node pools of the grids (customer code) are gVisor-sandboxed and tainted so nothing else lands on them.",
    enforcementLevel: "mandatory",
    remediationSteps: "Create grid pools with the cluster contract's addSandboxPools (components/clusters/gke-sandbox-pools.ts, eks-sandbox-pools.ts): GKE Sandbox (sandboxConfig.type GVISOR) or the gVisor launch template on EKS, plus a NO_SCHEDULE taint on globalgrid.dev/pool.",
    configSchema: {
        properties: { sandboxPools: { type: "array", items: { type: "string" }, default: ["warm-pool", "job-grid"], description: "pool label values that run customer code" } },
    },
    validateResource: [
        ofType(GKE_POOL, (props, args, report) => {
            const pool = props.nodeConfig?.labels?.[POOL_KEY];
            if (!args.getConfig<{ sandboxPools: string[] }>().sandboxPools.includes(pool)) args.notApplicable("not a grid pool");
            // The provider accepts exactly "GVISOR" for `type`; the deprecated `sandboxType` is gone from newer providers.
            const sandbox = props.nodeConfig?.sandboxConfig;
            if (sandbox?.type !== "GVISOR") report(`grid pool "${props.name}" is not gVisor-sandboxed (nodeConfig.sandboxConfig.type must be "GVISOR", found ${JSON.stringify(sandbox?.type ?? null)})`);
            if (sandbox?.sandboxType !== undefined) report(`grid pool "${props.name}" sets the deprecated sandboxConfig.sandboxType; use sandboxConfig.type "GVISOR"`);
            if (!((props.nodeConfig?.taints ?? []) as Props[]).some((t) => t.key === POOL_KEY && t.effect === "NO_SCHEDULE")) report(`grid pool "${props.name}" has no NO_SCHEDULE taint on ${POOL_KEY}`);
        }),
        ofType(EKS_NODE_GROUP, (props, args, report) => {
            const pool = props.labels?.[POOL_KEY];
            if (!args.getConfig<{ sandboxPools: string[] }>().sandboxPools.includes(pool)) args.notApplicable("not a grid pool");
            if (props.labels?.["globalgrid.dev/sandbox"] !== "gvisor" || !props.launchTemplate) report(`grid node group "${props.nodeGroupName}" is not gVisor-sandboxed (gVisor launch template and globalgrid.dev/sandbox label)`);
            if (!((props.taints ?? []) as Props[]).some((t) => t.key === POOL_KEY && t.effect === "NO_SCHEDULE")) report(`grid node group "${props.nodeGroupName}" has no NO_SCHEDULE taint on ${POOL_KEY}`);
        }),
    ],
};

export const eksEndpointAccess: ResourceValidationPolicy = {
    name: "eks-endpoint-access",
    description: "The EKS API endpoint is private, or public only to listed CIDRs (never 0.0.0.0/0).",
    enforcementLevel: "mandatory",
    remediationSteps: "Set vpcConfig.endpointPublicAccess: false, or vpcConfig.publicAccessCidrs to the stack's `adminCidrs`.",
    validateResource: eks((p) => {
        const vpc = (p.vpcConfig ?? {}) as Props;
        if (vpc.endpointPublicAccess === false) return undefined;
        const cidrs = (vpc.publicAccessCidrs ?? []) as string[];
        if (!cidrs.length || cidrs.includes("0.0.0.0/0")) return "exposes its API endpoint to the whole internet";
        return undefined;
    }),
};

export const eksLogging: ResourceValidationPolicy = {
    name: "eks-control-plane-logging",
    description: "EKS clusters ship their control-plane logs (at least api, audit and authenticator).",
    enforcementLevel: "mandatory",
    remediationSteps: "List the log types in enabledClusterLogTypes.",
    configSchema: {
        properties: {
            requiredLogTypes: { type: "array", items: { type: "string" }, default: ["api", "audit", "authenticator"], description: "control-plane log types that must be on" },
        },
    },
    validateResource: eks((p, cfg) => {
        const on = (p.enabledClusterLogTypes ?? []) as string[];
        const missing = (cfg.requiredLogTypes as string[]).filter((t) => !on.includes(t));
        return missing.length ? `does not log ${missing.join(", ")}` : undefined;
    }),
};

export const eksSecretsEncryption: ResourceValidationPolicy = {
    name: "eks-secrets-encryption",
    description: "EKS clusters envelope-encrypt Kubernetes Secrets with a KMS key.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set encryptionConfig {provider: {keyArn}, resources: [secrets]}.",
    validateResource: eks((p) => {
        const enc = (p.encryptionConfig ?? {}) as Props;
        return enc.provider?.keyArn && ((enc.resources ?? []) as string[]).includes("secrets") ? undefined : "does not encrypt Secrets with KMS";
    }),
};

export const clusterPolicies = [gkePrivateNodes, gkeWorkloadIdentity, gkeNetworkPolicy, gkeShieldedNodes, sandboxedGridPools, eksEndpointAccess, eksLogging, eksSecretsEncryption];
