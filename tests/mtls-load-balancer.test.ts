import { strict as assert } from "assert";
import { parseWorld } from "../components/config/load";
import { allRegions, type Region, type World } from "../components/config/model";
import { GOOGLE_FRONT_END_RANGES } from "../components/network/mtls-load-balancer";
import { isSignedBy, parseCert } from "./support/x509";
import type { GraphIndex } from "../engine/graph";
import type { RecordedResource } from "../engine/recorder";
import { isSecret, plainStrings, reveal } from "../engine/values";
import { fixtureGraph, fixtureWorld } from "./support/stacks";

const LSC = "tls:index/locallySignedCert:LocallySignedCert";
const LB = "globalgrid:network:MtlsLoadBalancer";
type Obj = Record<string, any>;

const continentOf = (world: World, r: Region) => world.continents.find((c) => c.name === r.continent)!;
const pems = (bundle: string) => bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
const norm = (pem: unknown) => String(pem).trim();

/** All resources of a type below the region's load balancer. */
function below(g: GraphIndex, region: string, type: string): RecordedResource[] {
    return g.descendants(g.get(LB, `${region}-cp-lb`).urn).filter((r) => r.type === type);
}

/** The region's load balancer component and a lookup restricted to its descendants. */
function lbOf(g: GraphIndex, region: string) {
    const component = g.get(LB, `${region}-cp-lb`);
    const below = g.descendants(component.urn);
    const one = (type: string, name?: string): RecordedResource => {
        const hits = below.filter((r) => r.type === type && (name === undefined || r.name === name));
        assert.equal(hits.length, 1, `${region}: one ${type} ${name ?? ""} below its load balancer, found ${hits.length}`);
        return hits[0];
    };
    return { component, below, one };
}

function pki(g: GraphIndex, region: string) {
    const root = g.get("tls:index/selfSignedCert:SelfSignedCert", "root-ca");
    const inter = g.get(LSC, `${region}-intermediate-ca`);
    const clientCa = g.get("tls:index/selfSignedCert:SelfSignedCert", `${region}-client-ca`);
    return { root, rootPem: String(root.outputs.certPem), inter, interPem: String(inter.outputs.certPem), clientCaPem: String(clientCa.outputs.certPem) };
}

describe("mutual-TLS load balancers", () => {
    // the fixture world (tests/fixtures/world-small.json): a gcp region with two data centers, an aws region with one
    const world = parseWorld(fixtureWorld());
    const regions = allRegions(world);

    it("puts one load balancer per region below the region tier, at <region>.cp.<domain>", async () => {
        const g = await fixtureGraph();
        assert.equal(g.ofType(LB).length, regions.length);
        for (const r of regions) {
            const { component, below } = lbOf(g, r.name);
            assert.equal(component.parent, g.get("globalgrid:tier:Region", r.name).urn);
            assert.equal(component.outputs.host, `${r.name}.cp.${world.domain}`);
            const dns = below.filter((x) => x.type === "gcp:dns/recordSet:RecordSet");
            assert.equal(dns.length, 1);
            assert.equal(dns[0].inputs.name, `${r.name}.cp.${world.domain}.`);
            assert.equal(dns[0].inputs.managedZone, g.get("gcp:dns/managedZone:ManagedZone", "dns-zone").outputs.name);
            assert.equal(dns[0].inputs.type, continentOf(world, r).cloud === "gcp" ? "A" : "CNAME");
        }
    });

    it("chains every certificate a data center meets to its own region: client certs by the region's client CA, the LB's server cert by the intermediate, the intermediate by the root", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const { root, inter, interPem, clientCaPem } = pki(g, r.name);
            assert.ok(await isSignedBy(interPem, String(root.outputs.certPem)));
            assert.equal(parseCert(interPem).isCa, true);
            for (const dc of r.dataCenters) {
                const client = g.get(LSC, `${dc.name}-client`);
                assert.equal(client.inputs.caCertPem, clientCaPem, `${dc.name} signed by ${r.name}'s client CA`);
                assert.ok(await isSignedBy(String(client.outputs.certPem), clientCaPem));
                const secret = g.get("kubernetes:core/v1:Secret", `${dc.name}-client-tls`);
                assert.deepEqual(pems(String((reveal(secret.inputs.stringData) as Obj)["ca.crt"])).map(norm), [norm(interPem), norm(String(root.outputs.certPem))], `${dc.name} verifies the LB with its region's intermediate and the root`);
            }
            const server = lbOf(g, r.name).one(LSC, `${r.name}-cp-lb`);
            assert.equal(server.inputs.caCertPem, inter.outputs.certPem);
            assert.deepEqual(parseCert(String(server.outputs.certPem)).dnsNames, [`${r.name}.cp.${world.domain}`]);
            assert.deepEqual(server.inputs.allowedUses, ["digital_signature", "key_encipherment", "server_auth"]);
            assert.equal(server.inputs.validityPeriodHours, r.certificates.validityHours);
            assert.equal(server.inputs.earlyRenewalHours, r.certificates.earlyRenewalHours);
        }
    });

    it("builds the load balancer in the continent's cloud with mTLS enforced (REJECT_INVALID on GCP, verify on AWS)", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const cloud = continentOf(world, r).cloud;
            const { component, below, one } = lbOf(g, r.name);
            assert.equal(component.outputs.clientValidation, cloud === "gcp" ? "REJECT_INVALID" : "verify");
            const clouds = new Set(below.filter((x) => x.custom && x.type !== "gcp:dns/recordSet:RecordSet" && !x.type.startsWith("tls:")).map((x) => x.type.split(":")[0]));
            assert.deepEqual([...clouds], [cloud], `${r.name}: only ${cloud} resources besides DNS and PKI`);
            if (cloud === "gcp") {
                const policy = one("gcp:networksecurity/serverTlsPolicy:ServerTlsPolicy");
                const trust = one("gcp:certificatemanager/trustConfig:TrustConfig");
                assert.equal((policy.inputs as Obj).mtlsPolicy.clientValidationMode, "REJECT_INVALID");
                assert.equal((policy.inputs as Obj).mtlsPolicy.clientValidationTrustConfig, `projects/${world.gcpProject}/locations/global/trustConfigs/${trust.inputs.name}`);
                const proxy = one("gcp:compute/targetHttpsProxy:TargetHttpsProxy");
                assert.equal(proxy.inputs.serverTlsPolicy, `projects/${world.gcpProject}/locations/global/serverTlsPolicies/${policy.inputs.name}`);
                const ssl = one("gcp:compute/sSLPolicy:SSLPolicy");
                assert.equal(ssl.inputs.minTlsVersion, "TLS_1_2");
                assert.equal(ssl.inputs.profile, "MODERN");
                assert.equal(proxy.inputs.sslPolicy, ssl.outputs.id ?? `${ssl.name}-id`);
                const cert = one("gcp:compute/sSLCertificate:SSLCertificate");
                assert.ok(isSecret(cert.inputs.privateKey), "the LB's private key is secret");
                assert.deepEqual(proxy.inputs.sslCertificates, [`${cert.name}-id`]);
                const rule = one("gcp:compute/globalForwardingRule:GlobalForwardingRule");
                assert.equal(rule.inputs.portRange, "443");
                assert.equal(rule.inputs.loadBalancingScheme, "EXTERNAL_MANAGED");
                assert.equal(rule.inputs.target, `${proxy.name}-id`);
                for (const x of below.filter((y) => y.type.startsWith("gcp:") && "project" in y.inputs)) assert.equal(x.inputs.project, world.gcpProject);
            } else {
                const awsProvider = g.get("pulumi:providers:aws", `${r.continent}-aws`).urn;
                for (const x of below.filter((y) => y.type.startsWith("aws:"))) assert.equal(x.provider, awsProvider, `${x.name} in ${r.continent}'s account/region`);
                const listener = one("aws:lb/listener:Listener");
                const store = one("aws:lb/trustStore:TrustStore");
                assert.equal((listener.inputs as Obj).mutualAuthentication.mode, "verify");
                assert.equal((listener.inputs as Obj).mutualAuthentication.trustStoreArn, store.outputs.arn);
                assert.equal((listener.inputs as Obj).mutualAuthentication.ignoreClientCertificateExpiry, false);
                assert.equal(listener.inputs.port, 443);
                assert.equal(listener.inputs.protocol, "HTTPS");
                assert.equal(listener.inputs.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
                const acm = one("aws:acm/certificate:Certificate");
                assert.equal(listener.inputs.certificateArn, acm.outputs.arn);
                assert.ok(isSecret(acm.inputs.privateKey), "the LB's private key is secret");
                const alb = one("aws:lb/loadBalancer:LoadBalancer");
                assert.equal(listener.inputs.loadBalancerArn, alb.outputs.arn);
                assert.equal(alb.inputs.internal, false);
                assert.equal(alb.inputs.loadBalancerType, "application");
                assert.equal(alb.inputs.dropInvalidHeaderFields, true);
                assert.equal(alb.inputs.enableDeletionProtection, r.protect);
            }
        }
    });

    it("trusts only the region's own client CA", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const { clientCaPem } = pki(g, r.name);
            const { below, one } = lbOf(g, r.name);
            if (continentOf(world, r).cloud === "gcp") {
                const stores = one("gcp:certificatemanager/trustConfig:TrustConfig").inputs.trustStores as Obj[];
                assert.equal(stores.length, 1);
                assert.deepEqual(stores[0].trustAnchors.map((a: Obj) => norm(a.pemCertificate)), [norm(clientCaPem)]);
                assert.equal(stores[0].intermediateCas, undefined);
            } else {
                const store = one("aws:lb/trustStore:TrustStore");
                const bundle = one("aws:s3/bucketObjectv2:BucketObjectv2");
                const bucket = one("aws:s3/bucket:Bucket");
                assert.equal(store.inputs.caCertificatesBundleS3Bucket, bucket.outputs.id ?? bucket.inputs.bucket);
                assert.equal(store.inputs.caCertificatesBundleS3Key, bundle.inputs.key);
                assert.equal(store.inputs.caCertificatesBundleS3ObjectVersion, bundle.outputs.versionId, "pinned to the uploaded version");
                assert.deepEqual(pems(String(bundle.inputs.content)).map(norm), [norm(clientCaPem)]);
            }
            // no other region's client CA anywhere in this load balancer
            for (const other of regions.filter((o) => o.name !== r.name)) {
                const theirs = norm(pki(g, other.name).clientCaPem);
                for (const x of below) {
                    for (const s of plainStrings(reveal(x.inputs), "inputs")) assert.ok(!s.value.includes(theirs), `${r.name}'s ${x.name} ${s.path} holds ${other.name}'s intermediate`);
                }
            }
        }
    });

    it("keeps the CA bundle in a private, encrypted, versioned bucket", async () => {
        const g = await fixtureGraph();
        for (const r of regions.filter((x) => continentOf(world, x).cloud === "aws")) {
            const { one } = lbOf(g, r.name);
            const bucket = one("aws:s3/bucket:Bucket");
            const id = bucket.outputs.id;
            const block = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
            assert.equal(block.bucket, id);
            for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(block[k], true, k);
            const versioning = one("aws:s3/bucketVersioning:BucketVersioning").inputs as Obj;
            assert.equal(versioning.bucket, id);
            assert.equal(versioning.versioningConfiguration.status, "Enabled");
            const sse = one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs as Obj;
            assert.equal(sse.bucket, id);
            assert.ok(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm);
            const policy = JSON.parse(String(one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy));
            assert.equal(policy.Statement[0].Effect, "Deny");
            assert.equal(policy.Statement[0].Condition.Bool["aws:SecureTransport"], "false");
        }
    });

    it("admits only the region's data centers' egress addresses", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const { one } = lbOf(g, r.name);
            if (continentOf(world, r).cloud === "gcp") {
                const nat = g.ofType("gcp:compute/address:Address").filter((a) => a.name.startsWith(`${r.name}-dp-nat-`));
                assert.ok(nat.length >= 1);
                const router = g.ofType("gcp:compute/routerNat:RouterNat").find((n) => n.name === `${r.name}-dp-nat`)!;
                assert.equal(router.inputs.natIpAllocateOption, "MANUAL_ONLY");
                assert.deepEqual(router.inputs.natIps, nat.map((a) => a.outputs.selfLink));
                const armor = one("gcp:compute/securityPolicy:SecurityPolicy");
                const rules = armor.inputs.rules as Obj[];
                const allow = rules.filter((x) => x.action === "allow");
                assert.equal(allow.length, 2);
                assert.deepEqual(allow[0].match.config.srcIpRanges, nat.map((a) => `${a.outputs.address}/32`));
                assert.deepEqual(allow[1].match.config.srcIpRanges, world.adminCidrs, "the operator (consul provider)");
                const fallback = rules.find((x) => x.priority === 2147483647)!;
                assert.match(fallback.action, /^deny/);
                for (const be of below(g, r.name, "gcp:compute/backendService:BackendService")) assert.equal(be.inputs.securityPolicy, `${armor.name}-id`);
                const fw = one("gcp:compute/firewall:Firewall");
                assert.deepEqual(fw.inputs.sourceRanges, GOOGLE_FRONT_END_RANGES);
                const api = g.get("kubernetes:core/v1:Service", `${r.name}-consul-api`);
                assert.deepEqual(fw.inputs.allows, [{ protocol: "tcp", ports: ((api.outputs.spec as Obj).ports as Obj[]).map((p) => String(p.nodePort)) }]);
            } else {
                // one NAT address per zone in prod, one in staging (aws.natGatewayPerZone)
                const eips = g.ofType("aws:ec2/eip:Eip").filter((e) => e.name === `${r.name}-dp-nat` || e.name.startsWith(`${r.name}-dp-nat-`));
                assert.equal(eips.length, world.environment === "prod" ? r.zones.length : 1);
                const sg = one("aws:ec2/securityGroup:SecurityGroup");
                const ingress = sg.inputs.ingress as Obj[];
                assert.equal(ingress.length, 2);
                assert.deepEqual(ingress[1].cidrBlocks, world.adminCidrs);
                assert.equal(ingress[1].fromPort, 443);
                assert.equal(ingress[0].fromPort, 443);
                assert.equal(ingress[0].toPort, 443);
                assert.deepEqual(ingress[0].cidrBlocks, eips.map((eip) => `${eip.outputs.publicIp}/32`));
                assert.ok(!JSON.stringify(sg.inputs).includes("0.0.0.0/0"));
                assert.deepEqual(one("aws:lb/loadBalancer:LoadBalancer").inputs.securityGroups, [sg.outputs.id]);
            }
        }
    });

    it("routes both Consul TLS ports through one :443 frontend: gRPC paths to 8503, the rest to 8501, both health-checked on the leader status", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const cont = continentOf(world, r);
            const { one } = lbOf(g, r.name);
            const api = g.get("kubernetes:core/v1:Service", `${r.name}-consul-api`);
            assert.deepEqual((api.inputs.spec as Obj).ports.map((p: Obj) => p.port), [8501, 8503]);
            const ports = (api.outputs.spec as Obj).ports as Obj[];
            assert.equal((api.inputs.spec as Obj).type, "NodePort");
            assert.equal((api.inputs.spec as Obj).externalTrafficPolicy, "Local", "only nodes running a server pass the health check; client addresses are kept");
            if (cont.cloud === "gcp") {
                const backends = below(g, r.name, "gcp:compute/backendService:BackendService");
                assert.equal(backends.length, 2);
                const byPort = { https: backends.find((b) => b.name === `${r.name}-cp-be`)!, grpc: backends.find((b) => b.name === `${r.name}-cp-grpc-be`)! };
                const hc = one("gcp:compute/healthCheck:HealthCheck");
                const cpPool = g.get("gcp:container/nodePool:NodePool", `${r.continent}-cp-system`);
                const groups = (cpPool.outputs.managedInstanceGroupUrls as string[]).map((u) => u.replace("https://www.googleapis.com/compute/v1/", ""));
                assert.equal(groups.length, cont.zones.length, "one instance group per continent zone");
                const named = below(g, r.name, "gcp:compute/instanceGroupNamedPort:InstanceGroupNamedPort");
                for (const [i, [portName, backend]] of Object.entries(byPort).entries()) {
                    assert.equal(backend.inputs.protocol, "HTTP2", "HTTP/2 over TLS to the servers");
                    assert.equal(backend.inputs.loadBalancingScheme, "EXTERNAL_MANAGED");
                    assert.equal(backend.inputs.portName, `${r.name}-consul-${portName}`);
                    assert.deepEqual((backend.inputs.backends as Obj[]).map((b) => b.group), groups, "instance-group backends (frontend mTLS lists them; zonal NEGs are not listed)");
                    assert.ok(backend.dependencies.includes(api.urn));
                    assert.equal(backend.inputs.healthChecks, `${hc.name}-id`);
                    const mine = named.filter((x) => x.inputs.name === backend.inputs.portName);
                    assert.deepEqual(mine.map((x) => x.inputs.zone), cont.zones);
                    for (const x of mine) {
                        assert.equal(x.inputs.port, ports[i].nodePort);
                        assert.ok(backend.dependencies.includes(x.urn), "the backend waits for its named ports");
                    }
                }
                // the continental cluster has nodes in every zone the backend services name (per-zone autoscaling minimum >= 1)
                const cluster = g.get("gcp:container/cluster:Cluster", `${r.continent}-cp`);
                assert.deepEqual(cluster.inputs.nodeLocations, cont.zones);
                const pools = g.ofType("gcp:container/nodePool:NodePool").filter((np) => np.inputs.cluster === cluster.outputs.name || np.name.startsWith(`${r.continent}-cp`));
                assert.ok(pools.length >= 1);
                for (const np of pools) {
                    assert.ok(np.inputs.nodeLocations === undefined || JSON.stringify(np.inputs.nodeLocations) === JSON.stringify(cont.zones), `${np.name} spans every zone`);
                    assert.ok(((np.inputs.autoscaling as Obj)?.minNodeCount ?? np.inputs.nodeCount ?? 0) >= 1, `${np.name} keeps a node per zone`);
                }
                assert.deepEqual((hc.inputs as Obj).http2HealthCheck, { portSpecification: "USE_FIXED_PORT", port: ports[0].nodePort, requestPath: "/v1/status/leader" });
                const um = one("gcp:compute/uRLMap:URLMap").inputs as Obj;
                assert.equal(um.defaultService, `${byPort.https.name}-id`);
                assert.deepEqual(um.hostRules, [{ hosts: ["*"], pathMatcher: "consul" }]);
                const route = um.pathMatchers[0].routeRules[0];
                assert.deepEqual(route.matchRules, [{ prefixMatch: "/hashicorp.consul." }]);
                assert.equal(route.service, `${byPort.grpc.name}-id`);
            } else {
                const tgs = below(g, r.name, "aws:lb/targetGroup:TargetGroup");
                const https = tgs.find((t) => t.name === `${r.name}-cp-consul`)!;
                const grpc = tgs.find((t) => t.name === `${r.name}-cp-consul-grpc`)!;
                assert.equal(https.inputs.port, ports[0].nodePort);
                assert.equal(https.inputs.protocolVersion, "HTTP2");
                assert.equal(grpc.inputs.port, ports[1].nodePort);
                assert.equal(grpc.inputs.protocolVersion, "GRPC");
                for (const tg of [https, grpc]) assert.equal(tg.inputs.protocol, "HTTPS");
                assert.equal((https.inputs as Obj).healthCheck.path, "/v1/status/leader");
                assert.equal((https.inputs as Obj).healthCheck.matcher, "200");
                assert.deepEqual([(grpc.inputs as Obj).healthCheck.path, (grpc.inputs as Obj).healthCheck.matcher, (grpc.inputs as Obj).healthCheck.port], ["/grpc.health.v1.Health/Check", "0-99", "traffic-port"], "gRPC health checks are judged by grpc-status");
                const listener = one("aws:lb/listener:Listener");
                assert.deepEqual(listener.inputs.defaultActions, [{ type: "forward", targetGroupArn: https.outputs.arn }]);
                const rule = one("aws:lb/listenerRule:ListenerRule").inputs as Obj;
                assert.equal(rule.listenerArn, listener.outputs.arn);
                assert.deepEqual(rule.conditions, [{ pathPattern: { values: ["/hashicorp.consul.*"] } }]);
                assert.deepEqual(rule.actions, [{ type: "forward", targetGroupArn: grpc.outputs.arn }]);
                const pool = g.get("aws:eks/nodeGroup:NodeGroup", `${r.continent}-cp-system`);
                const attachments = below(g, r.name, "aws:autoscaling/attachment:Attachment");
                assert.deepEqual(attachments.map((a) => a.inputs.lbTargetGroupArn).sort(), [https.outputs.arn, grpc.outputs.arn].sort());
                for (const a of attachments) assert.equal(a.inputs.autoscalingGroupName, (pool.outputs.resources as Obj[])[0].autoscalingGroups[0].name);
                const nodes = below(g, r.name, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
                assert.deepEqual(nodes.map((n) => n.inputs.fromPort).sort(), ports.map((p) => p.nodePort).sort());
                for (const n of nodes) assert.equal(n.inputs.referencedSecurityGroupId, one("aws:ec2/securityGroup:SecurityGroup").outputs.id);
            }
        }
    });
});
