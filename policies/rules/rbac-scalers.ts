import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { clusterOf } from "./untrusted";
import { describe, K8S_WORKLOADS, namespaceOf, ofType, type Props } from "./util";

const RBAC = "kubernetes:rbac.authorization.k8s.io/v1";
export const ROLE = `${RBAC}:Role`;
export const CLUSTER_ROLE = `${RBAC}:ClusterRole`;
const ROLE_BINDING = `${RBAC}:RoleBinding`;
const CLUSTER_ROLE_BINDING = `${RBAC}:ClusterRoleBinding`;
const SCALE = "deployments/scale";

const rules = (props: Props): Props[] => (props.rules ?? []) as Props[];

export const rbacNoWildcards: ResourceValidationPolicy = {
    name: "rbac-no-wildcards",
    description: "Roles and ClusterRoles name their verbs, resources and API groups; no `*`.",
    enforcementLevel: "mandatory",
    remediationSteps: "List the exact verbs, resources and apiGroups the workload needs.",
    validateResource: [ROLE, CLUSTER_ROLE].map((t) =>
        ofType(t, (props, _args, report) => {
            rules(props).forEach((rule, i) => {
                for (const field of ["verbs", "resources", "apiGroups"]) {
                    if (((rule[field] ?? []) as string[]).some((x) => x === "*" || x.endsWith("/*"))) report(`${describe(t, props)} rule ${i} uses a wildcard in ${field}`);
                }
            });
        }),
    ),
};

export const rbacNoClusterAdmin: ResourceValidationPolicy = {
    name: "rbac-no-cluster-admin",
    description: "Nothing is bound to cluster-admin.",
    enforcementLevel: "mandatory",
    remediationSteps: "Bind a Role with the few permissions the subject needs instead of cluster-admin.",
    validateResource: [ROLE_BINDING, CLUSTER_ROLE_BINDING].map((t) =>
        ofType(t, (props, _args, report) => {
            if (props.roleRef?.name === "cluster-admin") report(`${describe(t, props)} binds cluster-admin`);
        }),
    ),
};

/** The Deployments a Role lets its holder scale: resourceNames of its deployments/scale rules. */
export function scaleTargets(props: Props): { names: string[]; unrestricted: boolean } {
    const scaleRules = rules(props).filter((r) => ((r.resources ?? []) as string[]).includes(SCALE));
    const names = scaleRules.flatMap((r) => (r.resourceNames ?? []) as string[]);
    return { names, unrestricted: scaleRules.some((r) => !((r.resourceNames ?? []) as string[]).length) };
}

export const scalerRoleScoped: ResourceValidationPolicy = {
    name: "scaler-role-resource-names",
    description: "A scaler Role (one that grants deployments/scale) is limited by resourceNames on every rule that scales or writes, writes nothing but deployments/scale, and reads nothing but pods.",
    enforcementLevel: "mandatory",
    remediationSteps: "Give the scaler's Role one rule: apiGroups [apps], resources [deployments/scale], verbs [get, update, patch], resourceNames [<its target>].",
    validateResource: ofType(ROLE, (props, args, report) => {
        if (!rules(props).some((r) => ((r.resources ?? []) as string[]).includes(SCALE))) args.notApplicable("not a scaler Role");
        rules(props).forEach((rule, i) => {
            const writes = ((rule.verbs ?? []) as string[]).some((v) => !["get", "list", "watch"].includes(v));
            const scales = ((rule.resources ?? []) as string[]).includes(SCALE);
            if ((scales || writes) && !((rule.resourceNames ?? []) as string[]).length) report(`${describe(ROLE, props)} rule ${i} is not limited by resourceNames`);
            const others = ((rule.resources ?? []) as string[]).filter((r) => r !== SCALE);
            if (writes && others.length) report(`${describe(ROLE, props)} rule ${i} also writes ${others.join(", ")}`);
            // besides its scale target, a scaler may only count pods (the warm pool's taken pods), read-only
            const reads = others.filter((r) => r !== "pods");
            if (!writes && reads.length) report(`${describe(ROLE, props)} rule ${i} reads ${reads.join(", ")}; a scaler reads only pods`);
        });
    }),
};

export const scalerTargetIgnoresReplicas: StackValidationPolicy = {
    name: "scaler-target-ignore-replicas",
    description: "Every Deployment a scaler Role may resize ignores changes to spec.replicas, so `pulumi up` never fights the scaler.",
    enforcementLevel: "mandatory",
    remediationSteps: 'Create the target Deployment with `ignoreChanges: ["spec.replicas"]`.',
    validateStack: (args, report) => {
        const deployments = args.resources.filter((r) => r.type === K8S_WORKLOADS.deployment);
        for (const role of args.resources.filter((r) => r.type === ROLE)) {
            for (const name of scaleTargets(role.props).names) {
                const target = deployments.find((d) => clusterOf(d) === clusterOf(role) && namespaceOf(d.props) === namespaceOf(role.props) && d.props.metadata?.name === name);
                if (!target) report(`${describe(ROLE, role.props)} scales Deployment "${name}", which is not in namespace "${namespaceOf(role.props)}" of its cluster`, role.urn);
                else if (!target.opts.ignoreChanges.includes("spec.replicas")) report(`Deployment "${name}" is scaled by ${describe(ROLE, role.props)} but does not ignore changes to spec.replicas`, target.urn);
            }
        }
    },
};

export const rbacPolicies = [rbacNoWildcards, rbacNoClusterAdmin, scalerRoleScoped, scalerTargetIgnoresReplicas];
