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
export function createAwsSyncPath(args: SyncPathImplArgs<Extract<SyncTarget, { cloud: "aws" }>>, parent: pulumi.Resource): SyncPathFrontend {
    const { names, region, dataCenter: dc, host } = args;
    const eks = args.dataPlane;
    const { awsProvider } = eks;
    const opts = { parent, provider: awsProvider };
    const p = `${dc.name}-sync`;
    const lbName = names.syncLoadBalancer(dc.name);
    const tgName = names.syncTargetGroup(dc.name);
    const tags = (name?: string) => awsTags("sync-load-balancer", args.placement, name);
    const nodePort = args.broker.nodePort.apply((port) => {
        if (port === undefined) throw new Error(`${dc.name}: the broker Service has no node port`);
        return port;
    });

    const albSg = new aws.ec2.SecurityGroup(
        `${p}-alb`,
        {
            name: `${lbName}-alb`,
            description: `${dc.name} synchronous path ALB: HTTPS from anywhere, to the broker node port`,
            vpcId: eks.vpc.id,
            ingress: [{ description: "site requests", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
            egress: [{ description: "broker node port", protocol: "tcp", fromPort: nodePort, toPort: nodePort, cidrBlocks: [region.cidr] }],
            tags: tags(`${lbName}-alb`),
        },
        opts,
    );
    albToNodePort(`${p}-nodes`, { cluster: eks, albSecurityGroupId: albSg.id, port: nodePort, description: `${dc.name} synchronous path ALB to the broker node port`, tags: tags() }, opts);
    const alb = internetFacingAlb(
        `${p}-alb`,
        { name: lbName, securityGroupId: albSg.id, cluster: eks, idleTimeout: IDLE_TIMEOUT_SECONDS, protect: region.protect, tags: tags(lbName) },
        opts,
    );
    albWebAcl(`${p}-waf`, { name: `${lbName}-waf`, description: `${dc.name} synchronous path ALB`, loadBalancerArn: alb.arn, tags: tags(`${lbName}-waf`) }, opts);
    const targetGroup = new aws.lb.TargetGroup(
        `${p}-broker`,
        {
            name: tgName,
            vpcId: eks.vpc.id,
            targetType: "instance",
            port: nodePort,
            protocol: "HTTP",
            // longer than the broker's drain: a node leaving the group finishes its requests
            deregistrationDelay: IDLE_TIMEOUT_SECONDS,
            healthCheck: { enabled: true, protocol: "HTTP", port: "traffic-port", path: BROKER_HEALTH_PATH, matcher: "200", interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
            tags: tags(tgName),
        },
        opts,
    );
    attachSystemNodes(`${p}-broker`, { cluster: eks, targetGroupArn: targetGroup.arn }, opts);

    const certificate = new aws.acm.Certificate(`${p}-cert`, { domainName: host, validationMethod: "DNS", keyAlgorithm: "EC_prime256v1", tags: tags(host) }, opts);
    const validation = certificate.domainValidationOptions.apply((o) => {
        if (!o?.[0]) throw new Error(`${dc.name}: ACM gave no DNS validation record for ${host}`);
        return o[0];
    });
    const validationRecord = new gcp.dns.RecordSet(
        `${p}-cert-validation`,
        { name: validation.resourceRecordName, project: args.context.project, managedZone: args.context.dnsZone, type: validation.resourceRecordType, ttl: 300, rrdatas: [validation.resourceRecordValue] },
        { parent },
    );
    const validated = new aws.acm.CertificateValidation(
        `${p}-cert`,
        { certificateArn: certificate.arn, validationRecordFqdns: [validationRecord.name.apply((n) => n.replace(/\.$/, ""))] },
        { ...opts, dependsOn: [validationRecord] },
    );
    new aws.lb.Listener(
        `${p}-https`,
        {
            loadBalancerArn: alb.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: ALB_SSL_POLICY,
            certificateArn: validated.certificateArn,
            defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            tags: tags(),
        },
        opts,
    );
    const dnsRecord = loadBalancerDnsRecord(`${p}-dns`, { host, type: "CNAME", target: pulumi.interpolate`${alb.dnsName}.`, context: args.context }, parent);
    return { address: alb.dnsName, dnsRecord };
}
