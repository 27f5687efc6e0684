import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { layout } from "../network/cidr";
import { eksKubeconfig } from "./kubeconfig";
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
    tags: Record<string, string>;
    protect: boolean;
    provider: aws.Provider;
}

export interface EksCluster {
    cluster: aws.eks.Cluster;
    vpc: aws.ec2.Vpc;
    /** private subnet per control-plane availability zone */
    privateSubnets: Record<string, aws.ec2.Subnet>;
    /** the NAT route table that data-center subnets associate with */
    privateRouteTable: aws.ec2.RouteTable;
    /** public subnet per control-plane availability zone (internet-facing load balancers) */
    publicSubnets: Record<string, aws.ec2.Subnet>;
    systemPool: aws.eks.NodeGroup;
    /** the NAT gateway's Elastic IP: the address the cluster's traffic leaves from */
    egressIps: pulumi.Output<string>[];
    nodeRole: aws.iam.Role;
    oidcProvider: aws.iam.OpenIdConnectProvider;
    kubeconfig: pulumi.Output<string>;
    provider: k8s.Provider;
}

const assumeRole = (service: string) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

/**
 * An EKS cluster in its own VPC: private subnets (nodes, NAT egress) and public subnets (load
 * balancers) per zone, IAM roles, KMS envelope encryption of Secrets, all control-plane logs,
 * an API endpoint restricted to the admin CIDRs, a system node group, the cluster's OIDC provider
 * and a Kubernetes provider.
 */
export function createEksCluster(name: string, args: EksClusterArgs, parent: pulumi.Resource): EksCluster {
    const opts = { parent, provider: args.provider };
    const tag = (n: string, extra: Record<string, string> = {}) => ({ ...args.tags, Name: n, ...extra });
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tag(args.clusterName) }, opts);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tag(args.clusterName) }, opts);
    const publicRt = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tag(`${args.clusterName}-public`) }, opts);
    const publicSubnets = args.zones.map((zone) => {
        const subnet = new aws.ec2.Subnet(
            `${name}-public-${zone}`,
            { vpcId: vpc.id, availabilityZone: zone, cidrBlock: layout.awsPublic(args.cidr, zone), tags: tag(`${args.clusterName}-public-${zone}`, { "kubernetes.io/role/elb": "1" }) },
            opts,
        );
        new aws.ec2.RouteTableAssociation(`${name}-public-${zone}`, { subnetId: subnet.id, routeTableId: publicRt.id }, opts);
        return subnet;
    });
    const eip = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc", tags: tag(`${args.clusterName}-nat`) }, opts);
    const nat = new aws.ec2.NatGateway(`${name}-nat`, { allocationId: eip.id, subnetId: publicSubnets[0].id, tags: tag(`${args.clusterName}-nat`) }, { ...opts, dependsOn: [igw] });
    const privateRt = new aws.ec2.RouteTable(`${name}-private`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tag(`${args.clusterName}-private`) }, opts);
    const privateSubnets: Record<string, aws.ec2.Subnet> = {};
    args.zones.forEach((zone) => {
        const subnet = new aws.ec2.Subnet(
            `${name}-private-${zone}`,
            { vpcId: vpc.id, availabilityZone: zone, cidrBlock: layout.awsPrivate(args.cidr, zone), tags: tag(`${args.clusterName}-private-${zone}`, { "kubernetes.io/role/internal-elb": "1" }) },
            opts,
        );
        new aws.ec2.RouteTableAssociation(`${name}-private-${zone}`, { subnetId: subnet.id, routeTableId: privateRt.id }, opts);
        privateSubnets[zone] = subnet;
    });

    const clusterRole = new aws.iam.Role(`${name}-cluster-role`, { name: `${args.clusterName}-cluster`, assumeRolePolicy: assumeRole("eks.amazonaws.com"), tags: args.tags }, opts);
    new aws.iam.RolePolicyAttachment(`${name}-cluster-policy`, { role: clusterRole.name, policyArn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy" }, opts);
    const nodeRole = new aws.iam.Role(`${name}-node-role`, { name: `${args.clusterName}-nodes`, assumeRolePolicy: assumeRole("ec2.amazonaws.com"), tags: args.tags }, opts);
    for (const policy of ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]) {
        new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${policy}` }, opts);
    }
    // Instead of AmazonEC2ContainerRegistryReadOnly (every repository of every account): pulls from
    // the region's EKS add-on registry only; the region tier adds its agent repositories.
    ecrPullPolicy(`${name}-node-eks-addon-images`, nodeRole, [eksAddonRepositories(args.awsRegion)], opts);
    const secretsKey = new aws.kms.Key(`${name}-secrets`, { description: `${args.clusterName} Kubernetes Secrets envelope encryption`, enableKeyRotation: true, deletionWindowInDays: 30, tags: args.tags }, opts);

    const cluster = new aws.eks.Cluster(
        name,
        {
            name: args.clusterName,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: Object.values(privateSubnets).map((s) => s.id),
                endpointPrivateAccess: true,
                endpointPublicAccess: true,
                publicAccessCidrs: args.adminCidrs,
            },
            enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
            encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            tags: args.tags,
        },
        { ...opts, protect: args.protect },
    );
    const systemPool = new aws.eks.NodeGroup(
        `${name}-system`,
        {
            clusterName: cluster.name,
            nodeGroupName: `${args.clusterName}-system`,
            nodeRoleArn: nodeRole.arn,
            subnetIds: Object.values(privateSubnets).map((s) => s.id),
            instanceTypes: [args.systemPool.machineType],
            scalingConfig: { minSize: args.systemPool.minNodes, maxSize: args.systemPool.maxNodes, desiredSize: args.systemPool.minNodes },
            labels: { "globalgrid.dev/pool": "system" },
            tags: args.tags,
        },
        { ...opts, ignoreChanges: ["scalingConfig.desiredSize"] },
    );
    const oidcProvider = new aws.iam.OpenIdConnectProvider(
        `${name}-oidc`,
        { url: cluster.identities.apply((ids) => ids[0].oidcs?.[0]?.issuer ?? ""), clientIdLists: ["sts.amazonaws.com"], tags: args.tags },
        opts,
    );
    const kubeconfig = eksKubeconfig(args.clusterName, cluster.endpoint, cluster.certificateAuthority.apply((ca) => ca.data ?? ""), cluster.name, args.awsRegion);
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig, enableServerSideApply: true }, { parent, dependsOn: [systemPool] });
    const publicByZone = Object.fromEntries(args.zones.map((zone, i) => [zone, publicSubnets[i]]));
    return { cluster, vpc, privateSubnets, privateRouteTable: privateRt, publicSubnets: publicByZone, systemPool, egressIps: [eip.publicIp], nodeRole, oidcProvider, kubeconfig, provider };
}
