import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import { awsTags } from "../labels";
import { BROKER_HEALTH_PATH } from "../workloads/broker";
import { ALB_SSL_POLICY, albToNodePort, attachSystemNodes, internetFacingAlb } from "./aws-alb";
import { loadBalancerDnsRecord } from "./load-balancer-dns";
import type { SyncPathFrontend, SyncPathImplArgs, SyncTarget } from "./sync-common";
import { albWebAcl } from "./sync-protection";

/** Longer than the broker's request timeout (60 s). */
const IDLE_TIMEOUT_SECONDS = 75;

/**
 * AWS: an internet-facing ALB per data center in the region VPC's public subnets. Its HTTPS
 * listener presents an ACM certificate for `<dc>.sync.<domain>` (DNS validation: the CNAME ACM asks
 * for is written to the world's Cloud DNS zone, and the listener waits for the validation) with a
 * TLS 1.2+ policy. Targets are the region cluster's system nodes on the broker Service's node port;
 * externalTrafficPolicy Local keeps the ALB node's address as the source (what the broker's
 * NetworkPolicy admits) and fails the health check on nodes without a broker pod. A regional WAF web
 * ACL associated with the ALB limits each client IP and filters web attacks (sync-protection.ts).
 */
export function createAwsSyncPath(args: AwsSyncArgs, parent: pulumi.Resource): SyncPathFrontend {
    const s = scopeOf(args, parent);
    const { p, lbName, tags, opts } = s;
    const dc = args.dataCenter.name;
    const nodePort = args.broker.nodePort.apply((port) => {
        if (port === undefined) throw new Error(`${dc}: the broker Service has no node port`);
        return port;
    });
    const albSg = albSecurityGroup(s, nodePort);
    const alb = internetFacingAlb(
        `${p}-alb`,
        { name: lbName, securityGroupId: albSg.id, cluster: args.dataPlane, idleTimeout: IDLE_TIMEOUT_SECONDS, protect: args.region.protect, tags: tags(lbName) },
        opts,
    );
    albWebAcl(`${p}-waf`, { name: `${lbName}-waf`, description: `${dc} synchronous path ALB`, loadBalancerArn: alb.arn, tags: tags(`${lbName}-waf`) }, opts);
    const targetGroup = brokerTargetGroup(s, nodePort);
    const certificateArn = validatedCertificate(s);
    new aws.lb.Listener(
        `${p}-https`,
        {
            loadBalancerArn: alb.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: ALB_SSL_POLICY,
            certificateArn,
            defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            tags: tags(),
        },
        opts,
    );
    const dnsRecord = loadBalancerDnsRecord(`${p}-dns`, { host: args.host, type: "CNAME", target: pulumi.interpolate`${alb.dnsName}.`, context: args.context }, parent);
    return { address: alb.dnsName, dnsRecord };
}

type AwsSyncArgs = SyncPathImplArgs<Extract<SyncTarget, { cloud: "aws" }>>;

/** What every piece of one data center's AWS synchronous-path load balancer is named, tagged and placed by. */
interface Scope {
    args: AwsSyncArgs;
    /** prefix of the Pulumi resource names: `<dc>-sync` */
    p: string;
    lbName: string;
    tags: (name?: string) => Record<string, string>;
    /** parented to the sync path component, created by the region cluster's AWS provider */
    opts: { parent: pulumi.Resource; provider: aws.Provider };
}

function scopeOf(args: AwsSyncArgs, parent: pulumi.Resource): Scope {
    return {
        args,
        p: `${args.dataCenter.name}-sync`,
        lbName: args.names.syncLoadBalancer(args.dataCenter.name),
        tags: (name) => awsTags("sync-load-balancer", args.placement, name),
        opts: { parent, provider: args.dataPlane.awsProvider },
    };
}

/**
 * The ALB's security group: HTTPS in from anywhere (sites' clients are the public), out only to the
 * broker node port in the region's CIDR; the cluster security group admits it to that node port.
 */
function albSecurityGroup(s: Scope, nodePort: pulumi.Output<number>): aws.ec2.SecurityGroup {
    const { dataCenter: dc, region, dataPlane: eks } = s.args;
    const albSg = new aws.ec2.SecurityGroup(
        `${s.p}-alb`,
        {
            name: `${s.lbName}-alb`,
            description: `${dc.name} synchronous path ALB: HTTPS from anywhere, to the broker node port`,
            vpcId: eks.vpc.id,
            ingress: [{ description: "site requests", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
            egress: [{ description: "broker node port", protocol: "tcp", fromPort: nodePort, toPort: nodePort, cidrBlocks: [region.cidr] }],
            tags: s.tags(`${s.lbName}-alb`),
        },
        s.opts,
    );
    albToNodePort(`${s.p}-nodes`, { cluster: eks, albSecurityGroupId: albSg.id, port: nodePort, description: `${dc.name} synchronous path ALB to the broker node port`, tags: s.tags() }, s.opts);
    return albSg;
}

/**
 * The target group: HTTP to the broker node port on the system nodes, healthy when the broker's own
 * health endpoint answers 200; attached to the system nodes' Auto Scaling group.
 */
function brokerTargetGroup(s: Scope, nodePort: pulumi.Output<number>): aws.lb.TargetGroup {
    const tgName = s.args.names.syncTargetGroup(s.args.dataCenter.name);
    const targetGroup = new aws.lb.TargetGroup(
        `${s.p}-broker`,
        {
            name: tgName,
            vpcId: s.args.dataPlane.vpc.id,
            targetType: "instance",
            port: nodePort,
            protocol: "HTTP",
            // longer than the broker's drain: a node leaving the group finishes its requests
            deregistrationDelay: IDLE_TIMEOUT_SECONDS,
            healthCheck: { enabled: true, protocol: "HTTP", port: "traffic-port", path: BROKER_HEALTH_PATH, matcher: "200", interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
            tags: s.tags(tgName),
        },
        s.opts,
    );
    attachSystemNodes(`${s.p}-broker`, { cluster: s.args.dataPlane, targetGroupArn: targetGroup.arn }, s.opts);
    return targetGroup;
}

/**
 * The listener's certificate: an ACM certificate for the host, DNS-validated through a record in the
 * world's Cloud DNS zone. Returns the ARN from the validation, so the listener waits until ACM has
 * issued it.
 */
function validatedCertificate(s: Scope): pulumi.Output<string> {
    const { host, context, dataCenter: dc } = s.args;
    const certificate = new aws.acm.Certificate(`${s.p}-cert`, { domainName: host, validationMethod: "DNS", keyAlgorithm: "EC_prime256v1", tags: s.tags(host) }, s.opts);
    const validation = certificate.domainValidationOptions.apply((o) => {
        if (!o?.[0]) throw new Error(`${dc.name}: ACM gave no DNS validation record for ${host}`);
        return o[0];
    });
    const validationRecord = new gcp.dns.RecordSet(
        `${s.p}-cert-validation`,
        { name: validation.resourceRecordName, project: context.project, managedZone: context.dnsZone, type: validation.resourceRecordType, ttl: 300, rrdatas: [validation.resourceRecordValue] },
        { parent: s.opts.parent },
    );
    const validated = new aws.acm.CertificateValidation(
        `${s.p}-cert`,
        { certificateArn: certificate.arn, validationRecordFqdns: [validationRecord.name.apply((n) => n.replace(/\.$/, ""))] },
        { ...s.opts, dependsOn: [validationRecord] },
    );
    return validated.certificateArn;
}
