import { strict as assert } from "assert";
import { parseWorld } from "../components/config/load";
import { allRegions } from "../components/config/model";
import { Names } from "../components/naming";
import { CLAIM_MAPPINGS, CONSUL_AUTH_METHOD } from "../components/workloads/consul/acl-bootstrap";
import { isSecret, reveal } from "../engine/values";
import { fixtureGraph, fixtureWorld } from "./support/stacks";
import { isSignedBy } from "./support/x509";

type Obj = Record<string, any>;
const AUTH = "consul:index/aclAuthMethod:AclAuthMethod";
const RULE = "consul:index/aclBindingRule:AclBindingRule";
const POLICY = "consul:index/aclPolicy:AclPolicy";
const ROLE = "consul:index/aclRole:AclRole";

describe("Consul ACLs: bootstrapped declaratively", () => {
    // the fixture world (tests/fixtures/world-small.json): a gcp region with two data centers, an aws region with one
    const world = parseWorld(fixtureWorld());
    const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
    const regions = allRegions(world);

    it("generates the initial management token as a secret and loads it into every server from a Secret", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const token = g.get("random:index/randomUuid:RandomUuid", `${r.name}-consul-management-token`);
            assert.ok(isSecret(token.outputs.result), `${r.name} token is a secret`);
            assert.equal(token.protect, r.protect);
            const secret = g.get("kubernetes:core/v1:Secret", `${r.name}-consul-acl`);
            const data = secret.inputs.stringData as Obj;
            assert.ok(isSecret(data) || isSecret(data["acl.json"]), "acl.json is a secret");
            assert.deepEqual(JSON.parse(String(reveal((reveal(data) as Obj)["acl.json"]))), { acl: { tokens: { initial_management: reveal(token.outputs.result) } } });
            const sts = g.get("kubernetes:apps/v1:StatefulSet", `${r.name}-consul-server`);
            const pod = (sts.inputs.spec as Obj).template.spec;
            assert.ok(pod.containers[0].command.includes("-config-dir=/consul/acl"));
            assert.equal(pod.volumes.find((v: Obj) => v.name === "acl").secret.secretName, "consul-acl-bootstrap");
            assert.ok(sts.dependencies.includes(secret.urn));
            const config = JSON.parse(String((g.get("kubernetes:core/v1:ConfigMap", `${r.name}-consul-config`).inputs.data as Obj)["server.json"]));
            assert.deepEqual(config.acl, { enabled: true, default_policy: "deny", down_policy: "extend-cache", enable_token_persistence: true });
            assert.equal(JSON.stringify(config).includes(String(reveal(token.outputs.result))), false, "no token in the ConfigMap");
        }
    });

    it("declares the ACLs through the region's load balancer with an operator certificate of the region's client CA and the management token", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const host = names.controlPlaneHost(r.name);
            const provider = g.get("pulumi:providers:consul", `${r.name}-consul-acl`);
            assert.equal(provider.inputs.address, `${host}:443`);
            assert.equal(provider.inputs.scheme, "https");
            assert.equal(provider.inputs.datacenter, r.name);
            assert.ok(isSecret(provider.inputs.token), "token is a secret");
            assert.ok(isSecret(provider.inputs.keyPem), "operator key is a secret");
            assert.equal(reveal(provider.inputs.token), reveal(g.get("random:index/randomUuid:RandomUuid", `${r.name}-consul-management-token`).outputs.result));
            const clientCa = String(g.get("tls:index/selfSignedCert:SelfSignedCert", `${r.name}-client-ca`).outputs.certPem);
            assert.ok(await isSignedBy(String(provider.inputs.certPem), clientCa), "operator cert of the region's client CA");
            assert.equal(provider.inputs.caPem, g.get("tls:index/locallySignedCert:LocallySignedCert", `${r.name}-intermediate-ca`).outputs.certPem);
            const auth = g.ofType(AUTH).find((a) => g.regionOf(a) === r.name)!;
            assert.equal(auth.provider, provider.urn);
            const sts = g.get("kubernetes:apps/v1:StatefulSet", `${r.name}-consul-server`);
            assert.ok(auth.dependencies.includes(sts.urn), "waits for the servers");
            const front = g.descendants(g.get("globalgrid:network:MtlsLoadBalancer", `${r.name}-cp-lb`).urn).filter((x) => ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "aws:lb/listener:Listener"].includes(x.type));
            assert.equal(front.length, 1);
            assert.ok(auth.dependencies.includes(front[0].urn), "waits for the load balancer's frontend");
        }
    });

    it("binds each data center's broker and scalers, by namespace and service account, through a JWT auth method on the data-plane issuer", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const host = names.controlPlaneHost(r.name);
            const auth = g.ofType(AUTH).filter((a) => g.regionOf(a) === r.name);
            assert.equal(auth.length, 1);
            assert.equal(auth[0].inputs.name, CONSUL_AUTH_METHOD);
            assert.equal(auth[0].inputs.type, "jwt");
            const config = JSON.parse(String(auth[0].inputs.configJson));
            const issuer =
                r.cloud === "gcp"
                    ? `https://container.googleapis.com/v1/projects/${world.gcpProject}/locations/${r.location}/clusters/${names.regionCluster(r.name)}`
                    : (g.get("aws:eks/cluster:Cluster", `${r.name}-dp`).outputs.identities as Obj[])[0].oidcs[0].issuer;
            assert.equal(config.BoundIssuer, issuer);
            assert.equal(config.OIDCDiscoveryURL, issuer);
            assert.deepEqual(config.BoundAudiences, [`consul://${host}`]);
            assert.deepEqual(config.ClaimMappings, CLAIM_MAPPINGS);
            const rules = g.ofType(RULE).filter((x) => g.regionOf(x) === r.name);
            const expected = r.dataCenters.flatMap((dc) => ["broker", "warm-pool-scaler", "job-grid-scaler"].map((sa) => `value.namespace == "dc-${dc.name}" and value.service_account == "${sa}"`));
            assert.deepEqual(rules.map((x) => x.inputs.selector).sort(), expected.sort());
            assert.ok(!rules.some((x) => String(x.inputs.selector).includes("job-supervisor")), "the supervisor gets no token");
            for (const rule of rules) {
                assert.equal(rule.inputs.authMethod, CONSUL_AUTH_METHOD);
                assert.equal(rule.inputs.bindType, "role");
                const dc = /dc-([a-z0-9]+)/.exec(String(rule.inputs.selector))![1];
                const agent = String(rule.inputs.selector).includes("broker") ? "broker" : "scaler";
                assert.equal(rule.inputs.bindName, `${dc}-${agent}`);
                const role = g.ofType(ROLE).find((x) => x.inputs.name === `${dc}-${agent}`)!;
                const policy = g.ofType(POLICY).find((x) => x.inputs.name === `${dc}-${agent}`)!;
                assert.deepEqual(role.inputs.policies, [`${policy.name}-id`]);
                const rulesText = String(policy.inputs.rules);
                if (agent === "broker") {
                    assert.match(rulesText, new RegExp(`service_prefix "${dc}-" \\{\\s*policy = "write"`));
                    // the site catalog (SITE_KV_PREFIX): read-only, nothing else of the KV store
                    const keyRules = [...rulesText.matchAll(/key(?:_prefix)? "([^"]*)" \{\s*policy = "(\w+)"/g)].map((m) => [m[1], m[2]]);
                    assert.deepEqual(keyRules, [["globalgrid/sites/", "read"]]);
                } else {
                    assert.match(rulesText, new RegExp(`service_prefix "${dc}-" \\{\\s*policy = "read"`));
                    assert.ok(!rulesText.includes("write"), "scalers only read");
                    assert.ok(!rulesText.includes("key"), "scalers read no KV");
                }
                assert.ok(!/acl\s*=|operator\s*=|keyring|agent_prefix/.test(rulesText), `${policy.name} grants nothing beyond the catalog`);
            }
        }
    });
});
