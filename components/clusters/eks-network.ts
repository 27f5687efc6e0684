import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { layout } from "../network/cidr";

export interface EksNetworkArgs {
    clusterName: string;
    /** availability zones: one public and one private subnet each */
    zones: string[];
    /** the VPC's /16 */
    cidr: string;
    /** a NAT gateway and private route table per zone, or one NAT gateway in the first zone */
    natGatewayPerZone: boolean;
    tags: Record<string, string>;
    /** prod: the NAT addresses are protected */
    protect: boolean;
}

export interface EksNetwork {
    vpc: aws.ec2.Vpc;
    publicSubnets: Record<string, aws.ec2.Subnet>;
    privateSubnets: Record<string, aws.ec2.Subnet>;
    /** the private (NAT) route table of each zone; zones share one when there is a single NAT gateway */
    privateRouteTables: Record<string, aws.ec2.RouteTable>;
    /** the NAT gateways' Elastic IPs */
    egressIps: pulumi.Output<string>[];
}

/** The private route table a subnet in `zone` uses: its zone's, or the first zone's for a zone without a NAT gateway. */
export function routeTableFor(network: Pick<EksNetwork, "privateRouteTables">, zone: string): aws.ec2.RouteTable {
    const tables = network.privateRouteTables;
    return tables[zone] ?? tables[Object.keys(tables).sort()[0]];
}

const assumeRole = (service: string) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

/** VPC flow logs (accepted and rejected traffic) to a CloudWatch log group, delivered by a role of their own. */
function vpcFlowLogs(name: string, vpc: aws.ec2.Vpc, args: EksNetworkArgs, opts: pulumi.CustomResourceOptions): aws.ec2.FlowLog {
    const group = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, { name: `/globalgrid/vpc/${args.clusterName}`, retentionInDays: 90, tags: args.tags }, opts);
    const role = new aws.iam.Role(`${name}-flow-logs`, { name: `${args.clusterName}-flow-logs`, assumeRolePolicy: assumeRole("vpc-flow-logs.amazonaws.com"), tags: args.tags }, opts);
    new aws.iam.RolePolicy(
        `${name}-flow-logs`,
        {
            role: role.id,
            policy: group.arn.apply((arn) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [arn, `${arn}:*`] }],
                }),
            ),
        },
        opts,
    );
    return new aws.ec2.FlowLog(`${name}-flow-logs`, { vpcId: vpc.id, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: group.arn, iamRoleArn: role.arn, maxAggregationInterval: 600, tags: args.tags }, opts);
}

/**
 * An EKS cluster's VPC: per zone a public subnet (internet-facing load balancers, NAT gateways) and
 * a private subnet (nodes, control-plane ENIs, internal load balancers), tagged for load balancer
 * discovery; a locked default security group; flow logs; NAT egress.
 */
export function createEksNetwork(name: string, args: EksNetworkArgs, opts: pulumi.CustomResourceOptions): EksNetwork {
    const tag = (n: string, extra: Record<string, string> = {}) => ({ ...args.tags, Name: n, ...extra });
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tag(args.clusterName) }, opts);
    // The VPC's default security group admits nothing: every workload names its own group.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, ingress: [], egress: [], tags: tag(`${args.clusterName}-default`) }, opts);
    vpcFlowLogs(name, vpc, args, opts);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tag(args.clusterName) }, opts);
    const publicRt = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tag(`${args.clusterName}-public`) }, opts);
    const publicSubnets: Record<string, aws.ec2.Subnet> = {};
    for (const zone of args.zones) {
        const subnet = new aws.ec2.Subnet(
            `${name}-public-${zone}`,
            { vpcId: vpc.id, availabilityZone: zone, cidrBlock: layout.awsPublic(args.cidr, zone), tags: tag(`${args.clusterName}-public-${zone}`, { "kubernetes.io/role/elb": "1" }) },
            opts,
        );
        new aws.ec2.RouteTableAssociation(`${name}-public-${zone}`, { subnetId: subnet.id, routeTableId: publicRt.id }, opts);
        publicSubnets[zone] = subnet;
    }

    // Egress: a NAT gateway in each zone's public subnet with a private route table per zone (a zone
    // keeps its egress when another zone fails), or one NAT gateway in the first zone for all.
    const egressIps: pulumi.Output<string>[] = [];
    const natRouteTable = (suffix: string, zone: string) => {
        // the egress addresses are admitted by name elsewhere (load balancers, partners): prod keeps them
        const eip = new aws.ec2.Eip(`${name}-nat${suffix}`, { domain: "vpc", tags: tag(`${args.clusterName}-nat${suffix}`) }, { ...opts, protect: args.protect });
        const nat = new aws.ec2.NatGateway(`${name}-nat${suffix}`, { allocationId: eip.id, subnetId: publicSubnets[zone].id, tags: tag(`${args.clusterName}-nat${suffix}`) }, { ...opts, dependsOn: [igw] });
        egressIps.push(eip.publicIp);
        return new aws.ec2.RouteTable(`${name}-private${suffix}`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tag(`${args.clusterName}-private${suffix}`) }, opts);
    };
    const privateRouteTables: Record<string, aws.ec2.RouteTable> = {};
    if (args.natGatewayPerZone) {
        for (const zone of args.zones) privateRouteTables[zone] = natRouteTable(`-${zone}`, zone);
    } else {
        const shared = natRouteTable("", args.zones[0]);
        for (const zone of args.zones) privateRouteTables[zone] = shared;
    }
    const privateSubnets: Record<string, aws.ec2.Subnet> = {};
    for (const zone of args.zones) {
        const subnet = new aws.ec2.Subnet(
            `${name}-private-${zone}`,
            { vpcId: vpc.id, availabilityZone: zone, cidrBlock: layout.awsPrivate(args.cidr, zone), tags: tag(`${args.clusterName}-private-${zone}`, { "kubernetes.io/role/internal-elb": "1" }) },
            opts,
        );
        new aws.ec2.RouteTableAssociation(`${name}-private-${zone}`, { subnetId: subnet.id, routeTableId: privateRouteTables[zone].id }, opts);
        privateSubnets[zone] = subnet;
    }
    return { vpc, publicSubnets, privateSubnets, privateRouteTables, egressIps };
}
