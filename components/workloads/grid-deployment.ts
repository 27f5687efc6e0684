import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { GridPool } from "../clusters/pool-labels";
import { CUSTOMER_CODE_LABEL, hardenedPod, sandboxScheduling } from "./pod-spec";

export interface GridDeploymentArgs {
    metadata: k8s.types.input.meta.v1.ObjectMeta;
    /** initial replicas; afterwards the grid's scaler owns the count */
    replicas: number;
    /** the pool-membership selector (what detaching a pod changes) */
    selector: Record<string, string>;
    labels: Record<string, string>;
    /** the Consul service the pods register as */
    consulService: string;
    serviceAccountName: string;
    pool: GridPool;
    dataCenter: string;
    terminationGracePeriodSeconds: number;
    containers: k8s.types.input.core.v1.Container[];
    volumes: k8s.types.input.core.v1.Volume[];
}

/**
 * A grid Deployment of customer code: sandboxed on its data center's pool, hardened, surge-only
 * rollouts, and `ignoreChanges: ["spec.replicas"]` because the grid's scaler owns the replica count
 * (so `pulumi up` never fights it).
 */
export function gridDeployment(name: string, args: GridDeploymentArgs, opts: pulumi.CustomResourceOptions): k8s.apps.v1.Deployment {
    return new k8s.apps.v1.Deployment(
        name,
        {
            metadata: args.metadata,
            spec: {
                replicas: args.replicas,
                strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
                selector: { matchLabels: args.selector },
                template: {
                    metadata: { labels: { ...args.labels, ...args.selector, [CUSTOMER_CODE_LABEL]: "true", "globalgrid.dev/consul-service": args.consulService } },
                    spec: hardenedPod({
                        serviceAccountName: args.serviceAccountName,
                        ...sandboxScheduling(args.pool, args.dataCenter, args.selector),
                        terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
                        containers: args.containers,
                        volumes: args.volumes,
                    }),
                },
            },
        },
        { ...opts, ignoreChanges: [...(opts.ignoreChanges ?? []), "spec.replicas"] },
    );
}
