import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { RuntimeConfig } from "../../agents/runtime/src/config";
type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;

export const RUNTIME_CONFIG_DIR = "/etc/runtime";
const VOLUME = "runtime-config";

/**
 * The runtime's settings (agents/runtime/src/config.ts) as a ConfigMap: plain settings only (port,
 * scratch directory, mode), nothing secret, since the runtime container runs customer code.
 */
export function runtimeSettings(
    name: string,
    args: { name: string; namespace: string; labels: Record<string, string>; config: RuntimeConfig },
    opts: pulumi.CustomResourceOptions,
): { configMap: k8s.core.v1.ConfigMap; volume: Volume } {
    const configMap = new k8s.core.v1.ConfigMap(
        name,
        { metadata: { name: args.name, namespace: args.namespace, labels: args.labels }, data: { "runtime.json": JSON.stringify(args.config, null, 2) } },
        opts,
    );
    return { configMap, volume: { name: VOLUME, configMap: { name: args.name } } };
}

/** The runtime container reading its settings from the mounted ConfigMap. */
export function withRuntimeConfig(c: Container): Container {
    return {
        ...c,
        args: [`--config=${RUNTIME_CONFIG_DIR}/runtime.json`],
        volumeMounts: [...((c.volumeMounts ?? []) as k8s.types.input.core.v1.VolumeMount[]), { name: VOLUME, mountPath: RUNTIME_CONFIG_DIR, readOnly: true }],
    };
}
