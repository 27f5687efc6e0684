import type * as k8s from "@pulumi/kubernetes";
import type { Region } from "../../config/model";
import { resources, restrictedContainerSecurity, restrictedPodSecurity } from "../pod-spec";
import { CONSUL_NAMES, CONSUL_PATHS, CONSUL_PORTS } from "./server-config";

/** Seconds a server gets to stop; no preStop `consul leave` (a graceful leave shrinks the Raft peer set and can lose quorum). */
const TERMINATION_GRACE_SECONDS = 30;
/** A high uid (and gid) outside any host range; `consul agent` needs only its data volume (fsGroup) writable. */
const CONSUL_UID = 10100;

export interface ConsulServerPodArgs {
    /** the pinned Consul image */
    image: string;
    /** the region's server settings (replicas, resources, volumes) */
    consul: Region["consul"];
    /** labels of the servers' pods and volumes */
    labels: Record<string, string>;
    /** the servers' selector (also their anti-affinity and spread selector) */
    selector: Record<string, string>;
    /** hash of server.json: a changed config rolls the servers */
    configHash: string;
}

/**
 * The Consul servers' StatefulSet spec: one `consul agent` per pod with its config, TLS, gossip and ACL
 * files mounted read-only from the ConfigMap and Secrets, a retained data volume per server, at most
 * one server per node and an even spread over the zones, ready once the server knows a leader.
 */
export function consulServerStatefulSetSpec(args: ConsulServerPodArgs): k8s.types.input.apps.v1.StatefulSetSpec {
    const { consul, labels, selector } = args;
    return {
        serviceName: CONSUL_NAMES.headlessService,
        replicas: consul.replicas,
        podManagementPolicy: "Parallel",
        updateStrategy: { type: "RollingUpdate" },
        selector: { matchLabels: selector },
        // Volumes outlive the StatefulSet and scale-downs; the StorageClass retains the disks too.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        template: {
            metadata: { labels: { ...labels, ...selector }, annotations: { "globalgrid.dev/config-hash": args.configHash } },
            spec: {
                serviceAccountName: CONSUL_NAMES.serviceAccount,
                automountServiceAccountToken: false,
                terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
                securityContext: restrictedPodSecurity(CONSUL_UID),
                affinity: {
                    podAntiAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" }],
                    },
                },
                topologySpreadConstraints: [
                    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: selector } },
                ],
                containers: [
                    {
                        name: "consul",
                        image: args.image,
                        command: [
                            "consul",
                            "agent",
                            `-config-dir=${CONSUL_PATHS.config}`,
                            `-config-dir=${CONSUL_PATHS.gossip}`,
                            `-config-dir=${CONSUL_PATHS.acl}`,
                            "-advertise=$(POD_IP)",
                            "-node=$(POD_NAME)",
                        ],
                        env: [
                            { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                        ],
                        ports: [
                            { name: "server", containerPort: CONSUL_PORTS.server, protocol: "TCP" },
                            { name: "serflan-tcp", containerPort: CONSUL_PORTS.serfLan, protocol: "TCP" },
                            { name: "serflan-udp", containerPort: CONSUL_PORTS.serfLan, protocol: "UDP" },
                            { name: "serfwan-tcp", containerPort: CONSUL_PORTS.serfWan, protocol: "TCP" },
                            { name: "serfwan-udp", containerPort: CONSUL_PORTS.serfWan, protocol: "UDP" },
                            { name: "https", containerPort: CONSUL_PORTS.https, protocol: "TCP" },
                            { name: "grpc-tls", containerPort: CONSUL_PORTS.grpcTls, protocol: "TCP" },
                            { name: "dns-tcp", containerPort: CONSUL_PORTS.dns, protocol: "TCP" },
                            { name: "dns-udp", containerPort: CONSUL_PORTS.dns, protocol: "UDP" },
                        ],
                        // Ready once this server knows a leader (the status endpoint needs no ACL token).
                        readinessProbe: {
                            exec: {
                                command: ["/bin/sh", "-ec", `curl -sk https://127.0.0.1:${CONSUL_PORTS.https}/v1/status/leader 2>/dev/null | grep -E '".+"'`],
                            },
                            initialDelaySeconds: 5,
                            periodSeconds: 5,
                            timeoutSeconds: 5,
                            failureThreshold: 2,
                            successThreshold: 1,
                        },
                        resources: resources(consul.resources),
                        securityContext: restrictedContainerSecurity(),
                        volumeMounts: [
                            { name: "data", mountPath: CONSUL_PATHS.data },
                            { name: "config", mountPath: CONSUL_PATHS.config, readOnly: true },
                            { name: "tls", mountPath: CONSUL_PATHS.tls, readOnly: true },
                            { name: "gossip", mountPath: CONSUL_PATHS.gossip, readOnly: true },
                            { name: "acl", mountPath: CONSUL_PATHS.acl, readOnly: true },
                            { name: "tmp", mountPath: "/tmp" },
                        ],
                    },
                ],
                volumes: [
                    { name: "config", configMap: { name: CONSUL_NAMES.config } },
                    { name: "tls", secret: { secretName: CONSUL_NAMES.tlsSecret, defaultMode: 0o440 } },
                    { name: "gossip", secret: { secretName: CONSUL_NAMES.gossipSecret, defaultMode: 0o440 } },
                    { name: "acl", secret: { secretName: CONSUL_NAMES.aclSecret, defaultMode: 0o440 } },
                    { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
                ],
            },
        },
        volumeClaimTemplates: [
            {
                metadata: { name: "data", labels },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: consul.storageClass,
                    resources: { requests: { storage: consul.volumeSize } },
                },
            },
        ],
    };
}
