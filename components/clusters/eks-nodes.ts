/** Settings every EKS node group shares, and the tags Cluster Autoscaler reads. */

/** Instance metadata for every node: IMDSv2 only, one hop, so pods (one hop further) cannot reach it. */
export const NODE_METADATA_OPTIONS = { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" } as const;
/** Root volume of every node: encrypted gp3 (AL2023's root device is /dev/xvda). */
export const NODE_ROOT_VOLUME = { deviceName: "/dev/xvda", ebs: { volumeSize: 100, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } };

/** The ASG tags Cluster Autoscaler's auto-discovery selects on (EKS sets them on every managed node group's ASG). */
export const discoveryTags = (clusterName: string): Record<string, string> => ({
    "k8s.io/cluster-autoscaler/enabled": "true",
    [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned",
});

/**
 * Cluster Autoscaler's node-template tags for a group it may have to grow from zero nodes: the
 * labels and taints (`<value>:<effect>`) a new node will carry, and its zone, so pending pods that
 * select a data center's pool and tolerate its taint are matched to this group.
 */
export function nodeTemplateTags(labels: Record<string, string>, zone: string, taints: { key: string; value: string; effect: string }[]): Record<string, string> {
    const prefix = "k8s.io/cluster-autoscaler/node-template";
    return {
        ...Object.fromEntries(Object.entries({ ...labels, "topology.kubernetes.io/zone": zone }).map(([k, v]) => [`${prefix}/label/${k}`, v])),
        ...Object.fromEntries(taints.map((t) => [`${prefix}/taint/${t.key}`, `${t.value}:${t.effect}`])),
    };
}
