import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";

/**
 * Where the pod specs mount the Kubernetes API credentials: a projected volume (`kubeApiVolume` in
 * components/workloads/pod-spec.ts) with the bound ServiceAccount `token` (rotated by the kubelet),
 * the cluster's `ca.crt` (from the `kube-root-ca.crt` ConfigMap) and the pod's `namespace`.
 * Containers otherwise run with `automountServiceAccountToken: false`.
 */
export const DEFAULT_KUBE_API_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeClientOptions {
    /** directory holding token, ca.crt and namespace; default DEFAULT_KUBE_API_MOUNT */
    mountDir?: string;
    /**
     * the API server URL; default `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the
     * variables the kubelet sets in every container
     */
    server?: string;
}

export interface KubeClients {
    config: k8s.KubeConfig;
    /** the pod's own namespace, read from the mount */
    namespace: string;
    core: k8s.CoreV1Api;
    apps: k8s.AppsV1Api;
    watch: k8s.Watch;
}

function serverFromEnv(): string {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) {
        throw new Error("KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set (not running in a pod?)");
    }
    return `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/**
 * In-cluster clients from the mounted token and CA. The token is read through the library's
 * `tokenFile` auth provider, which re-reads the file (at most every 60 s) so the kubelet's
 * rotation of the bound token is picked up, as client-go does.
 */
export function kubeClients(options: KubeClientOptions = {}): KubeClients {
    const dir = options.mountDir ?? DEFAULT_KUBE_API_MOUNT;
    const tokenFile = path.join(dir, "token");
    const caFile = path.join(dir, "ca.crt");
    for (const file of [tokenFile, caFile, path.join(dir, "namespace")]) {
        if (!fs.existsSync(file)) throw new Error(`Kubernetes API credentials: ${file} is missing`);
    }
    const namespace = fs.readFileSync(path.join(dir, "namespace"), "utf8").trim();
    const config = new k8s.KubeConfig();
    config.loadFromClusterAndUser(
        { name: "in-cluster", server: options.server ?? serverFromEnv(), caFile, skipTLSVerify: false },
        { name: "pod-service-account", authProvider: { name: "tokenFile", config: { tokenFile } } },
    );
    config.setCurrentContext("loaded-context");
    return {
        config,
        namespace,
        core: config.makeApiClient(k8s.CoreV1Api),
        apps: config.makeApiClient(k8s.AppsV1Api),
        watch: new k8s.Watch(config),
    };
}

/** The HTTP status of an error thrown by a @kubernetes/client-node call, if it is an API error. */
export function apiStatus(err: unknown): number | undefined {
    if (err instanceof k8s.ApiException) return err.code;
    const code = (err as { code?: unknown; statusCode?: unknown } | undefined)?.code;
    return typeof code === "number" ? code : undefined;
}
