import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { awsTags } from "../labels";
import type { EksCluster } from "../clusters/eks";
import { loadBalancerDnsRecord } from "./load-balancer-dns";
import { GRPC_PATH_PREFIX, HEALTH_PATH, type MtlsFrontend, type MtlsImplArgs } from "./mtls-common";

/** the standard gRPC health method (grpc.health.v1) */
const GRPC_HEALTH_PATH = "/grpc.health.v1.Health/Check";
const BUNDLE_KEY = "ca-bundle.pem";
/** TLS 1.3 with TLS 1.2 fallback, forward-secret ciphers only */
export const ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** Consul blocking queries wait up to 5 minutes. */
const IDLE_TIMEOUT_SECONDS = 360;

/**
 * AWS: an internet-facing ALB in the continent's public subnets whose HTTPS listener verifies
 * client certificates against a TrustStore (the region's intermediate and the root, in a
 * private, encrypted, versioned bucket). Its security group admits 443 only from the data
 * centers' egress addresses. Targets are the continent's system nodes on the Consul API
 * Service's node port (externalTrafficPolicy Local: only nodes running a server pass the check).
 */
export function createAwsMtls(args: MtlsImplArgs<EksCluster>, parent: pulumi.Resource): MtlsFrontend {
    const { names, region, continent } = args;
    const eks = args.cluster;
    const opts = { parent, provider: args.cluster.awsProvider };
    const p = `${region.name}-cp`;
    const tags = (name?: string) => awsTags("control-plane-load-balancer", args.placement, name);
    const lbName = names.controlPlaneLoadBalancer(region.name);
    const nodePortOf = (port: pulumi.Output<number | undefined>, what: string) =>
        port.apply((x) => {
            if (x === undefined) throw new Error(`${region.name}: the Consul API Service has no ${what} node port`);
            return x;
        });
    const nodePort = nodePortOf(args.consul.apiNodePort, "HTTPS");
    const grpcNodePort = nodePortOf(args.consul.grpcNodePort, "gRPC TLS");

    // The CA bundle the TrustStore reads.
    const bucket = new aws.s3.Bucket(`${p}-ca`, { bucket: names.caBundleBucket(region.name), forceDestroy: false, tags: tags() }, opts);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${p}-ca`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        opts,
    );
    new aws.s3.BucketOwnershipControls(`${p}-ca`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
    const versioning = new aws.s3.BucketVersioning(`${p}-ca`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        `${p}-ca`,
        { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
        opts,
    );
    new aws.s3.BucketPolicy(
        `${p}-ca`,
        {
            bucket: bucket.id,
            policy: bucket.arn.apply((arn) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }],
                }),
            ),
        },
        { ...opts, dependsOn: [publicAccess] },
    );
    const bundle = new aws.s3.BucketObjectv2(
        `${p}-ca-bundle`,
        { bucket: bucket.id, key: BUNDLE_KEY, content: args.caBundle, contentType: "application/x-pem-file", tags: tags() },
        { ...opts, dependsOn: [versioning, encryption] },
    );
    const trustStore = new aws.lb.TrustStore(
        `${p}-trust`,
        { name: lbName, caCertificatesBundleS3Bucket: bucket.id, caCertificatesBundleS3Key: bundle.key, caCertificatesBundleS3ObjectVersion: bundle.versionId, tags: tags(lbName) },
        opts,
    );

    const albSg = new aws.ec2.SecurityGroup(
        `${p}-alb`,
        {
            name: `${lbName}-alb`,
            description: `${region.name} control-plane ALB: 443 from the data centers only`,
            vpcId: eks.vpc.id,
            ingress: [
                {
                    description: "data centers' NAT egress",
                    protocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrBlocks: pulumi.all(args.clientSourceIps).apply((ips) => ips.map((ip) => `${ip}/32`)),
                },
                // the operator's `pulumi up` (the consul provider declares the ACLs through this load balancer)
                { description: "admin CIDRs", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [...args.context.adminCidrs] },
            ],
            egress: [
                { description: "Consul HTTPS API node port", protocol: "tcp", fromPort: nodePort, toPort: nodePort, cidrBlocks: [continent.cidr] },
                { description: "Consul gRPC TLS node port", protocol: "tcp", fromPort: grpcNodePort, toPort: grpcNodePort, cidrBlocks: [continent.cidr] },
            ],
            tags: tags(`${lbName}-alb`),
        },
        opts,
    );
    for (const [suffix, port, what] of [["nodes", nodePort, "HTTPS API"], ["nodes-grpc", grpcNodePort, "gRPC TLS"]] as const) {
        new aws.vpc.SecurityGroupIngressRule(
            `${p}-${suffix}`,
            {
                securityGroupId: eks.cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId),
                referencedSecurityGroupId: albSg.id,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                description: `${region.name} control-plane ALB to the Consul ${what} node port`,
                tags: tags(),
            },
            opts,
        );
    }
    const alb = new aws.lb.LoadBalancer(
        `${p}-alb`,
        {
            name: lbName,
            internal: false,
            loadBalancerType: "application",
            securityGroups: [albSg.id],
            subnets: Object.values(eks.publicSubnets).map((s) => s.id),
            dropInvalidHeaderFields: true,
            idleTimeout: IDLE_TIMEOUT_SECONDS,
            enableDeletionProtection: region.protect,
            tags: tags(lbName),
        },
        opts,
    );
    const targetGroup = new aws.lb.TargetGroup(
        `${p}-consul`,
        {
            name: names.controlPlaneTargetGroup(region.name),
            vpcId: eks.vpc.id,
            targetType: "instance",
            port: nodePort,
            protocol: "HTTPS",
            protocolVersion: "HTTP2",
            deregistrationDelay: 30,
            healthCheck: { enabled: true, protocol: "HTTPS", port: "traffic-port", path: HEALTH_PATH, matcher: "200", interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
            tags: tags(names.controlPlaneTargetGroup(region.name)),
        },
        opts,
    );
    // gRPC TLS (8503): a GRPC target group. ALB health checks of a GRPC target group are gRPC calls
    // judged by grpc-status; the standard health method on the gRPC port: any gRPC answer (0-99, which
    // includes UNIMPLEMENTED) means a Consul server's gRPC server is serving on that node (Local policy).
    const grpcTargetGroup = new aws.lb.TargetGroup(
        `${p}-consul-grpc`,
        {
            name: names.controlPlaneGrpcTargetGroup(region.name),
            vpcId: eks.vpc.id,
            targetType: "instance",
            port: grpcNodePort,
            protocol: "HTTPS",
            protocolVersion: "GRPC",
            deregistrationDelay: 30,
            healthCheck: { enabled: true, protocol: "HTTPS", port: "traffic-port", path: GRPC_HEALTH_PATH, matcher: "0-99", interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
            tags: tags(names.controlPlaneGrpcTargetGroup(region.name)),
        },
        opts,
    );
    for (const [suffix, tg] of [["consul", targetGroup], ["consul-grpc", grpcTargetGroup]] as const) {
        new aws.autoscaling.Attachment(
            `${p}-${suffix}`,
            {
                autoscalingGroupName: eks.systemPool.resources.apply((rs) => rs?.[0]?.autoscalingGroups?.[0]?.name ?? ""),
                lbTargetGroupArn: tg.arn,
            },
            opts,
        );
    }
    const certificate = new aws.acm.Certificate(
        `${p}-cert`,
        {
            certificateBody: args.serverCert.certPem,
            privateKey: pulumi.secret(args.serverCert.keyPem),
            certificateChain: args.intermediateCa.certPem,
            tags: tags(args.host),
        },
        opts,
    );
    const listener = new aws.lb.Listener(
        `${p}-https`,
        {
            loadBalancerArn: alb.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: ALB_SSL_POLICY,
            certificateArn: certificate.arn,
            mutualAuthentication: { mode: "verify", trustStoreArn: trustStore.arn, ignoreClientCertificateExpiry: false },
            defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            tags: tags(),
        },
        opts,
    );
    // One :443 listener for both ports: gRPC requests (`/hashicorp.consul.*`) go to the gRPC target group.
    new aws.lb.ListenerRule(
        `${p}-grpc`,
        {
            listenerArn: listener.arn,
            priority: 10,
            conditions: [{ pathPattern: { values: [`${GRPC_PATH_PREFIX}*`] } }],
            actions: [{ type: "forward", targetGroupArn: grpcTargetGroup.arn }],
            tags: tags(),
        },
        opts,
    );
    const dnsRecord = loadBalancerDnsRecord(`${p}-dns`, { host: args.host, type: "CNAME", target: pulumi.interpolate`${alb.dnsName}.`, context: args.context }, parent);
    return { address: alb.dnsName, dnsRecord, clientValidation: "verify" };
}
