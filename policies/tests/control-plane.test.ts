import { strict as assert } from "assert";
import { consulAnonymousDenied, consulServerCertUsages, controlPlaneBothPorts, noConsulForCustomerCode, trustAnchorPerRegion, ANONYMOUS_TOKEN_ACCESSOR } from "../rules/control-plane";
import { deployment, goodContainer, K8S, res, sandboxedSpec, violations } from "./support/fixtures";

const LSC = "tls:index/locallySignedCert:LocallySignedCert";
const LB = "globalgrid:network:MtlsLoadBalancer";
const cert = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;

describe("policies: control plane", () => {
    it("consul-server-cert-usages: a Consul server certificate needs server and client auth", async () => {
        const bad = res(LSC, "fra-consul-server", { allowedUses: ["digital_signature", "key_encipherment", "server_auth"] });
        const good = res(LSC, "par-consul-server", { allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"] });
        const other = res(LSC, "fra-cp-lb", { allowedUses: ["server_auth"] });
        assert.deepEqual(await violations(consulServerCertUsages, [bad, good, other]), [["Consul server certificate fra-consul-server lacks client_auth", "fra-consul-server"]]);
    });

    it("control-plane-both-consul-ports: gRPC paths are routed on GCP and AWS", async () => {
        const lb = res(LB, "fra-cp-lb", {});
        const parent = { parent: lb.urn };
        const route = { pathMatchers: [{ name: "consul", defaultService: "be", routeRules: [{ priority: 1, matchRules: [{ prefixMatch: "/hashicorp.consul." }], service: "grpc-be" }] }] };
        const goodMap = res("gcp:compute/uRLMap:URLMap", "fra-cp-um", { name: "gg-stg-fra-cp-um", defaultService: "be", ...route }, parent);
        const badMap = res("gcp:compute/uRLMap:URLMap", "par-cp-um", { name: "gg-stg-par-cp-um", defaultService: "be" }, parent);
        const elsewhere = res("gcp:compute/uRLMap:URLMap", "sites-um", { name: "gg-stg-sites", defaultService: "x" });
        assert.deepEqual(await violations(controlPlaneBothPorts, [lb, goodMap, badMap, elsewhere]), [
            ["URL map gg-stg-par-cp-um routes no /hashicorp.consul. path: Consul's gRPC TLS port is unreachable", "par-cp-um"],
        ]);
        const alb = res(LB, "sin-cp-lb", {});
        const p2 = { parent: alb.urn };
        const listener = res("aws:lb/listener:Listener", "sin-cp-https", { mutualAuthentication: { mode: "verify" }, arn: "l" }, p2);
        const grpc = res("aws:lb/targetGroup:TargetGroup", "sin-cp-consul-grpc", { protocolVersion: "GRPC", arn: "tg-grpc" }, p2);
        const http = res("aws:lb/targetGroup:TargetGroup", "sin-cp-consul", { protocolVersion: "HTTP2", arn: "tg-http" }, p2);
        const rule = (arn: string) => res("aws:lb/listenerRule:ListenerRule", "sin-cp-grpc", { conditions: [{ pathPattern: { values: ["/hashicorp.consul.*"] } }], actions: [{ type: "forward", targetGroupArn: arn }] }, p2);
        assert.deepEqual(await violations(controlPlaneBothPorts, [alb, listener, grpc, http, rule("tg-grpc")]), []);
        assert.deepEqual(await violations(controlPlaneBothPorts, [alb, listener, grpc, http, rule("tg-http")]), [["mTLS listener sin-cp-https forwards no /hashicorp.consul.* path to a GRPC target group", "sin-cp-https"]]);
    });

    it("consul-anonymous-denied: ACLs deny by default, the anonymous token gets nothing, binding rules select", async () => {
        const config = (acl: object) => res(K8S.configMap, "fra-consul-config", { data: { "server.json": JSON.stringify({ acl }) } });
        const anon = res("consul:index/aclTokenPolicyAttachment:AclTokenPolicyAttachment", "anon", { tokenId: ANONYMOUS_TOKEN_ACCESSOR, policy: "read-all" });
        const open = res("consul:index/aclBindingRule:AclBindingRule", "open", { selector: "", bindName: "fra1-broker" });
        assert.deepEqual(await violations(consulAnonymousDenied, [config({ enabled: true, default_policy: "allow" }), anon, open]), [
            ["Consul server config fra-consul-config does not enable ACLs with default_policy deny", "fra-consul-config"],
            ["AclTokenPolicyAttachment anon grants rights to the anonymous token", "anon"],
            ["binding rule open has no selector: every login through its auth method would get fra1-broker", "open"],
        ]);
        const scoped = res("consul:index/aclBindingRule:AclBindingRule", "scoped", { selector: 'value.namespace == "dc-fra1" and value.service_account == "broker"', bindName: "fra1-broker" });
        assert.deepEqual(await violations(consulAnonymousDenied, [config({ enabled: true, default_policy: "deny" }), scoped]), []);
    });

    it("mtls-trust-anchor-per-region: one CA per load balancer, shared by none", async () => {
        const tc = (name: string, pem: string) => res("gcp:certificatemanager/trustConfig:TrustConfig", name, { trustStores: [{ trustAnchors: [{ pemCertificate: pem }] }] });
        const bundle = (name: string, content: string) => res("aws:s3/bucketObjectv2:BucketObjectv2", name, { key: "ca-bundle.pem", content });
        assert.deepEqual(await violations(trustAnchorPerRegion, [tc("fra-cp-tc", cert("AAAA")), tc("par-cp-tc", cert("BBBB")), bundle("sin-cp-ca-bundle", cert("CCCC"))]), []);
        assert.deepEqual(await violations(trustAnchorPerRegion, [tc("fra-cp-tc", cert("ROOT")), bundle("sin-cp-ca-bundle", cert("ROOT")), bundle("syd-cp-ca-bundle", `${cert("DDDD")}${cert("ROOT")}`)]), [
            ["sin-cp-ca-bundle shares a trust anchor with fra-cp-tc", "sin-cp-ca-bundle"],
            ["syd-cp-ca-bundle trusts 2 certificates; exactly the region's client CA is expected", "syd-cp-ca-bundle"],
            ["syd-cp-ca-bundle shares a trust anchor with sin-cp-ca-bundle", "syd-cp-ca-bundle"],
        ]);
    });

    it("no-consul-access-for-customer-code: no client certificate, login token or CONSUL_* next to customer code", async () => {
        const tlsVolume = { name: "consul-client-tls", secret: { secretName: "control-plane-client-tls" } };
        const login = { name: "login", projected: { sources: [{ serviceAccountToken: { audience: "consul://fra.cp.example.com", path: "token" } }] } };
        const withEnv = { ...goodContainer("runtime"), env: [{ name: "CONSUL_HTTP_ADDR", value: "https://fra.cp.example.com" }] };
        const bad = res(K8S.deployment, "warm-pool", deployment("warm-pool", { spec: { ...sandboxedSpec, volumes: [tlsVolume, login] }, containers: [withEnv] }));
        assert.deepEqual(await violations(noConsulForCustomerCode, [bad]), [
            ['runs customer code with Consul access volume "consul-client-tls"', "warm-pool"],
            ['runs customer code with Consul access volume "login"', "warm-pool"],
            ['container "runtime" has Consul setting CONSUL_HTTP_ADDR', "warm-pool"],
        ]);
        const broker = res(K8S.deployment, "broker", deployment("broker", { spec: { volumes: [tlsVolume, login] }, containers: [withEnv] }));
        const grid = res(K8S.deployment, "job-grid", deployment("job-grid", { spec: sandboxedSpec }));
        assert.deepEqual(await violations(noConsulForCustomerCode, [broker, grid]), []);
    });
});
