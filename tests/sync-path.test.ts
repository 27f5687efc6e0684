import { strict as assert } from "assert";
import { loginAudience } from "../components/workloads/consul/acl-bootstrap";
import { parseBrokerConfig } from "../agents/broker/src/config";
import type { GraphIndex } from "../engine/graph";
import type { RecordedResource } from "../engine/recorder";
import { at } from "../engine/values";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions, type DataCenter, type World } from "../components/config/model";
import { Names } from "../components/naming";
import { layout } from "../components/network/cidr";
import { GOOGLE_FRONT_END_RANGES } from "../components/network/mtls-load-balancer";
import { BROKER_CODE_PORT, BROKER_HEALTH_PATH, BROKER_PORT } from "../components/workloads/broker";
import { ARMOR_DEFAULT_PRIORITY, ARMOR_WAF_RULES, SYNC_RATE_LIMIT, SYNC_RATE_WINDOW_SECONDS, WAF_MANAGED_GROUPS } from "../components/network/sync-protection";
import { fixtureGraph, fixtureWorld } from "./support/stacks";
import { dataCenterView, type Obj } from "./support/data-center-view";

/**
 * The synchronous path of every data center, as the program registers it: DNS name > TLS load
 * balancer > broker Service > broker pods, the broker's NetworkPolicy narrowed to the load
 * balancer's sources, and the broker's rendered config accepted by the broker's own parser.
 */

const SYNC = "globalgrid:network:SyncPath";
const RECORD = "gcp:dns/recordSet:RecordSet";

function view(g: GraphIndex, dc: DataCenter) {
    const { tier, all, k8s } = dataCenterView(g, dc);
    const path = g.get(SYNC, `${dc.name}-sync`);
    const lb = g.descendants(path.urn);
    const one = (rs: RecordedResource[], type: string, pred: (r: RecordedResource) => boolean = () => true): RecordedResource => {
        const hits = rs.filter((r) => r.type === type && pred(r));
        assert.equal(hits.length, 1, `${dc.name}: one ${type}, found ${hits.length}`);
        return hits[0];
    };
    return { tier, path, lb, all, one, k8s };
}
const deps = (r: RecordedResource, prop: string) => r.propertyDependencies[prop] ?? [];

describe("synchronous path: DNS > TLS load balancer > broker", () => {
    // the fixture world (tests/fixtures/world-small.json): a gcp region with two data centers, an aws region with one
    const world: World = parseWorld(fixtureWorld());
    const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
    const regionOf = (dc: DataCenter) => allRegions(world).find((r) => r.name === dc.region)!;
    const dcs = allDataCenters(world);

    it("gives every data center one entrance below its tier, named <dc>.sync.<domain> in the world's zone", async () => {
        const g = await fixtureGraph();
        const zone = g.get("gcp:dns/managedZone:ManagedZone", "dns-zone");
        assert.equal(g.ofType(SYNC).length, dcs.length);
        for (const dc of dcs) {
            const v = view(g, dc);
            assert.equal(v.path.parent, v.tier.urn);
            assert.equal(v.path.outputs.host, `${dc.name}.sync.${world.domain}`);
            const a = v.one(v.lb, RECORD, (r) => r.inputs.name === `${dc.name}.sync.${world.domain}.`);
            assert.equal(a.inputs.managedZone, zone.outputs.name);
            assert.deepEqual(a.inputs.rrdatas, [regionOf(dc).cloud === "gcp" ? v.one(v.lb, "gcp:compute/globalAddress:GlobalAddress").outputs.address : `${v.path.outputs.address}.`]);
            assert.equal(a.inputs.type, regionOf(dc).cloud === "gcp" ? "A" : "CNAME");
        }
    });

    it("exposes the broker through a Service the load balancer can reach: a NEG in the data center's zone on GKE, a Local node port on EKS", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = view(g, dc);
            const svc = v.k8s("kubernetes:core/v1:Service", "broker");
            const deployment = v.k8s("kubernetes:apps/v1:Deployment", "broker");
            const podLabels = at(deployment.inputs, "spec.template.metadata.labels") as Obj;
            for (const [k, val] of Object.entries(at(svc.inputs, "spec.selector") as Obj)) assert.equal(podLabels[k], val, `${dc.name}: Service selects the broker pods`);
            assert.deepEqual(at(svc.inputs, "spec.ports"), [{ name: "http", port: BROKER_PORT, targetPort: BROKER_PORT, protocol: "TCP" }]);
            const ports = (at(deployment.inputs, "spec.template.spec.containers") as Obj[])[0].ports as Obj[];
            assert.ok(ports.some((p) => p.containerPort === BROKER_PORT));
            if (regionOf(dc).cloud === "gcp") {
                assert.equal(at(svc.inputs, "spec.type"), "ClusterIP");
                const neg = JSON.parse((at(svc.inputs, "metadata.annotations") as Obj)["cloud.google.com/neg"]);
                assert.deepEqual(neg, { exposed_ports: { [String(BROKER_PORT)]: { name: names.brokerNeg(dc.name) } } });
                assert.equal((at(deployment.inputs, "spec.template.spec.nodeSelector") as Obj)["topology.kubernetes.io/zone"], dc.zone, `${dc.name}: broker pods stay in the NEG's zone`);
            } else {
                assert.equal(at(svc.inputs, "spec.type"), "NodePort");
                assert.equal(at(svc.inputs, "spec.externalTrafficPolicy"), "Local");
            }
        }
    });

    it("GCP: a global external ALB with a managed certificate for the host, TLS >= 1.2, HTTP health checks on the broker, backends only the broker's NEG", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs.filter((d) => regionOf(d).cloud === "gcp")) {
            const v = view(g, dc);
            const host = `${dc.name}.sync.${world.domain}`;
            const fr = v.one(v.lb, "gcp:compute/globalForwardingRule:GlobalForwardingRule");
            const proxy = v.one(v.lb, "gcp:compute/targetHttpsProxy:TargetHttpsProxy");
            const urlMap = v.one(v.lb, "gcp:compute/uRLMap:URLMap");
            const backend = v.one(v.lb, "gcp:compute/backendService:BackendService");
            const hc = v.one(v.lb, "gcp:compute/healthCheck:HealthCheck");
            assert.deepEqual([fr.inputs.portRange, fr.inputs.loadBalancingScheme, fr.inputs.target], ["443", "EXTERNAL_MANAGED", proxy.id]);
            assert.equal(proxy.inputs.urlMap, urlMap.id);
            assert.equal(urlMap.inputs.defaultService, backend.id);
            assert.equal(v.one(v.lb, "gcp:compute/sSLPolicy:SSLPolicy").inputs.minTlsVersion, "TLS_1_2");
            assert.deepEqual(deps(proxy, "sslPolicy"), [v.one(v.lb, "gcp:compute/sSLPolicy:SSLPolicy").urn]);

            const map = v.one(v.lb, "gcp:certificatemanager/certificateMap:CertificateMap");
            assert.equal(proxy.inputs.certificateMap, `//certificatemanager.googleapis.com/${map.id}`);
            const entry = v.one(v.lb, "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry");
            const cert = v.one(v.lb, "gcp:certificatemanager/certificate:Certificate");
            const auth = v.one(v.lb, "gcp:certificatemanager/dnsAuthorization:DnsAuthorization");
            assert.deepEqual([entry.inputs.map, entry.inputs.hostname, entry.inputs.certificates], [map.outputs.name, host, [cert.id]]);
            assert.deepEqual(cert.inputs.managed, { domains: [host], dnsAuthorizations: [auth.id] });
            assert.equal(auth.inputs.domain, host);
            const challenge = (auth.outputs.dnsResourceRecords as Obj[])[0];
            const authRecord = v.one(v.lb, RECORD, (r) => r.inputs.name === challenge.name);
            assert.deepEqual([authRecord.inputs.type, authRecord.inputs.rrdatas], [challenge.type, [challenge.data]]);

            assert.deepEqual([backend.inputs.loadBalancingScheme, backend.inputs.protocol, backend.inputs.healthChecks], ["EXTERNAL_MANAGED", "HTTP", hc.id]);
            assert.deepEqual(
                (backend.inputs.backends as Obj[]).map((b) => b.group),
                [`projects/${world.gcpProject}/zones/${dc.zone}/networkEndpointGroups/${names.brokerNeg(dc.name)}`],
            );
            assert.ok(backend.dependencies.includes(v.k8s("kubernetes:core/v1:Service", "broker").urn), "the backend waits for the Service whose NEG it uses");
            assert.deepEqual(hc.inputs.httpHealthCheck, { portSpecification: "USE_SERVING_PORT", requestPath: BROKER_HEALTH_PATH });

            // the NEG controller is part of GKE's HttpLoadBalancing add-on: it must not be disabled
            const cluster = g.descendants(g.get("globalgrid:tier:Region", dc.region).urn).find((r) => r.type === "gcp:container/cluster:Cluster")!;
            assert.notEqual((at(cluster.inputs, "addonsConfig") as Obj | undefined)?.httpLoadBalancing?.disabled, true, `${dc.region}: HttpLoadBalancing add-on`);

            const fw = v.one(v.lb, "gcp:compute/firewall:Firewall");
            assert.deepEqual(fw.inputs.sourceRanges, GOOGLE_FRONT_END_RANGES);
            assert.deepEqual(fw.inputs.destinationRanges, [layout.gkePods(regionOf(dc).cidr)]);
            assert.deepEqual(fw.inputs.allows, [{ protocol: "tcp", ports: [String(BROKER_PORT)] }]);
        }
    });

    it("AWS: an internet-facing ALB in the region VPC's public subnets, ACM certificate validated through the world's zone, broker node port targets", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs.filter((d) => regionOf(d).cloud === "aws")) {
            const v = view(g, dc);
            const region = regionOf(dc);
            const host = `${dc.name}.sync.${world.domain}`;
            const alb = v.one(v.lb, "aws:lb/loadBalancer:LoadBalancer");
            const listener = v.one(v.lb, "aws:lb/listener:Listener");
            const tg = v.one(v.lb, "aws:lb/targetGroup:TargetGroup");
            const cert = v.one(v.lb, "aws:acm/certificate:Certificate");
            const validation = v.one(v.lb, "aws:acm/certificateValidation:CertificateValidation");
            assert.deepEqual([alb.inputs.internal, alb.inputs.loadBalancerType, alb.inputs.name], [false, "application", names.syncLoadBalancer(dc.name)]);
            const publicSubnets = g.descendants(g.get("globalgrid:tier:Region", region.name).urn).filter((r) => r.type === "aws:ec2/subnet:Subnet" && r.name.includes("-public-"));
            assert.deepEqual([...(alb.inputs.subnets as string[])].sort(), publicSubnets.map((s) => s.id).sort());
            assert.deepEqual(publicSubnets.map((s) => s.inputs.cidrBlock).sort(), region.zones.map((z) => layout.awsPublic(region.cidr, z)).sort());

            assert.deepEqual([listener.inputs.port, listener.inputs.protocol, listener.inputs.loadBalancerArn], [443, "HTTPS", alb.outputs.arn]);
            assert.match(String(listener.inputs.sslPolicy), /^ELBSecurityPolicy-TLS13-1-2/);
            assert.equal(listener.inputs.certificateArn, cert.outputs.arn);
            assert.ok(deps(listener, "certificateArn").includes(validation.urn), "the listener waits for the certificate's validation");
            assert.deepEqual(listener.inputs.defaultActions, [{ type: "forward", targetGroupArn: tg.outputs.arn }]);
            assert.deepEqual([cert.inputs.domainName, cert.inputs.validationMethod], [host, "DNS"]);
            const opt = (cert.outputs.domainValidationOptions as Obj[])[0];
            const vrec = v.one(v.lb, RECORD, (r) => r.inputs.name === opt.resourceRecordName);
            assert.deepEqual([vrec.inputs.type, vrec.inputs.rrdatas, vrec.inputs.managedZone], [opt.resourceRecordType, [opt.resourceRecordValue], g.get("gcp:dns/managedZone:ManagedZone", "dns-zone").outputs.name]);
            assert.deepEqual(validation.inputs.validationRecordFqdns, [String(opt.resourceRecordName).replace(/\.$/, "")]);

            const svc = v.k8s("kubernetes:core/v1:Service", "broker");
            const nodePort = (at(svc.outputs, "spec.ports") as Obj[])[0].nodePort;
            assert.ok(nodePort >= 30000 && nodePort <= 32767);
            assert.deepEqual([tg.inputs.port, tg.inputs.protocol, tg.inputs.targetType], [nodePort, "HTTP", "instance"]);
            assert.equal((tg.inputs.healthCheck as Obj).path, BROKER_HEALTH_PATH);
            const sg = v.one(v.lb, "aws:ec2/securityGroup:SecurityGroup");
            assert.deepEqual(sg.inputs.egress, [{ description: "broker node port", protocol: "tcp", fromPort: nodePort, toPort: nodePort, cidrBlocks: [region.cidr] }]);
            const nodeRule = v.one(v.lb, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
            assert.deepEqual([nodeRule.inputs.referencedSecurityGroupId, nodeRule.inputs.fromPort, nodeRule.inputs.toPort], [sg.id, nodePort, nodePort]);
            const attach = v.one(v.lb, "aws:autoscaling/attachment:Attachment");
            assert.equal(attach.inputs.lbTargetGroupArn, tg.outputs.arn);
        }
    });

    it("GCP: a Cloud Armor policy on the broker backend: per-IP throttle, CRS rules (injection families in preview), default allow", async () => {
        const g = await fixtureGraph();
        assert.ok(dcs.some((d) => regionOf(d).cloud === "gcp"), "the world has GCP data centers");
        for (const dc of dcs.filter((d) => regionOf(d).cloud === "gcp")) {
            const v = view(g, dc);
            const armor = v.one(v.lb, "gcp:compute/securityPolicy:SecurityPolicy");
            const backend = v.one(v.lb, "gcp:compute/backendService:BackendService");
            assert.equal(armor.parent, v.path.urn);
            assert.deepEqual([armor.inputs.name, armor.inputs.project, armor.inputs.type], [names.syncGcpResource(dc.name, "armor"), world.gcpProject, "CLOUD_ARMOR"]);
            assert.equal(backend.inputs.securityPolicy, armor.id);
            assert.deepEqual(deps(backend, "securityPolicy"), [armor.urn], "the backend is attached to the policy once it exists");
            assert.equal((armor.inputs.advancedOptionsConfig as Obj).jsonParsing, "STANDARD");

            const rules = armor.inputs.rules as Obj[];
            assert.equal(new Set(rules.map((r) => r.priority)).size, rules.length, "priorities are unique");
            const byPriority = [...rules].sort((a, b) => a.priority - b.priority);
            const [limit, ...rest] = byPriority;
            assert.deepEqual(limit, {
                priority: 1000,
                description: `per-IP limit ${SYNC_RATE_LIMIT}/${SYNC_RATE_WINDOW_SECONDS}s`,
                action: "throttle",
                match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
                rateLimitOptions: { enforceOnKey: "IP", rateLimitThreshold: { count: 3000, intervalSec: 60 }, conformAction: "allow", exceedAction: "deny(429)" },
            });
            const last = rest.pop()!;
            assert.deepEqual([last.priority, last.action, last.match], [ARMOR_DEFAULT_PRIORITY, "allow", { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } }]);
            assert.deepEqual(
                rest.map((r) => [r.match.expr.expression, r.action, r.preview]),
                ARMOR_WAF_RULES.map((w) => [`evaluatePreconfiguredWaf('${w.rule}', {'sensitivity': 1})`, "deny(403)", w.preview]),
            );
            const enforced = rest.filter((r) => !r.preview).map((r) => /'([^']+)'/.exec(r.match.expr.expression)![1]);
            assert.deepEqual(enforced, ["protocolattack-v33-stable", "cve-canary"]);
            for (const r of rules) assert.ok(String(r.description ?? "").length <= 64, `rule description at most 64 characters: ${r.description}`);
        }
    });

    it("AWS: a regional WAF web ACL associated with the sync ALB: per-IP rate rule first, AWS managed groups with the body-size rule counted", async () => {
        const g = await fixtureGraph();
        assert.ok(dcs.some((d) => regionOf(d).cloud === "aws"), "the world has AWS data centers");
        for (const dc of dcs.filter((d) => regionOf(d).cloud === "aws")) {
            const v = view(g, dc);
            const alb = v.one(v.lb, "aws:lb/loadBalancer:LoadBalancer");
            const acl = v.one(v.lb, "aws:wafv2/webAcl:WebAcl");
            const assoc = v.one(v.lb, "aws:wafv2/webAclAssociation:WebAclAssociation");
            assert.equal(acl.parent, v.path.urn);
            assert.equal(assoc.parent, v.path.urn);
            assert.equal(acl.provider, alb.provider, "the web ACL lives in the ALB's region");
            assert.equal(assoc.provider, alb.provider);
            assert.deepEqual([assoc.inputs.resourceArn, assoc.inputs.webAclArn], [alb.outputs.arn, acl.outputs.arn]);
            assert.deepEqual(deps(assoc, "resourceArn"), [alb.urn]);
            assert.deepEqual(deps(assoc, "webAclArn"), [acl.urn]);

            const name = `${names.syncLoadBalancer(dc.name)}-waf`;
            assert.deepEqual([acl.inputs.name, acl.inputs.scope, acl.inputs.defaultAction], [name, "REGIONAL", { allow: {} }]);
            assert.match(String(acl.inputs.description), /^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$/, "WAF's description pattern");
            assert.deepEqual(acl.inputs.visibilityConfig, { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: name });
            const rules = acl.inputs.rules as Obj[];
            assert.deepEqual(rules[0], {
                name: "per-ip-rate",
                priority: 0,
                action: { block: { customResponse: { responseCode: 429 } } },
                statement: { rateBasedStatement: { aggregateKeyType: "IP", limit: SYNC_RATE_LIMIT, evaluationWindowSec: SYNC_RATE_WINDOW_SECONDS } },
                visibilityConfig: { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${name}-per-ip-rate` },
            });
            assert.ok(SYNC_RATE_LIMIT >= 10 && [60, 120, 300, 600].includes(SYNC_RATE_WINDOW_SECONDS), "WAF's rate-based limit and window bounds");
            const groups = rules.slice(1);
            assert.deepEqual(
                groups.map((r) => [r.statement.managedRuleGroupStatement.vendorName, r.statement.managedRuleGroupStatement.name, r.overrideAction]),
                [["AWS", "AWSManagedRulesCommonRuleSet", { none: {} }], ["AWS", "AWSManagedRulesKnownBadInputsRuleSet", { none: {} }]],
            );
            assert.deepEqual(groups[0].statement.managedRuleGroupStatement.ruleActionOverrides, [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }]);
            // why: the data center's warm runtime accepts bodies far above the rule's 8 KB
            const runtimeConfig = JSON.parse((at(v.k8s("kubernetes:core/v1:ConfigMap", "warm-pool-runtime").inputs, "data") as Obj)["runtime.json"]);
            assert.ok(runtimeConfig.maxBodyBytes > 8 * 1024, `${dc.name}: warm runtime maxBodyBytes ${runtimeConfig.maxBodyBytes}`);
            assert.deepEqual(groups.map((r) => r.statement.managedRuleGroupStatement.name), WAF_MANAGED_GROUPS.map((m) => m.name));
            for (const r of rules) {
                assert.ok(!("action" in r && "overrideAction" in r), `${r.name}: a rule has an action or an override action, not both`);
                assert.match(r.visibilityConfig.metricName, /^[A-Za-z0-9_-]{1,128}$/);
            }
            assert.equal(new Set(rules.map((r) => r.priority)).size, rules.length, "priorities are unique");
        }
    });

    it("narrows the broker's ingress to the load balancer's sources (GFE ranges; the ALB's public subnets) on the broker port, the warm pods on the code port", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = view(g, dc);
            const region = regionOf(dc);
            const policy = v.k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "broker");
            const ingress = at(policy.inputs, "spec.ingress") as Obj[];
            const want = region.cloud === "gcp" ? GOOGLE_FRONT_END_RANGES : region.zones.map((z) => layout.awsPublic(region.cidr, z));
            const runtimePods = at(v.k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "warm-pool").inputs, "spec.podSelector.matchLabels") as Obj;
            assert.deepEqual(
                ingress,
                [
                    { from: want.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: BROKER_PORT }] },
                    { from: [{ podSelector: { matchLabels: runtimePods } }], ports: [{ protocol: "TCP", port: BROKER_CODE_PORT }] },
                ],
                dc.name,
            );
            const brokerLabels = at(v.k8s("kubernetes:apps/v1:Deployment", "broker").inputs, "spec.template.metadata.labels") as Obj;
            for (const [k, val] of Object.entries(at(policy.inputs, "spec.podSelector.matchLabels") as Obj)) assert.equal(brokerLabels[k], val);
        }
    });

    it("renders a broker config the broker's own parser accepts, consistent with the pool, the Service and the mounts", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = view(g, dc);
            const cm = v.k8s("kubernetes:core/v1:ConfigMap", "broker");
            const config = parseBrokerConfig(JSON.parse((at(cm.inputs, "data") as Obj)["broker.json"]));
            const pool = v.k8s("kubernetes:apps/v1:Deployment", "warm-pool");
            assert.deepEqual(config.pool.selector, at(pool.inputs, "spec.selector.matchLabels"));
            assert.equal(config.namespace, names.dataCenterNamespace(dc.name));
            assert.equal(config.dataCenter, dc.name);
            assert.equal(config.listen.port, BROKER_PORT);
            assert.equal(config.recycleMinutes, dc.warmPool.recycleMinutes);
            assert.ok(config.drainSeconds >= config.runtime.requestTimeoutSeconds, "a draining pod outlives the longest request");
            assert.equal(config.consul.access.address, `https://${names.controlPlaneHost(dc.region)}:443`);
            assert.equal(config.consul.access.datacenter, dc.region);

            // every file the config names is mounted into the broker container
            const deployment = v.k8s("kubernetes:apps/v1:Deployment", "broker");
            const spec = at(deployment.inputs, "spec.template.spec") as Obj;
            const c = (spec.containers as Obj[])[0];
            const mountOf = (file: string) => (c.volumeMounts as Obj[]).find((m) => file.startsWith(`${m.mountPath}/`));
            const volumeOf = (file: string) => (spec.volumes as Obj[]).find((vol) => vol.name === mountOf(file)?.name);
            for (const file of [config.consul.access.tls.certFile, config.consul.access.tls.keyFile, config.consul.access.tls.caFile!]) {
                assert.equal(volumeOf(file)?.secret?.secretName, "control-plane-client-tls", `${dc.name}: ${file}`);
            }
            const login = volumeOf(config.consul.access.login.bearerTokenFile);
            const token = (login?.projected?.sources as Obj[] | undefined)?.find((s) => s.serviceAccountToken)?.serviceAccountToken;
            assert.equal(token?.audience, loginAudience(names.controlPlaneHost(dc.region)), `${dc.name}: the login token's audience is the region's auth method`);
            assert.ok(c.args.includes(`--config=${mountOf("/etc/broker/broker.json")?.mountPath}/broker.json`));
            assert.deepEqual(
                (c.env as Obj[]).find((e) => e.name === "POD_NAME"),
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            );
        }
    });
});
