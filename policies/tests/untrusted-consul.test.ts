import { strict as assert } from "assert";
import { consulAntiAffinity, consulGossipKey, consulPdb, consulReplicas, consulTlsVerify } from "../rules/consul";
import { untrustedDefaultDeny, untrustedNoToken, untrustedSandbox } from "../rules/untrusted";
import { defaultDeny, deployment, goodContainer, K8S, res, sandboxedSpec, violations } from "./support/fixtures";

const CLUSTER_A = "urn:pulumi:test::globalgrid::pulumi:providers:kubernetes::a";
const CLUSTER_B = "urn:pulumi:test::globalgrid::pulumi:providers:kubernetes::b";
const onA = { provider: CLUSTER_A };
const grid = (name: string, spec: Record<string, unknown>, ns = "dc-fra1") => res(K8S.deployment, name, deployment(name, { namespace: ns, spec }), onA);

describe("policies: untrusted code", () => {
    it("untrusted-gvisor-runtime: customer-code pods (by pool, toleration or label) need gVisor", async () => {
        const { runtimeClassName: _r, ...noRuntime } = sandboxedSpec;
        const byToleration = { tolerations: sandboxedSpec.tolerations };
        const labelled = res(K8S.deployment, "byLabel", deployment("byLabel", { labels: { "globalgrid.dev/untrusted": "true" } }));
        assert.deepEqual(await violations(untrustedSandbox, [grid("warm", noRuntime), grid("tol", byToleration), labelled]), [
            ['runs customer code with runtimeClassName null, not "gvisor"', "warm"],
            ['runs customer code with runtimeClassName null, not "gvisor"', "tol"],
            ['runs customer code with runtimeClassName null, not "gvisor"', "byLabel"],
        ]);
        assert.deepEqual(await violations(untrustedSandbox, [grid("warm", sandboxedSpec), res(K8S.deployment, "scaler", deployment("scaler"))]), []);
    });

    it("untrusted-no-service-account-token: no automount; only listed sidecars mount a projected token", async () => {
        const token = { name: "tok", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } };
        const mounting = (name: string) => ({ ...goodContainer(name), volumeMounts: [{ name: "tok", mountPath: "/var/run/tok" }] });
        const bad = res(K8S.deployment, "warm", deployment("warm", { spec: { ...sandboxedSpec, automountServiceAccountToken: true, volumes: [token] }, containers: [mounting("runtime")] }));
        assert.deepEqual(await violations(untrustedNoToken, [bad]), [
            ["runs customer code without automountServiceAccountToken: false", "warm"],
            ['container "runtime" mounts service-account token volume "tok"', "warm"],
        ]);
        const good = res(K8S.deployment, "jobs", deployment("jobs", { spec: { ...sandboxedSpec, volumes: [token] }, containers: [goodContainer("runtime"), mounting("job-supervisor")] }));
        assert.deepEqual(await violations(untrustedNoToken, [good]), []);
    });

    it("untrusted-default-deny: the namespace in the same cluster has a default-deny policy", async () => {
        const np = (name: string, ns: string, extra = {}) => res(K8S.networkPolicy, name, defaultDeny(ns), extra);
        const warm = grid("warm", sandboxedSpec);
        assert.deepEqual(await violations(untrustedDefaultDeny, [warm, np("elsewhere", "dc-fra1", { provider: CLUSTER_B }), np("other-ns", "dc-fra2", onA)]), [
            ['Deployment "warm" runs customer code in namespace "dc-fra1", which has no default-deny NetworkPolicy', "warm"],
        ]);
        const allowing = res(K8S.networkPolicy, "allow", { metadata: { namespace: "dc-fra1" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [{}] } }, onA);
        assert.equal((await violations(untrustedDefaultDeny, [warm, allowing])).length, 1);
        assert.deepEqual(await violations(untrustedDefaultDeny, [warm, np("deny", "dc-fra1", onA)]), []);
    });
});

const consulLabels = { app: "consul", component: "server" };
function consul(overrides: { replicas?: number; spec?: Record<string, unknown>; env?: Record<string, unknown>[]; args?: string[] } = {}) {
    const container = {
        ...goodContainer("consul", "hashicorp/consul:1.20.2"),
        env: overrides.env ?? [{ name: "CONSUL_GOSSIP_ENCRYPTION_KEY", valueFrom: { secretKeyRef: { name: "consul-gossip", key: "key" } } }],
        args: overrides.args ?? ["agent", "-config-dir=/consul/config", "-encrypt=$(CONSUL_GOSSIP_ENCRYPTION_KEY)"],
    };
    const antiAffinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: consulLabels }, topologyKey: "kubernetes.io/hostname" }] } };
    return {
        metadata: { name: "consul-server", namespace: "cp-fra" },
        spec: {
            replicas: overrides.replicas ?? 3,
            serviceName: "consul-server",
            selector: { matchLabels: consulLabels },
            template: {
                metadata: { labels: consulLabels },
                spec: { affinity: antiAffinity, containers: [container], volumes: [{ name: "config", configMap: { name: "consul-config" } }], ...overrides.spec },
            },
        },
    };
}
const sts = (name: string, props: Record<string, unknown>) => res(K8S.statefulSet, name, props, onA);
const tlsConfig = (tls: Record<string, unknown>) => res(K8S.configMap, "cfg", { metadata: { name: "consul-config", namespace: "cp-fra" }, data: { "server.json": JSON.stringify({ tls }) } }, onA);
const GOOD_TLS = { defaults: { verify_incoming: true, verify_outgoing: true }, internal_rpc: { verify_server_hostname: true }, https: { verify_incoming: false } };

describe("policies: Consul", () => {
    it("consul-replicas: odd and at least the configured minimum", async () => {
        assert.deepEqual(await violations(consulReplicas, [sts("fra", consul({ replicas: 4 })), sts("par", consul({ replicas: 1 }))]), [
            ["Consul runs 4 server replicas; use an odd number >= 3", "fra"],
            ["Consul runs 1 server replicas; use an odd number >= 3", "par"],
        ]);
        assert.deepEqual(await violations(consulReplicas, [sts("fra", consul({ replicas: 5 }))]), []);
        assert.deepEqual(await violations(consulReplicas, [sts("par", consul({ replicas: 1 }))], { "consul-replicas": { minReplicas: 1 } }), []);
    });

    it("consul-replicas: ignores StatefulSets that are not Consul servers (consul-dataplane is not Consul)", async () => {
        const other = deployment("dp", { containers: [goodContainer("dp", "hashicorp/consul-dataplane:1.6.2")] });
        assert.deepEqual(await violations(consulReplicas, [sts("dp", { ...other, spec: { ...(other.spec as object), replicas: 2 } })]), []);
    });

    it("consul-anti-affinity: required, by host, selecting its own pods", async () => {
        assert.deepEqual(await violations(consulAntiAffinity, [sts("fra", consul({ spec: { affinity: {} } }))]), [
            ["Consul servers have no required pod anti-affinity on kubernetes.io/hostname selecting their own pods", "fra"],
        ]);
        assert.deepEqual(await violations(consulAntiAffinity, [sts("fra", consul())]), []);
    });

    it("consul-gossip-key-secret: a secretKeyRef, never a literal", async () => {
        assert.deepEqual(await violations(consulGossipKey, [sts("fra", consul({ env: [{ name: "CONSUL_ENCRYPT", value: "c2VjcmV0" }], args: ["agent", "-encrypt=c2VjcmV0"] }))]), [
            ['container "consul" sets CONSUL_ENCRYPT to a literal value', "fra"],
            ['container "consul" passes a literal -encrypt key', "fra"],
            ["Consul servers read no gossip key from a Secret (env secretKeyRef or a Secret volume)", "fra"],
        ]);
        assert.deepEqual(await violations(consulGossipKey, [sts("fra", consul())]), []);
    });

    it("consul-pdb: a PodDisruptionBudget in the same namespace and cluster selects the servers", async () => {
        const pdb = (ns: string, provider = CLUSTER_A) => res(K8S.pdb, `pdb-${ns}-${provider.slice(-1)}`, { metadata: { namespace: ns }, spec: { maxUnavailable: 1, selector: { matchLabels: consulLabels } } }, { provider });
        assert.deepEqual(await violations(consulPdb, [sts("fra", consul()), pdb("cp-par"), pdb("cp-fra", CLUSTER_B)]), [['StatefulSet "consul-server" has no PodDisruptionBudget selecting its pods', "fra"]]);
        assert.deepEqual(await violations(consulPdb, [sts("fra", consul()), pdb("cp-fra")]), []);
    });

    it("consul-tls-verify: RPC verification on; the API listeners may relax verify_incoming", async () => {
        assert.deepEqual(await violations(consulTlsVerify, [sts("fra", consul()), tlsConfig({ defaults: { verify_incoming: true }, internal_rpc: { verify_incoming: false } })]), [
            ['StatefulSet "consul-server" does not turn on verify_incoming, verify_outgoing, verify_server_hostname', "fra"],
        ]);
        assert.deepEqual(await violations(consulTlsVerify, [sts("fra", consul()), tlsConfig(GOOD_TLS)]), []);
        const hcl = consul({ args: ["agent", "-hcl=verify_incoming = true", "-hcl=verify_outgoing = true", "-hcl=verify_server_hostname = true"] });
        assert.deepEqual(await violations(consulTlsVerify, [sts("fra", hcl)]), []);
    });
});
