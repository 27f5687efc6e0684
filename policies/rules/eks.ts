import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { POOL_KEY } from "./untrusted";
import { ofType, type Props } from "./util";

const EKS = "aws:eks/cluster:Cluster";
const ADDON = "aws:eks/addon:Addon";
const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry";
const ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation";
const CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/** The EKS cluster a resource's `clusterName` names: by property dependency, else by name. */
function clusterOf(r: PolicyResource, clusters: PolicyResource[]): PolicyResource | undefined {
    return (r.propertyDependencies.clusterName ?? []).find((d) => clusters.includes(d)) ?? clusters.find((c) => c.props.name === r.props.clusterName);
}
const clusterLabel = (c: PolicyResource) => `EKS cluster "${c.props.name ?? c.name}"`;

function parseJson(text: unknown): Props {
    try {
        return typeof text === "string" && text ? (JSON.parse(text) as Props) : {};
    } catch {
        return {};
    }
}

export const eksRequiredAddons: StackValidationPolicy = {
    name: "eks-required-addons",
    description:
        "Every EKS cluster runs the VPC CNI add-on with network policy enforcement on (NetworkPolicies are ignored otherwise) and the EBS CSI driver add-on (ebs.csi.aws.com provisions every PVC) with its own IAM role; both pinned to an add-on version.",
    enforcementLevel: "mandatory",
    remediationSteps: "Create the cluster with components/clusters/eks.ts: vpc-cni with configurationValues {\"enableNetworkPolicy\":\"true\"} and aws-ebs-csi-driver with serviceAccountRoleArn, each with addonVersion.",
    validateStack: (args, report) => {
        const clusters = args.resources.filter((r) => r.type === EKS);
        const addons = args.resources.filter((r) => r.type === ADDON);
        for (const c of clusters) {
            const mine = addons.filter((a) => clusterOf(a, clusters) === c);
            const cni = mine.find((a) => a.props.addonName === "vpc-cni");
            const ebs = mine.find((a) => a.props.addonName === "aws-ebs-csi-driver");
            if (!cni) report(`${clusterLabel(c)} has no vpc-cni add-on (network policy enforcement)`, c.urn);
            else {
                const np = parseJson(cni.props.configurationValues).enableNetworkPolicy;
                if (np !== "true" && np !== true) report(`${clusterLabel(c)} vpc-cni add-on does not enable network policy (configurationValues.enableNetworkPolicy)`, cni.urn);
            }
            if (!ebs) report(`${clusterLabel(c)} has no aws-ebs-csi-driver add-on`, c.urn);
            else if (!ebs.props.serviceAccountRoleArn && !((ebs.props.podIdentityAssociations ?? []) as Props[]).length) report(`${clusterLabel(c)} aws-ebs-csi-driver add-on has no IAM role of its own`, ebs.urn);
            for (const a of [cni, ebs]) if (a && !a.props.addonVersion) report(`${clusterLabel(c)} add-on ${a.props.addonName} is not pinned to an addonVersion`, a.urn);
        }
    },
};

export const eksPinnedNodes: ResourceValidationPolicy = {
    name: "eks-pinned-versions",
    description: "EKS clusters and node groups pin their Kubernetes version; node groups run Amazon Linux 2023 (nodeadm), the image the gVisor user data is written for.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set `version` on the cluster and node groups (aws.kubernetesVersion) and amiType AL2023_x86_64_STANDARD on node groups.",
    validateResource: [
        ofType(EKS, (props, _args, report) => {
            if (!props.version) report(`EKS cluster "${props.name}" does not pin its Kubernetes version`);
        }),
        ofType(NODE_GROUP, (props, _args, report) => {
            if (!props.version) report(`node group "${props.nodeGroupName}" does not pin its Kubernetes version`);
            if (!/^AL2023_/.test(String(props.amiType ?? ""))) report(`node group "${props.nodeGroupName}" does not run Amazon Linux 2023 (amiType ${props.amiType ?? "default"})`);
        }),
    ],
};

/** What the grid node groups' user data must hold for gVisor on AL2023 (see components/clusters/gvisor-user-data.ts). */
export function gvisorUserDataProblems(userDataBase64: unknown): string[] {
    const text = Buffer.from(String(userDataBase64 ?? ""), "base64").toString("utf8");
    const problems: string[] = [];
    if (!/^Content-Type: multipart\/mixed/m.test(text)) problems.push("is not MIME multipart");
    if (!/^Content-Type: application\/node\.eks\.aws/m.test(text)) problems.push("has no NodeConfig (application/node.eks.aws) part");
    // containerd 2.x (config version 3, what the AL2023 AMIs ship) keeps CRI runtimes under io.containerd.cri.v1.runtime
    if (!text.includes("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runsc]") || !text.includes('runtime_type = "io.containerd.runsc.v1"'))
        problems.push("does not register runsc in the NodeConfig containerd config");
    if (text.includes("config.d/")) problems.push("writes a containerd config.d drop-in, which AL2023's generated config never imports");
    if (!/sha512sum -c/.test(text)) problems.push("does not verify the gVisor download (sha512sum -c)");
    return problems;
}

export const eksGvisorNodeadm: StackValidationPolicy = {
    name: "eks-gvisor-nodeadm",
    description: "Grid node groups (customer code) on EKS register runsc through a nodeadm NodeConfig containerd config and verify the gVisor binaries before installing them.",
    enforcementLevel: "mandatory",
    remediationSteps: "Use components/clusters/gvisor-user-data.ts for the grid node groups' launch template user data.",
    configSchema: {
        properties: { sandboxPools: { type: "array", items: { type: "string" }, default: ["warm-pool", "job-grid"], description: "pool label values that run customer code" } },
    },
    validateStack: (args, report) => {
        const sandbox = (args.getConfig<{ sandboxPools: string[] }>().sandboxPools ?? []) as string[];
        const templates = args.resources.filter((r) => r.type === LAUNCH_TEMPLATE);
        for (const ng of args.resources.filter((r) => r.type === NODE_GROUP && sandbox.includes(r.props.labels?.[POOL_KEY]))) {
            const lt = (ng.propertyDependencies.launchTemplate ?? []).find((d) => templates.includes(d)) ?? templates.find((t) => t.props.id !== undefined && t.props.id === ng.props.launchTemplate?.id);
            const label = `grid node group "${ng.props.nodeGroupName}"`;
            if (!lt) {
                report(`${label} has no launch template with the gVisor user data`, ng.urn);
                continue;
            }
            for (const p of gvisorUserDataProblems(lt.props.userData)) report(`${label} user data ${p}`, ng.urn);
        }
    },
};

export const eksAccessEntries: StackValidationPolicy = {
    name: "eks-access-entries",
    description: "EKS clusters authenticate through access entries, and at least one IAM role besides the creator holds AmazonEKSClusterAdminPolicy.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set accessConfig.authenticationMode API (or API_AND_CONFIG_MAP) and add AccessEntry + AccessPolicyAssociation (AmazonEKSClusterAdminPolicy) for the deployer and break-glass roles (aws.deployerRoleArn, aws.breakGlassRoleArn).",
    validateStack: (args, report) => {
        const clusters = args.resources.filter((r) => r.type === EKS);
        const entries = args.resources.filter((r) => r.type === ACCESS_ENTRY);
        const associations = args.resources.filter((r) => r.type === ACCESS_POLICY);
        for (const c of clusters) {
            const mode = c.props.accessConfig?.authenticationMode;
            if (mode !== "API" && mode !== "API_AND_CONFIG_MAP") report(`${clusterLabel(c)} does not use access entries (authenticationMode ${mode ?? "CONFIG_MAP"})`, c.urn);
            const principals = new Set(entries.filter((e) => clusterOf(e, clusters) === c).map((e) => e.props.principalArn));
            const admins = associations.filter((a) => clusterOf(a, clusters) === c && a.props.policyArn === CLUSTER_ADMIN && a.props.accessScope?.type === "cluster" && principals.has(a.props.principalArn));
            if (!admins.length) report(`${clusterLabel(c)} has no access entry with AmazonEKSClusterAdminPolicy; only its creator could reach the API`, c.urn);
        }
    },
};

const stackOf = (urn: string): string => urn.split("::")[0].split(":").slice(2).join(":");
const depOf = (r: PolicyResource, prop: string, type: string): PolicyResource | undefined => (r.propertyDependencies[prop] ?? []).find((d) => d.type === type);

export const eksNatPerZone: StackValidationPolicy = {
    name: "eks-nat-per-zone",
    description: "In the configured stacks (prod), every EKS cluster's private subnet leaves through a NAT gateway in its own availability zone, so losing a zone does not cut the others' egress.",
    enforcementLevel: "mandatory",
    remediationSteps: "Keep aws.natGatewayPerZone true (the prod default): components/clusters/eks.ts then creates a NAT gateway and private route table per zone.",
    configSchema: { properties: { stacks: { type: "array", items: { type: "string" }, default: ["prod"], description: "stacks that need a NAT gateway per zone" } } },
    validateStack: (args, report) => {
        const stacks = args.getConfig<{ stacks: string[] }>().stacks;
        if (!args.resources.length || !stacks.includes(stackOf(args.resources[0].urn))) args.notApplicable("not a stack that needs a NAT gateway per zone");
        for (const assoc of args.resources.filter((r) => r.type === "aws:ec2/routeTableAssociation:RouteTableAssociation")) {
            const subnet = depOf(assoc, "subnetId", "aws:ec2/subnet:Subnet");
            // the clusters' private subnets (internal load balancers, nodes, control-plane ENIs)
            if (!subnet || subnet.props.tags?.["kubernetes.io/role/internal-elb"] !== "1") continue;
            const table = depOf(assoc, "routeTableId", "aws:ec2/routeTable:RouteTable");
            const nat = table && depOf(table, "routes", "aws:ec2/natGateway:NatGateway");
            const natSubnet = nat && depOf(nat, "subnetId", "aws:ec2/subnet:Subnet");
            const zone = subnet.props.availabilityZone;
            if (!natSubnet) report(`private subnet "${subnet.name}" (${zone}) has no NAT gateway route`, subnet.urn);
            else if (natSubnet.props.availabilityZone !== zone) report(`private subnet "${subnet.name}" (${zone}) leaves through a NAT gateway in ${natSubnet.props.availabilityZone}`, subnet.urn);
        }
    },
};

const DEPLOYMENTS = "kubernetes:apps/v1:Deployment";
const AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler:";

export const eksNodeAutoscaler: StackValidationPolicy = {
    name: "eks-node-autoscaler",
    description: "Every EKS cluster runs Cluster Autoscaler discovering its node groups (EKS grows no node group by itself), at the Kubernetes minor of the cluster.",
    enforcementLevel: "mandatory",
    remediationSteps: "Create the cluster with components/clusters/eks.ts (components/clusters/cluster-autoscaler.ts), image tag from components/clusters/eks-versions.ts.",
    validateStack: (args, report) => {
        const autoscalers = args.resources
            .filter((r) => r.type === DEPLOYMENTS)
            .flatMap((d) => ((d.props.spec?.template?.spec?.containers ?? []) as Props[]).filter((c) => String(c.image ?? "").startsWith(AUTOSCALER_IMAGE)));
        for (const c of args.resources.filter((r) => r.type === EKS)) {
            const name = c.props.name;
            const mine = autoscalers.find((a) => ((a.command ?? a.args ?? []) as string[]).some((arg) => arg.startsWith("--node-group-auto-discovery=asg:tag=") && arg.split(",").includes(`k8s.io/cluster-autoscaler/${name}`)));
            if (!mine) report(`${clusterLabel(c)} has no Cluster Autoscaler discovering its node groups`, c.urn);
            else if (c.props.version && !String(mine.image).startsWith(`${AUTOSCALER_IMAGE}v${c.props.version}.`)) report(`${clusterLabel(c)} runs Cluster Autoscaler ${mine.image}, not a ${c.props.version} release`, c.urn);
        }
    },
};

export const eksKubeconfigRole: ResourceValidationPolicy = {
    name: "eks-kubeconfig-role",
    description: "Kubernetes providers of EKS clusters mint their tokens as a named role (`aws eks get-token --role-arn`), the one with a cluster-admin access entry, not as whatever identity runs Pulumi.",
    enforcementLevel: "mandatory",
    remediationSteps: "Build the kubeconfig with eksKubeconfig (components/clusters/kubeconfig.ts), passing aws.deployerRoleArn.",
    validateResource: ofType("pulumi:providers:kubernetes", (props, _args, report) => {
        const kubeconfig = parseJson(props.kubeconfig);
        for (const u of (kubeconfig.users ?? []) as Props[]) {
            const exec = u.user?.exec;
            const argv = (exec?.args ?? []) as string[];
            if (exec?.command !== "aws" || !argv.includes("get-token")) continue;
            const i = argv.indexOf("--role-arn");
            if (i < 0 || !/^arn:aws:iam::\d{12}:role\//.test(argv[i + 1] ?? "")) report(`kubeconfig user "${u.name}" runs aws eks get-token without --role-arn <role>`);
        }
    }),
};

export const eksPolicies = [eksRequiredAddons, eksPinnedNodes, eksGvisorNodeadm, eksAccessEntries, eksNatPerZone, eksNodeAutoscaler, eksKubeconfigRole];
