import type * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface RestrictedNamespaceArgs {
    /** the namespace's name */
    namespace: string;
    /** labels of the namespace, its default-deny policy and its quota */
    labels: Record<string, string>;
    /** ResourceQuota hard limits */
    quota: Record<string, string>;
}

/**
 * A namespace that enforces the Pod Security "restricted" profile, denies all traffic by default
 * (workloads add their own allow policies) and carries a ResourceQuota.
 */
export function restrictedNamespace(name: string, args: RestrictedNamespaceArgs, opts: { parent: pulumi.Resource; provider: k8s.Provider }): k8s.core.v1.Namespace {
    const ns = new k8s.core.v1.Namespace(
        name,
        {
            metadata: {
                name: args.namespace,
                labels: {
                    ...args.labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        },
        opts,
    );
    const nsOpts = { ...opts, dependsOn: [ns] };
    new k8s.networking.v1.NetworkPolicy(
        `${name}-default-deny`,
        {
            metadata: { name: "default-deny", namespace: args.namespace, labels: args.labels },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        },
        nsOpts,
    );
    new k8s.core.v1.ResourceQuota(
        `${name}-quota`,
        { metadata: { name: "quota", namespace: args.namespace, labels: args.labels }, spec: { hard: args.quota } },
        nsOpts,
    );
    return ns;
}
