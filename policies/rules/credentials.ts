import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ofType, ofWorkloads, type Props } from "./util";

const KUBECONFIG_NAME = /kube-?config|\.kube/i;

/** What in a ConfigMap value looks like a credential. */
function credentialIn(value: string): string | undefined {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return "a private key";
    if (/kind:\s*Config\b/.test(value) && /\b(client-key-data|token|client-certificate-data|auth-provider|exec):/.test(value)) return "a kubeconfig with credentials";
    if (/"encrypt"\s*:\s*"[^"$]/.test(value) || /\bencrypt\s*=\s*"[^"$]/.test(value)) return "a Consul gossip key";
    if (/"(token|password|secret_id)"\s*:\s*"[^"$]/i.test(value)) return "a token or password";
    return undefined;
}

export const noCredentialsInConfigMaps: ResourceValidationPolicy = {
    name: "no-credentials-in-configmaps",
    description: "Credentials (kubeconfigs, private keys, tokens, gossip keys) live in Secrets, never in ConfigMaps; in-cluster clients use their ServiceAccount, not a mounted kubeconfig.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Move the value to a Kubernetes Secret built from a Pulumi secret; for API access inside the cluster, give the pod a ServiceAccount with a narrow Role instead of a kubeconfig.",
    validateResource: [
        ofType("kubernetes:core/v1:ConfigMap", (props, _args, report) => {
            for (const [key, value] of Object.entries((props.data ?? {}) as Record<string, string>)) {
                const what = KUBECONFIG_NAME.test(key) ? "a kubeconfig" : credentialIn(String(value));
                if (what) report(`ConfigMap "${props.metadata?.name}" key "${key}" holds ${what}`);
            }
        }),
        ...ofWorkloads((pod, _props, _args, report) => {
            for (const v of (pod.spec.volumes ?? []) as Props[]) {
                const sources: string[] = [];
                if (v.configMap) sources.push(String(v.configMap.name));
                for (const s of (v.projected?.sources ?? []) as Props[]) if (s.configMap) sources.push(String(s.configMap.name));
                for (const cm of sources) {
                    if (KUBECONFIG_NAME.test(cm) || KUBECONFIG_NAME.test(String(v.name))) {
                        report(`volume "${v.name}" mounts a kubeconfig from ConfigMap "${cm}"`);
                    }
                }
            }
        }),
    ],
};

export const credentialPolicies = [noCredentialsInConfigMaps];
