import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

export interface AgentServiceAccount {
    serviceAccount: k8s.core.v1.ServiceAccount;
    role: k8s.rbac.v1.Role;
    binding: k8s.rbac.v1.RoleBinding;
}

/**
 * A platform agent's Kubernetes identity in its namespace: a ServiceAccount that mounts no token
 * by itself (the pod projects one into the one container that needs it), a Role with exactly the
 * agent's rules, and the RoleBinding between them. All three share `metadata.name`; the binding
 * waits for both.
 */
export function agentServiceAccount(
    name: string,
    args: { metadata: { name: string; namespace: string; labels: Record<string, string> }; rules: PolicyRule[] },
    opts: pulumi.CustomResourceOptions,
): AgentServiceAccount {
    const { metadata } = args;
    const serviceAccount = new k8s.core.v1.ServiceAccount(name, { metadata, automountServiceAccountToken: false }, opts);
    const role = new k8s.rbac.v1.Role(name, { metadata, rules: args.rules }, opts);
    const binding = new k8s.rbac.v1.RoleBinding(
        name,
        {
            metadata,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: metadata.name },
            subjects: [{ kind: "ServiceAccount", name: metadata.name, namespace: metadata.namespace }],
        },
        { ...opts, dependsOn: [serviceAccount, role] },
    );
    return { serviceAccount, role, binding };
}
