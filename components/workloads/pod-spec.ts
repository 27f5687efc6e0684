import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { ResourceSettings } from "../config/schema";
import { DATACENTER_KEY, POOL_KEY, type GridPool } from "../clusters/pool-labels";

/**
 * Pod-spec pieces every workload of a data center shares: the restricted security context, the
 * sandboxed scheduling of the grids, resources and the explicitly projected Kubernetes API token.
 */

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type PodSpec = k8s.types.input.core.v1.PodSpec;

/** Pod label the policy pack keys on: this pod runs customer code. */
export const CUSTOMER_CODE_LABEL = "globalgrid.dev/customer-code";
/** The gVisor RuntimeClass (GKE Sandbox's, or the one region.ts creates on EKS). */
export const SANDBOX_RUNTIME_CLASS = "gvisor";
/** Where the Kubernetes API token is mounted in the few containers that talk to the API server. */
export const KUBE_API_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

const UID = 65532;

/** Pod Security "restricted" at pod level: non-root, RuntimeDefault seccomp. */
export const restrictedPodSecurity = (uid = UID): k8s.types.input.core.v1.PodSecurityContext => ({
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
});

/** Pod Security "restricted" at container level, read-only root filesystem. */
export const restrictedContainerSecurity = (): k8s.types.input.core.v1.SecurityContext => ({
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
});

/** Requests and limits from config. */
export const resources = (r: ResourceSettings): k8s.types.input.core.v1.ResourceRequirements => ({
    requests: { cpu: r.cpu, memory: r.memory },
    limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
});

/** Requests and limits of the small platform containers (sidecars, scalers, broker). */
export const SIDECAR_RESOURCES: ResourceSettings = { cpu: "50m", memory: "64Mi", cpuLimit: "250m", memoryLimit: "128Mi" };

/** A platform container with the restricted context and resources set. */
export function container(c: Container & { name: string; image: pulumi.Input<string> }, r: ResourceSettings = SIDECAR_RESOURCES): Container {
    return { ...c, imagePullPolicy: "IfNotPresent", securityContext: restrictedContainerSecurity(), resources: resources(r) };
}

/**
 * The container that runs customer code: resources from config, the restricted context, no env,
 * no token and no Secret; only a scratch `tmp` volume (see tmpVolume).
 */
export function customerContainer(name: string, image: pulumi.Input<string>, port: number, r: ResourceSettings): Container {
    return {
        name,
        image,
        imagePullPolicy: "IfNotPresent",
        ports: [{ name: "http", containerPort: port }],
        readinessProbe: { httpGet: { path: "/healthz", port }, periodSeconds: 5 },
        securityContext: restrictedContainerSecurity(),
        resources: resources(r),
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    };
}

/** Pod labels of a grid pool member: `POOL_KEY=<member>` is the label a pod loses when it is detached. */
export const memberLabel = (member: string): Record<string, string> => ({ [POOL_KEY]: member });

/**
 * Where a grid's pods run: the gVisor runtime class, only on its own data center's sandboxed
 * pool (node selector + toleration of the pool's NoSchedule taint), spread across nodes.
 */
export function sandboxScheduling(pool: GridPool, dc: string, selector: Record<string, string>): Partial<PodSpec> {
    return {
        runtimeClassName: SANDBOX_RUNTIME_CLASS,
        nodeSelector: { [POOL_KEY]: pool, [DATACENTER_KEY]: dc },
        tolerations: [{ key: POOL_KEY, operator: "Equal", value: pool, effect: "NoSchedule" }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }],
    };
}

/** Platform pods (scalers, broker) run on the region cluster's system pool. */
export const systemScheduling = (): Partial<PodSpec> => ({ nodeSelector: { [POOL_KEY]: "system" } });

/** Pod-level defaults: no automatic token, no host namespaces. */
export function hardenedPod(spec: PodSpec): PodSpec {
    return {
        automountServiceAccountToken: false,
        hostNetwork: false,
        hostPID: false,
        hostIPC: false,
        enableServiceLinks: false,
        securityContext: restrictedPodSecurity(),
        ...spec,
    };
}

/**
 * What automounting would have given, as an explicit projected volume: mount it only into the
 * container that talks to the Kubernetes API (pods keep `automountServiceAccountToken: false`).
 */
export function kubeApiVolume(name = "kube-api"): Volume {
    return {
        name,
        projected: {
            sources: [
                { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
                { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
            ],
        },
    };
}

/** A projected service-account token for another audience (workload identity, Consul login). */
export function audienceTokenVolume(name: string, audience: pulumi.Input<string>, path = "token"): Volume {
    return { name, projected: { sources: [{ serviceAccountToken: { audience, path, expirationSeconds: 3600 } }] } };
}

/** Scratch space for read-only root filesystems. */
export const tmpVolume = (name = "tmp"): Volume => ({ name, emptyDir: { sizeLimit: "256Mi" } });

/** Downward-API env var. */
export const fieldEnv = (name: string, fieldPath: string): k8s.types.input.core.v1.EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
