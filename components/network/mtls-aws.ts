import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { awsTags } from "../labels";
import type { EksCluster } from "../clusters/eks";
import { ALB_SSL_POLICY, albToNodePort, attachSystemNodes, internetFacingAlb } from "./aws-alb";
import { loadBalancerDnsRecord } from "./load-balancer-dns";
import { consulNodePorts, GRPC_PATH_PREFIX, HEALTH_PATH, type MtlsFrontend, type MtlsImplArgs } from "./mtls-common";

/** the standard gRPC health method (grpc.health.v1) */
const GRPC_HEALTH_PATH = "/grpc.health.v1.Health/Check";
const BUNDLE_KEY = "ca-bundle.pem";
/** Consul blocking queries wait up to 5 minutes. */
const IDLE_TIMEOUT_SECONDS = 360;

/**
 * AWS: an internet-facing ALB in the continent's public subnets whose HTTPS listener verifies
 * client certificates against a TrustStore (the region's client CA bundle, in a private, encrypted,
 * versioned bucket). Its security group admits 443 only from the data centers' egress addresses and
 * the admin CIDRs. Targets are the continent's system nodes on the Consul API Service's node ports
 * (externalTrafficPolicy Local: only nodes running a server pass the check).
 *
 * The resources are created in this order: CA bundle bucket, trust store, security groups, ALB,
 * target groups and their attachments, server certificate, listener and gRPC rule, DNS record.
 */
export function createAwsMtls(args: MtlsImplArgs<EksCluster>, parent: pulumi.Resource): MtlsFrontend {
    const s = scopeOf(args, parent);
    const ports = consulNodePorts(args.region.name, args.consul);
    const trustStore = clientTrustStore(s, caBundleBucket(s));
    const albSg = albSecurityGroup(s, ports);
    const alb = internetFacingAlb(
        `${s.p}-alb`,
        { name: s.lbName, securityGroupId: albSg.id, cluster: args.cluster, idleTimeout: IDLE_TIMEOUT_SECONDS, protect: args.region.protect, tags: s.tags(s.lbName) },
        s.opts,
    );
    const targetGroups = consulTargetGroups(s, ports);
    const certificate = serverCertificate(s);
    httpsListener(s, { alb, certificate, trustStore, targetGroups });
    const dnsRecord = loadBalancerDnsRecord(`${s.p}-dns`, { host: args.host, type: "CNAME", target: pulumi.interpolate`${alb.dnsName}.`, context: args.context }, parent);
    return { address: alb.dnsName, dnsRecord, clientValidation: "verify" };
}

/** What every piece of one region's AWS control-plane load balancer is named, tagged and placed by. */
interface Scope {
    args: MtlsImplArgs<EksCluster>;
    /** prefix of the Pulumi resource names: `<region>-cp` */
    p: string;
    /** the ALB's name, also its trust store's and security group's stem */
    lbName: string;
    tags: (name?: string) => Record<string, string>;
    /** parented to the load balancer component, created by the continental cluster's AWS provider */
    opts: { parent: pulumi.Resource; provider: aws.Provider };
}

function scopeOf(args: MtlsImplArgs<EksCluster>, parent: pulumi.Resource): Scope {
    return {
        args,
        p: `${args.region.name}-cp`,
        lbName: args.names.controlPlaneLoadBalancer(args.region.name),
        tags: (name) => awsTags("control-plane-load-balancer", args.placement, name),
        opts: { parent, provider: args.cluster.awsProvider },
    };
}

type ConsulPorts = ReturnType<typeof consulNodePorts>;

/** The bucket the trust store reads its CA bundle from, and the settings the bundle object must wait for. */
interface CaBundleBucket {
    bucket: aws.s3.Bucket;
    versioning: aws.s3.BucketVersioning;
    encryption: aws.s3.BucketServerSideEncryptionConfiguration;
}

/**
 * The bucket holding the client CA bundle: never public (public access blocked, ACLs disabled),
 * versioned (the trust store pins an object version), encrypted at rest, and reachable over TLS
 * only (a bucket policy denies plain-HTTP requests; it waits for the public-access block, which
 * would otherwise race it).
 */
function caBundleBucket(s: Scope): CaBundleBucket {
    const { p, opts } = s;
    const bucket = new aws.s3.Bucket(`${p}-ca`, { bucket: s.args.names.caBundleBucket(s.args.region.name), forceDestroy: false, tags: s.tags() }, opts);
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
    return { bucket, versioning, encryption };
}

/**
 * The listener's client trust: the CA bundle (the region's client CA alone) written to the bucket
 * once versioning and encryption are on, and an ALB trust store pinned to that object version, so
 * a new bundle is a new version the trust store is updated to.
 */
function clientTrustStore(s: Scope, ca: CaBundleBucket): aws.lb.TrustStore {
    const bundle = new aws.s3.BucketObjectv2(
        `${s.p}-ca-bundle`,
        { bucket: ca.bucket.id, key: BUNDLE_KEY, content: s.args.caBundle, contentType: "application/x-pem-file", tags: s.tags() },
        { ...s.opts, dependsOn: [ca.versioning, ca.encryption] },
    );
    return new aws.lb.TrustStore(
        `${s.p}-trust`,
        { name: s.lbName, caCertificatesBundleS3Bucket: ca.bucket.id, caCertificatesBundleS3Key: bundle.key, caCertificatesBundleS3ObjectVersion: bundle.versionId, tags: s.tags(s.lbName) },
        s.opts,
    );
}

/**
 * The ALB's security group: 443 in from the data centers' NAT egress and the admin CIDRs only;
 * out only to the two Consul node ports in the continent's CIDR. The cluster security group admits
 * this group to the same two node ports.
 */
function albSecurityGroup(s: Scope, ports: ConsulPorts): aws.ec2.SecurityGroup {
    const { region, continent, cluster, clientSourceIps, context } = s.args;
    const albSg = new aws.ec2.SecurityGroup(
        `${s.p}-alb`,
        {
            name: `${s.lbName}-alb`,
            description: `${region.name} control-plane ALB: 443 from the data centers only`,
            vpcId: cluster.vpc.id,
            ingress: [
                { description: "data centers' NAT egress", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: pulumi.all(clientSourceIps).apply((ips) => ips.map((ip) => `${ip}/32`)) },
                // the operator's `pulumi up` (the consul provider declares the ACLs through this load balancer)
                { description: "admin CIDRs", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [...context.adminCidrs] },
            ],
            egress: [
                { description: "Consul HTTPS API node port", protocol: "tcp", fromPort: ports.https, toPort: ports.https, cidrBlocks: [continent.cidr] },
                { description: "Consul gRPC TLS node port", protocol: "tcp", fromPort: ports.grpc, toPort: ports.grpc, cidrBlocks: [continent.cidr] },
            ],
            tags: s.tags(`${s.lbName}-alb`),
        },
        s.opts,
    );
    for (const [suffix, port, what] of [["nodes", ports.https, "HTTPS API"], ["nodes-grpc", ports.grpc, "gRPC TLS"]] as const) {
        albToNodePort(
            `${s.p}-${suffix}`,
            { cluster, albSecurityGroupId: albSg.id, port, description: `${region.name} control-plane ALB to the Consul ${what} node port`, tags: s.tags() },
            s.opts,
        );
    }
    return albSg;
}

interface ConsulTargetGroups {
    https: aws.lb.TargetGroup;
    grpc: aws.lb.TargetGroup;
}

/**
 * One target group per Consul port on the system nodes, both over TLS to the node port:
 * - HTTPS API (8501), HTTP/2, healthy when the leader status answers 200;
 * - gRPC TLS (8503), a GRPC target group: its health checks are gRPC calls judged by grpc-status;
 *   the standard health method on the gRPC port: any gRPC answer (0-99, which includes
 *   UNIMPLEMENTED) means a Consul server's gRPC server is serving on that node (Local policy).
 * Both are then attached to the system nodes' Auto Scaling group.
 */
function consulTargetGroups(s: Scope, ports: ConsulPorts): ConsulTargetGroups {
    const { names, region, cluster } = s.args;
    const targetGroup = (suffix: string, name: string, port: pulumi.Output<number>, protocolVersion: "HTTP2" | "GRPC", healthCheck: { path: string; matcher: string }) =>
        new aws.lb.TargetGroup(
            `${s.p}-${suffix}`,
            {
                name,
                vpcId: cluster.vpc.id,
                targetType: "instance",
                port,
                protocol: "HTTPS",
                protocolVersion,
                deregistrationDelay: 30,
                healthCheck: { enabled: true, protocol: "HTTPS", port: "traffic-port", ...healthCheck, interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
                tags: s.tags(name),
            },
            s.opts,
        );
    const groups: ConsulTargetGroups = {
        https: targetGroup("consul", names.controlPlaneTargetGroup(region.name), ports.https, "HTTP2", { path: HEALTH_PATH, matcher: "200" }),
        grpc: targetGroup("consul-grpc", names.controlPlaneGrpcTargetGroup(region.name), ports.grpc, "GRPC", { path: GRPC_HEALTH_PATH, matcher: "0-99" }),
    };
    for (const [suffix, tg] of [["consul", groups.https], ["consul-grpc", groups.grpc]] as const) {
        attachSystemNodes(`${s.p}-${suffix}`, { cluster, targetGroupArn: tg.arn }, s.opts);
    }
    return groups;
}

/**
 * The listener's server certificate, imported into ACM: the load balancer's leaf (signed by the
 * region's intermediate) with the intermediate as its chain.
 */
function serverCertificate(s: Scope): aws.acm.Certificate {
    const { serverCert, intermediateCa, host } = s.args;
    return new aws.acm.Certificate(
        `${s.p}-cert`,
        { certificateBody: serverCert.certPem, privateKey: pulumi.secret(serverCert.keyPem), certificateChain: intermediateCa.certPem, tags: s.tags(host) },
        s.opts,
    );
}

/**
 * One :443 HTTPS listener for both Consul ports, in mutual-TLS `verify` mode against the trust
 * store (expired client certificates refused too): requests go to the HTTPS API target group, except
 * gRPC requests (paths under `/hashicorp.consul.`), which a listener rule sends to the gRPC one.
 */
function httpsListener(
    s: Scope,
    lb: { alb: aws.lb.LoadBalancer; certificate: aws.acm.Certificate; trustStore: aws.lb.TrustStore; targetGroups: ConsulTargetGroups },
): aws.lb.Listener {
    const listener = new aws.lb.Listener(
        `${s.p}-https`,
        {
            loadBalancerArn: lb.alb.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: ALB_SSL_POLICY,
            certificateArn: lb.certificate.arn,
            mutualAuthentication: { mode: "verify", trustStoreArn: lb.trustStore.arn, ignoreClientCertificateExpiry: false },
            defaultActions: [{ type: "forward", targetGroupArn: lb.targetGroups.https.arn }],
            tags: s.tags(),
        },
        s.opts,
    );
    new aws.lb.ListenerRule(
        `${s.p}-grpc`,
        {
            listenerArn: listener.arn,
            priority: 10,
            conditions: [{ pathPattern: { values: [`${GRPC_PATH_PREFIX}*`] } }],
            actions: [{ type: "forward", targetGroupArn: lb.targetGroups.grpc.arn }],
            tags: s.tags(),
        },
        s.opts,
    );
    return listener;
}
