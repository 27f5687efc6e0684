import type { Policy } from "@pulumi/policy";
import type { RecordedResource } from "../../../engine/recorder";
import { runPolicies, type PackConfig, type PolicyRun } from "../../runner";

/** A hand-written recorded resource; outputs default to the inputs (what a create's state holds). */
export function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<RecordedResource> = {}, stack = "test"): RecordedResource {
    return {
        urn: `urn:pulumi:${stack}::globalgrid::${type}::${name}`,
        type,
        name,
        custom: !type.startsWith("globalgrid:"),
        dependencies: [],
        propertyDependencies: {},
        protect: false,
        ignoreChanges: [],
        inputs,
        outputs: inputs,
        ...extra,
    };
}

/** [message, resource name] of every violation of `policy`. */
export async function violations(policy: Policy, resources: RecordedResource[], config?: PackConfig, stackTags?: Record<string, string>): Promise<[string, string][]> {
    const run = await check([policy], resources, config, stackTags);
    return run.violations.map((v) => [v.message, v.urn.split("::").pop() ?? ""]);
}

export const check = (policies: Policy[], resources: RecordedResource[], config?: PackConfig, stackTags?: Record<string, string>): Promise<PolicyRun> =>
    runPolicies(policies, resources, { config, stackTags, packEnforcementLevel: "mandatory" });

export const K8S = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    configMap: "kubernetes:core/v1:ConfigMap",
    secret: "kubernetes:core/v1:Secret",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
};

/** A container that every container policy accepts. */
export function goodContainer(name = "app", image = "europe-docker.pkg.dev/gg/globalgrid/runtime:2.3.1"): Record<string, unknown> {
    return {
        name,
        image,
        resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
        securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
    };
}

export interface DeploymentShape {
    namespace?: string;
    labels?: Record<string, string>;
    spec?: Record<string, unknown>;
    containers?: Record<string, unknown>[];
}

/** A Deployment (inputs) whose pod template is compliant unless `shape` says otherwise. */
export function deployment(name: string, shape: DeploymentShape = {}): Record<string, unknown> {
    const labels = shape.labels ?? { app: name };
    return {
        metadata: { name, namespace: shape.namespace ?? "apps", labels },
        spec: {
            replicas: 2,
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: { containers: shape.containers ?? [goodContainer()], ...shape.spec } },
        },
    };
}

/** A customer-code pod spec that passes the untrusted policies. */
export const sandboxedSpec = {
    runtimeClassName: "gvisor",
    automountServiceAccountToken: false,
    nodeSelector: { "globalgrid.dev/pool": "warm-pool" },
    tolerations: [{ key: "globalgrid.dev/pool", operator: "Equal", value: "warm-pool", effect: "NoSchedule" }],
};

export const defaultDeny = (namespace: string) => ({ metadata: { name: "default-deny", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
