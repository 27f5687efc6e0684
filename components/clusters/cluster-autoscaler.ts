import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { k8sLabels, type Placement } from "../labels";
import { container, hardenedPod, KUBE_API_MOUNT, kubeApiVolume, systemScheduling } from "../workloads/pod-spec";
import { discoveryTags } from "./eks-nodes";
import { EKS_VERSIONS } from "./eks-versions";
import { irsaRole } from "./irsa";

/**
 * Cluster Autoscaler for an EKS cluster, laid out as kubernetes/autoscaler's
 * cluster-autoscaler-autodiscover.yaml: it discovers the cluster's managed node groups by the
 * tags EKS puts on their Auto Scaling groups (`k8s.io/cluster-autoscaler/enabled` and
 * `k8s.io/cluster-autoscaler/<cluster>`) and grows a group when pods are Pending for lack of a
 * node that matches its labels and taints (eks-sandbox-pools.ts adds the node-template tags for
 * groups at zero). Chosen over Karpenter because the grids run on zone-pinned, tainted managed
 * node groups with a gVisor launch template; Cluster Autoscaler scales exactly those groups,
 * while Karpenter would replace them with its own provisioning (NodePools, EC2NodeClasses,
 * an interruption queue).
 */
export const CLUSTER_AUTOSCALER = { namespace: "kube-system", name: "cluster-autoscaler", image: "registry.k8s.io/autoscaling/cluster-autoscaler" } as const;

/**
 * The AWS README's policy for auto-discovery: read-only calls on any resource; changing a group's
 * size or terminating its instances only on groups tagged as this cluster's.
 */
export function clusterAutoscalerPolicy(clusterName: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Describe",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                Resource: "*",
            },
            {
                Sid: "ScaleOwnGroups",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: "*",
                Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
            },
        ],
    });
}

/** RBAC of the upstream example manifest. */
const CLUSTER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["events", "endpoints"], verbs: ["create", "patch"] },
    { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
    { apiGroups: [""], resources: ["pods/status"], verbs: ["update"] },
    { apiGroups: [""], resources: ["endpoints"], resourceNames: ["cluster-autoscaler"], verbs: ["get", "update"] },
    { apiGroups: [""], resources: ["nodes"], verbs: ["watch", "list", "get", "update"] },
    { apiGroups: [""], resources: ["namespaces", "pods", "services", "replicationcontrollers", "persistentvolumeclaims", "persistentvolumes"], verbs: ["watch", "list", "get"] },
    { apiGroups: ["extensions"], resources: ["replicasets", "daemonsets"], verbs: ["watch", "list", "get"] },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["watch", "list"] },
    { apiGroups: ["apps"], resources: ["statefulsets", "replicasets", "daemonsets"], verbs: ["watch", "list", "get"] },
    { apiGroups: ["resource.k8s.io"], resources: ["deviceclasses", "resourceslices", "resourceclaims"], verbs: ["watch", "list", "get"] },
    { apiGroups: ["storage.k8s.io"], resources: ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"], verbs: ["watch", "list", "get"] },
    { apiGroups: ["batch", "extensions"], resources: ["jobs"], verbs: ["get", "list", "watch", "patch"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    { apiGroups: ["coordination.k8s.io"], resourceNames: ["cluster-autoscaler"], resources: ["leases"], verbs: ["get", "update"] },
];
const NAMESPACE_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "list", "watch"] },
    { apiGroups: [""], resources: ["configmaps"], resourceNames: ["cluster-autoscaler-status", "cluster-autoscaler-priority-expander"], verbs: ["delete", "get", "update", "watch"] },
];

export interface ClusterAutoscalerArgs {
    clusterName: string;
    awsRegion: string;
    kubernetesVersion: string;
    oidcProvider: aws.iam.OpenIdConnectProvider;
    tags: Record<string, string>;
    placement: Placement;
    awsOpts: pulumi.CustomResourceOptions;
    k8sOpts: pulumi.CustomResourceOptions;
}

export interface ClusterAutoscaler {
    role: aws.iam.Role;
    deployment: k8s.apps.v1.Deployment;
}

/** The autoscaler's IAM role (IRSA), RBAC, a hardened two-replica Deployment (leader election) and its PDB. */
export function createClusterAutoscaler(name: string, args: ClusterAutoscalerArgs): ClusterAutoscaler {
    const { namespace, name: caName } = CLUSTER_AUTOSCALER;
    const role = irsaRole(
        `${name}-autoscaler`,
        { roleName: `${args.clusterName}-autoscaler`, oidcProvider: args.oidcProvider, namespace, serviceAccount: caName, inlinePolicy: clusterAutoscalerPolicy(args.clusterName), tags: args.tags },
        args.awsOpts,
    );
    const labels = k8sLabels(caName, "node-autoscaler", args.placement);
    const selector = { "app.kubernetes.io/name": caName, "app.kubernetes.io/component": "node-autoscaler" };
    const meta = { name: caName, namespace, labels };
    const o = args.k8sOpts;
    const sa = new k8s.core.v1.ServiceAccount(`${name}-autoscaler`, { metadata: { ...meta, annotations: { "eks.amazonaws.com/role-arn": role.arn } }, automountServiceAccountToken: false }, o);
    const clusterRole = new k8s.rbac.v1.ClusterRole(`${name}-autoscaler`, { metadata: { name: caName, labels }, rules: CLUSTER_RULES }, o);
    const nsRole = new k8s.rbac.v1.Role(`${name}-autoscaler`, { metadata: meta, rules: NAMESPACE_RULES }, o);
    const subjects = [{ kind: "ServiceAccount", name: caName, namespace }];
    const bindings = [
        new k8s.rbac.v1.ClusterRoleBinding(`${name}-autoscaler`, { metadata: { name: caName, labels }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: caName }, subjects }, { ...o, dependsOn: [sa, clusterRole] }),
        new k8s.rbac.v1.RoleBinding(`${name}-autoscaler`, { metadata: meta, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: caName }, subjects }, { ...o, dependsOn: [sa, nsRole] }),
    ];
    const image = `${CLUSTER_AUTOSCALER.image}:${EKS_VERSIONS[args.kubernetesVersion].clusterAutoscaler}`;
    const deployment = new k8s.apps.v1.Deployment(
        `${name}-autoscaler`,
        {
            metadata: meta,
            spec: {
                replicas: 2,
                selector: { matchLabels: selector },
                template: {
                    metadata: { labels: { ...labels, ...selector }, annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "8085" } },
                    spec: hardenedPod({
                        ...systemScheduling(),
                        serviceAccountName: caName,
                        priorityClassName: "system-cluster-critical",
                        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" } }] } },
                        containers: [
                            container(
                                {
                                    name: caName,
                                    image,
                                    command: [
                                        "./cluster-autoscaler",
                                        "--cloud-provider=aws",
                                        `--node-group-auto-discovery=asg:tag=${Object.keys(discoveryTags(args.clusterName)).join(",")}`,
                                        "--expander=least-waste",
                                        "--skip-nodes-with-local-storage=false",
                                        "--balance-similar-node-groups=false",
                                        "--leader-elect=true",
                                        "--stderrthreshold=info",
                                        "--v=2",
                                    ],
                                    env: [{ name: "AWS_REGION", value: args.awsRegion }],
                                    ports: [{ name: "metrics", containerPort: 8085 }],
                                    livenessProbe: { httpGet: { path: "/health-check", port: 8085 }, periodSeconds: 30 },
                                    volumeMounts: [{ name: "kube-api", mountPath: KUBE_API_MOUNT, readOnly: true }],
                                },
                                { cpu: "100m", memory: "600Mi", cpuLimit: "500m", memoryLimit: "600Mi" },
                            ),
                        ],
                        volumes: [kubeApiVolume()],
                    }),
                },
            },
        },
        { ...o, dependsOn: [...bindings] },
    );
    new k8s.policy.v1.PodDisruptionBudget(`${name}-autoscaler`, { metadata: meta, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, o);
    return { role, deployment };
}
