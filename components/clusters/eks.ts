import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { AwsSettings } from "../config/model";
import type { Placement } from "../labels";
import { createClusterAutoscaler, type ClusterAutoscaler } from "./cluster-autoscaler";
import { discoveryTags, NODE_METADATA_OPTIONS, NODE_ROOT_VOLUME } from "./eks-nodes";
import { createEksNetwork } from "./eks-network";
import { ebsCsiAddon, vpcCniAddon } from "./eks-addons";
import { clusterAdminAccess } from "./eks-access";
import { EKS_AMI_TYPE, EKS_KUBERNETES_SERVICE_IP, EKS_SERVICE_CIDR } from "./eks-versions";
import { eksKubeconfig } from "./kubeconfig";
import { layout } from "../network/cidr";
import { childOptions, type Cluster, type DiskStorage, type WorkloadIdentityArgs } from "./cluster";
import { createEksSandboxPools } from "./eks-sandbox-pools";
import { eksWorkloadIdentity } from "./eks-workload-identity";
import type { SandboxPools, SandboxPoolsArgs } from "./sandbox-pools";
import type { GridIdentity } from "../workloads/grid-identity";
import { ecrPullPolicy, eksAddonRepositories } from "../images/ecr";

export interface EksClusterArgs {
    /** physical cluster name (see naming.ts) */
    clusterName: string;
    awsRegion: string;
    /** availability zones of the control plane and system nodes: one private and one public subnet each */
    zones: string[];
    /** the /16 of the cluster's VPC */
    cidr: string;
    /** CIDRs allowed to reach the public API endpoint */
    adminCidrs: string[];
    systemPool: { machineType: string; minNodes: number; maxNodes: number };
    /** Kubernetes version, admin roles, NAT layout (`aws` of the world config) */
    aws: AwsSettings;
    tags: Record<string, string>;
    placement: Placement;
    protect: boolean;
    provider: aws.Provider;
}

type EksPieces = {
    cluster: aws.eks.Cluster;
    vpc: aws.ec2.Vpc;
    /** private subnet per control-plane availability zone */
    privateSubnets: Record<string, aws.ec2.Subnet>;
    /** the private (NAT) route table of each control-plane zone; zones share one when there is a single NAT gateway */
    privateRouteTables: Record<string, aws.ec2.RouteTable>;
    /** public subnet per control-plane availability zone (internet-facing load balancers) */
    publicSubnets: Record<string, aws.ec2.Subnet>;
    systemPool: aws.eks.NodeGroup;
    /** the NAT gateways' Elastic IPs: the addresses the cluster's traffic leaves from */
    egressIps: pulumi.Output<string>[];
    nodeRole: aws.iam.Role;
    oidcProvider: aws.iam.OpenIdConnectProvider;
    /** the VPC CNI add-on (network policy enforcement); node groups depend on it */
    vpcCni: aws.eks.Addon;
    ebsCsi: aws.eks.Addon;
    autoscaler: ClusterAutoscaler;
    /** cluster-admin access of the deployer and break-glass roles */
    adminAccess: aws.eks.AccessPolicyAssociation[];
    kubeconfig: pulumi.Output<string>;
    provider: k8s.Provider;
};

const assumeRole = (service: string) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

/** Control-plane log types the cluster ships to CloudWatch. */
export const EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/**
 * An EKS cluster in its own VPC: private subnets (nodes, NAT egress) and public subnets (load
 * balancers) per zone, NAT gateways (one per zone, or one), IAM roles, KMS envelope encryption of
 * Secrets, all control-plane logs with a bounded retention, an API endpoint restricted to the
 * admin CIDRs and reachable only by the roles with access entries, a pinned Kubernetes version, an
 * AL2023 system node group, the cluster's OIDC provider, the VPC CNI (network policy) and EBS CSI
 * add-ons, Cluster Autoscaler and a Kubernetes provider.
 */
export class EksCluster extends pulumi.ComponentResource implements Cluster {
    readonly cloud = "aws" as const;
    readonly clusterName: pulumi.Output<string>;
    readonly endpoint: pulumi.Output<string>;
    /** the AWS provider (account and region) every AWS resource of the cluster is created with */
    readonly awsProvider: aws.Provider;
    readonly cluster: aws.eks.Cluster;
    readonly vpc: aws.ec2.Vpc;
    /** private subnet per control-plane availability zone */
    readonly privateSubnets: Record<string, aws.ec2.Subnet>;
    /** the private (NAT) route table of each control-plane zone; zones share one when there is a single NAT gateway */
    readonly privateRouteTables: Record<string, aws.ec2.RouteTable>;
    /** public subnet per control-plane availability zone (internet-facing load balancers) */
    readonly publicSubnets: Record<string, aws.ec2.Subnet>;
    readonly systemPool: aws.eks.NodeGroup;
    /** the NAT gateways' Elastic IPs: the addresses the cluster's traffic leaves from */
    readonly egressIps: pulumi.Output<string>[];
    readonly nodeRole: aws.iam.Role;
    readonly oidcProvider: aws.iam.OpenIdConnectProvider;
    /** the VPC CNI add-on (network policy enforcement); node groups depend on it */
    readonly vpcCni: aws.eks.Addon;
    readonly ebsCsi: aws.eks.Addon;
    readonly autoscaler: ClusterAutoscaler;
    /** cluster-admin access of the deployer and break-glass roles */
    readonly adminAccess: aws.eks.AccessPolicyAssociation[];
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    /** the cluster's OIDC issuer (its ServiceAccount tokens' `iss`) */
    readonly issuer: pulumi.Output<string>;
    /** none: the workload identity pool is ours, and every principal refers to it */
    readonly principalsReady: pulumi.Resource[] = [];
    /** the VPC's public subnets, one per zone: an ALB's nodes reach the cluster's nodes from them */
    readonly loadBalancerSources: readonly string[];
    /** the `kubernetes` Service's ClusterIP and the control-plane zones' private subnets */
    readonly apiServerCidrs: readonly string[];
    /** the EBS CSI driver (the add-on), encrypted gp3 volumes */
    readonly diskStorage: DiskStorage = { provisioner: "ebs.csi.aws.com", parameters: { type: "gp3", encrypted: "true" } };
    private readonly physicalName: string;
    private readonly settings: AwsSettings;

    /**
     * Its resources were once created directly under the tier that owns the cluster: each carries
     * an alias naming that parent, so `pulumi up` moves them under this component instead of replacing them.
     */
    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:cluster:Eks", name, {}, opts);
        this.awsProvider = args.provider;
        const built = buildEksCluster(name, args, childOptions(this, opts));
        this.cluster = built.cluster;
        this.vpc = built.vpc;
        this.privateSubnets = built.privateSubnets;
        this.privateRouteTables = built.privateRouteTables;
        this.publicSubnets = built.publicSubnets;
        this.systemPool = built.systemPool;
        this.egressIps = built.egressIps;
        this.nodeRole = built.nodeRole;
        this.oidcProvider = built.oidcProvider;
        this.vpcCni = built.vpcCni;
        this.ebsCsi = built.ebsCsi;
        this.autoscaler = built.autoscaler;
        this.adminAccess = built.adminAccess;
        this.kubeconfig = built.kubeconfig;
        this.provider = built.provider;
        this.physicalName = args.clusterName;
        this.loadBalancerSources = args.zones.map((z) => layout.awsPublic(args.cidr, z));
        this.apiServerCidrs = [`${EKS_KUBERNETES_SERVICE_IP}/32`, ...args.zones.map((z) => layout.awsPrivate(args.cidr, z))];
        this.settings = args.aws;
        this.issuer = this.cluster.identities.apply((ids) => ids[0].oidcs?.[0]?.issuer ?? "");
        this.clusterName = this.cluster.name;
        this.endpoint = this.cluster.endpoint;
        this.registerOutputs({ clusterName: this.clusterName, endpoint: this.endpoint });
    }

    /** gVisor node groups in a subnet of their own in the data center's zone. */
    addSandboxPools(name: string, args: SandboxPoolsArgs, opts: pulumi.CustomResourceOptions): SandboxPools {
        const host = {
            vpc: this.vpc,
            privateRouteTables: this.privateRouteTables,
            cluster: this.cluster,
            clusterName: this.physicalName,
            nodeRole: this.nodeRole,
            vpcCni: this.vpcCni,
            awsProvider: this.awsProvider,
            kubernetesVersion: this.settings.kubernetesVersion,
            gvisorRelease: this.settings.gvisorRelease,
        };
        return createEksSandboxPools(name, args, host, opts);
    }

    /** A Google workload identity pool that trusts this cluster's issuer. */
    workloadIdentity(name: string, args: WorkloadIdentityArgs, opts: pulumi.CustomResourceOptions): GridIdentity {
        return eksWorkloadIdentity(name, args, this.issuer, opts);
    }
}

function buildEksCluster(name: string, args: EksClusterArgs, own: pulumi.CustomResourceOptions): EksPieces {
    const opts = { ...own, provider: args.provider };
    const version = args.aws.kubernetesVersion;
    const tag = (n: string) => ({ ...args.tags, Name: n });
    const network = createEksNetwork(name, { clusterName: args.clusterName, zones: args.zones, cidr: args.cidr, natGatewayPerZone: args.aws.natGatewayPerZone, tags: args.tags, protect: args.protect }, opts);
    const { vpc, publicSubnets, privateSubnets, privateRouteTables, egressIps } = network;

    const clusterRole = new aws.iam.Role(`${name}-cluster-role`, { name: `${args.clusterName}-cluster`, assumeRolePolicy: assumeRole("eks.amazonaws.com"), tags: args.tags }, opts);
    new aws.iam.RolePolicyAttachment(`${name}-cluster-policy`, { role: clusterRole.name, policyArn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy" }, opts);
    // The node role holds what kubelet and image pulls need; the VPC CNI has its own role (eks-addons.ts).
    const nodeRole = new aws.iam.Role(`${name}-node-role`, { name: `${args.clusterName}-nodes`, assumeRolePolicy: assumeRole("ec2.amazonaws.com"), tags: args.tags }, opts);
    for (const policy of ["AmazonEKSWorkerNodePolicy"]) {
        new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${policy}` }, opts);
    }
    // Instead of AmazonEC2ContainerRegistryReadOnly (every repository of every account): pulls from
    // the region's EKS add-on registry only; the region tier adds its agent repositories.
    ecrPullPolicy(`${name}-node-eks-addon-images`, nodeRole, [eksAddonRepositories(args.awsRegion)], opts);
    // Without this key the cluster's Secrets cannot be decrypted: prod protects it like the cluster.
    // Its key policy is the default one (the account's IAM policies decide), so the deployer role's
    // kms:CreateGrant and kms:DescribeKey let EKS create its grant when the cluster is created.
    const secretsKey = new aws.kms.Key(
        `${name}-secrets`,
        { description: `${args.clusterName} Kubernetes Secrets envelope encryption`, enableKeyRotation: true, deletionWindowInDays: 30, tags: args.tags },
        { ...opts, protect: args.protect },
    );
    // EKS writes control-plane logs to this group; created first so its retention applies (EKS would create it with none).
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/aws/eks/${args.clusterName}/cluster`, retentionInDays: 90, tags: args.tags }, opts);

    const cluster = new aws.eks.Cluster(
        name,
        {
            name: args.clusterName,
            version,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: Object.values(privateSubnets).map((s) => s.id),
                endpointPrivateAccess: true,
                endpointPublicAccess: true,
                publicAccessCidrs: args.adminCidrs,
            },
            kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: EKS_SERVICE_CIDR },
            enabledClusterLogTypes: EKS_LOG_TYPES,
            encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
            upgradePolicy: { supportType: "STANDARD" },
            tags: args.tags,
        },
        { ...opts, protect: args.protect, dependsOn: [logGroup] },
    );
    const adminAccess = clusterAdminAccess(
        `${name}-admin`,
        cluster,
        [
            { id: "deployer", principalArn: args.aws.deployerRoleArn },
            { id: "break-glass", principalArn: args.aws.breakGlassRoleArn },
        ],
        args.tags,
        opts,
    );
    // No thumbprint list: IAM then fetches the issuer certificate's top intermediate CA thumbprint itself.
    const oidcProvider = new aws.iam.OpenIdConnectProvider(
        `${name}-oidc`,
        { url: cluster.identities.apply((ids) => ids[0].oidcs?.[0]?.issuer ?? ""), clientIdLists: ["sts.amazonaws.com"], tags: args.tags },
        opts,
    );
    const addonArgs = { cluster, clusterName: args.clusterName, kubernetesVersion: version, oidcProvider, tags: args.tags };
    const vpcCni = vpcCniAddon(name, addonArgs, opts);

    const systemLt = new aws.ec2.LaunchTemplate(
        `${name}-system`,
        {
            namePrefix: `${args.clusterName}-system-`,
            metadataOptions: NODE_METADATA_OPTIONS,
            blockDeviceMappings: [NODE_ROOT_VOLUME],
            tagSpecifications: [{ resourceType: "instance", tags: tag(`${args.clusterName}-system`) }],
            tags: args.tags,
        },
        opts,
    );
    const systemPool = new aws.eks.NodeGroup(
        `${name}-system`,
        {
            clusterName: cluster.name,
            nodeGroupName: `${args.clusterName}-system`,
            version,
            amiType: EKS_AMI_TYPE,
            nodeRoleArn: nodeRole.arn,
            subnetIds: Object.values(privateSubnets).map((s) => s.id),
            instanceTypes: [args.systemPool.machineType],
            scalingConfig: { minSize: args.systemPool.minNodes, maxSize: args.systemPool.maxNodes, desiredSize: args.systemPool.minNodes },
            launchTemplate: { id: systemLt.id, version: systemLt.latestVersion.apply(String) },
            updateConfig: { maxUnavailable: 1 },
            labels: { "globalgrid.dev/pool": "system" },
            tags: { ...args.tags, ...discoveryTags(args.clusterName) },
        },
        { ...opts, dependsOn: [vpcCni], ignoreChanges: ["scalingConfig.desiredSize"] },
    );
    const ebsCsi = ebsCsiAddon(name, addonArgs, { ...opts, dependsOn: [systemPool] });

    const kubeconfig = eksKubeconfig(args.clusterName, cluster.endpoint, cluster.certificateAuthority.apply((ca) => ca.data ?? ""), cluster.name, args.awsRegion, args.aws.deployerRoleArn);
    // Kubernetes objects wait for the deployer's access, the system nodes and the EBS CSI driver
    // (a PVC, such as a Consul server's, binds only once the driver runs).
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig, enableServerSideApply: true }, { ...own, dependsOn: [systemPool, ebsCsi, ...adminAccess] });
    const autoscaler = createClusterAutoscaler(name, {
        clusterName: args.clusterName,
        awsRegion: args.awsRegion,
        kubernetesVersion: version,
        oidcProvider,
        tags: args.tags,
        placement: args.placement,
        awsOpts: opts,
        k8sOpts: { ...own, provider },
    });
    return { cluster, vpc, privateSubnets, privateRouteTables, publicSubnets, systemPool, egressIps, nodeRole, oidcProvider, vpcCni, ebsCsi, autoscaler, adminAccess, kubeconfig, provider };
}
