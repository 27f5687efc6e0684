import { strict as assert } from "assert";
import { stackGraph, STACKS } from "../../tests/support/stacks";
import { PACK_ENFORCEMENT, policies } from "../pack";
import { mandatory, policyReport, stackPolicyConfig } from "../report";
import { runPolicies } from "../runner";
import { K8S, res } from "./support/fixtures";

/** A hand-written unsafe deployment (consul:latest, hostPort, kubeconfig from a ConfigMap) plus an undead-lettered subscription and a listener without mTLS. */
function unsafeManifests() {
    const consulContainer = {
        name: "consul",
        image: "consul:latest",
        env: [{ name: "CONSUL_ENCRYPTION_KEY", valueFrom: { secretKeyRef: { name: "consul", key: "consul-encryption-key" } } }],
        args: ["agent", "-advertise=$(POD_IP)", "-bootstrap-expect=3", "-config-file=/etc/consul/config/server.json", "-encrypt=$(CONSUL_ENCRYPTION_KEY)"],
        ports: [{ name: "http", containerPort: 8500 }],
    };
    const labels = { app: "consul", component: "server" };
    const consul = res(K8S.statefulSet, "consul", {
        metadata: { name: "consul" },
        spec: {
            replicas: 3,
            serviceName: "consul",
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["consul"] }] }, topologyKey: "kubernetes.io/hostname" }] } },
                    containers: [consulContainer],
                    volumes: [{ name: "consul-config-server", configMap: { name: "consul-config-server" } }],
                },
            },
        },
    });
    const sidecar = { ...consulContainer, name: "consul-bolina", args: ["agent", "-config-file=/etc/consul/config/client.json", "-encrypt=$(CONSUL_ENCRYPTION_KEY)"] };
    const bolina = res(K8S.deployment, "bolina", {
        metadata: { name: "bolina" },
        spec: {
            replicas: 0,
            selector: { matchLabels: { app: "bolina" } },
            template: {
                metadata: { labels: { app: "bolina" } },
                spec: {
                    containers: [
                        { name: "bolina-server", image: "bolina-image", ports: [{ containerPort: 9001, hostPort: 9001, protocol: "TCP" }, { containerPort: 9002, hostPort: 9002, protocol: "UDP" }] },
                        { ...sidecar, ports: [{ containerPort: 8500, hostPort: 8500 }] },
                    ],
                },
            },
        },
    });
    const watcher = res(K8S.deployment, "watcher", {
        metadata: { name: "watcher" },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: "watcher" } },
            template: {
                metadata: { labels: { app: "watcher" } },
                spec: {
                    containers: [{ name: "watcher", image: "watcher-image", volumeMounts: [{ name: "kube-config", mountPath: "/usr/src/app/config", subPath: "config" }] }, { ...sidecar, name: "consul-watcher" }],
                    volumes: [{ name: "kube-config", configMap: { name: "kube-config" } }],
                },
            },
        },
    });
    const topic = res("gcp:pubsub/topic:Topic", "jobs", { name: "jobs" });
    const subscription = res("gcp:pubsub/subscription:Subscription", "jobs", { name: "jobs", topic: "jobs", ackDeadlineSeconds: 60 }, { propertyDependencies: { topic: [topic.urn] } });
    const listener = res("aws:lb/listener:Listener", "control-plane", { port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08", defaultActions: [{ type: "forward" }] });
    return [consul, bolina, watcher, topic, subscription, listener];
}

describe("policies: a hand-written unsafe deployment", () => {
    it("produce the expected mandatory violations", async () => {
        const run = await runPolicies(policies, unsafeManifests(), { packEnforcementLevel: PACK_ENFORCEMENT });
        const got = new Set(run.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy} ${v.urn.split("::").pop()}: ${v.message}`));
        const expected = [
            'container-image-pinned consul: container "consul" image "consul:latest" uses the `latest` tag',
            'container-image-pinned bolina: container "bolina-server" image "bolina-image" has no tag or digest',
            'container-image-pinned watcher: container "consul-watcher" image "consul:latest" uses the `latest` tag',
            'container-image-registry consul: container "consul" image "consul:latest" is not from an allowed registry (docker.io/hashicorp/, europe-docker.pkg.dev/)',
            'no-host-access bolina: container "bolina-server" binds host ports 9001, 9002',
            'no-host-access bolina: container "consul-bolina" binds host ports 8500',
            'no-credentials-in-configmaps watcher: volume "kube-config" mounts a kubeconfig from ConfigMap "kube-config"',
            'container-resources consul: container "consul" has no resources.requests.cpu, resources.requests.memory, resources.limits.memory',
            'consul-pdb consul: StatefulSet "consul" has no PodDisruptionBudget selecting its pods',
            'consul-tls-verify consul: StatefulSet "consul" does not turn on verify_incoming, verify_outgoing, verify_server_hostname',
            'pubsub-dead-letter-policy jobs: Subscription "jobs" has no dead-letter policy',
            'pubsub-retry-policy jobs: Subscription "jobs" has no retry policy with minimum and maximum backoff',
            // nothing enables the Pub/Sub API before the topic and subscription
            'gcp-apis-enabled jobs: Topic "jobs" is not created after pubsub.googleapis.com',
            'gcp-apis-enabled jobs: Subscription "jobs" is not created after pubsub.googleapis.com',
            "aws-listener-mtls control-plane: listener on port 443 does not verify client certificates (mutual authentication off)",
            'aws-listener-tls-policy control-plane: listener on port 443 uses security policy "ELBSecurityPolicy-2016-08", which allows TLS below 1.2',
        ];
        for (const e of expected) assert.ok(got.has(e), `missing: ${e}\n got:\n${[...got].join("\n")}`);
        const policiesHit = new Set(run.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy));
        assert.deepEqual([...policiesHit].sort(), [
            "aws-listener-mtls",
            "aws-listener-tls-policy",
            "consul-pdb",
            "consul-tls-verify",
            "container-image-pinned",
            "container-image-registry",
            "container-resources",
            "container-security-context",
            "gcp-apis-enabled",
            "no-credentials-in-configmaps",
            "no-host-access",
            "pubsub-dead-letter-policy",
            "pubsub-retry-policy",
        ]);
    });
});

/** Stack policies that must find what they check in both real stacks (prod-state-protected: prod only). */
const MUST_APPLY = ["untrusted-default-deny", "consul-pdb", "consul-tls-verify", "scaler-target-ignore-replicas", "pubsub-dead-letter-policy", "pubsub-dead-letter-topic", "gcp-https-proxy-mtls", "s3-public-access-block"];

describe("policies: the real stacks", () => {
    for (const stack of STACKS) {
        it(`${stack}: no mandatory violation, and every stack policy found its resources`, async () => {
            const g = await stackGraph(stack);
            const report = await policyReport(g.graph);
            assert.deepEqual(mandatory(report), []);
            for (const v of report.violations) assert.deepEqual(Object.keys(v), ["policy", "enforcementLevel", "urn", "message"]);
            const run = await runPolicies(policies, g.resources, { config: stackPolicyConfig(stack), packEnforcementLevel: PACK_ENFORCEMENT });
            const skipped = new Set(run.notApplicable.filter((n) => n.urn === undefined).map((n) => n.policy));
            for (const p of MUST_APPLY) assert.ok(!skipped.has(p), `${p} was not applicable in ${stack}`);
            assert.equal(skipped.has("prod-state-protected"), stack !== "prod");
            for (const type of ["kubernetes:apps/v1:StatefulSet", "gcp:pubsub/subscription:Subscription", "gcp:compute/targetHttpsProxy:TargetHttpsProxy", "aws:lb/listener:Listener"]) {
                assert.ok(g.ofType(type).length > 0, `${stack} has no ${type} to check`);
            }
        });
    }

    it("prod: unprotecting a Consul StatefulSet or a topic is caught", async () => {
        const g = await stackGraph("prod");
        const resources = g.resources.map((r) => (r.type === "gcp:pubsub/topic:Topic" || r.type === "kubernetes:apps/v1:StatefulSet" ? { ...r, protect: false } : r));
        const run = await runPolicies(policies, resources, { config: stackPolicyConfig("prod"), packEnforcementLevel: PACK_ENFORCEMENT });
        const hits = run.violations.filter((v) => v.policy === "prod-state-protected");
        assert.equal(hits.length, g.ofType("gcp:pubsub/topic:Topic").length + g.ofType("kubernetes:apps/v1:StatefulSet").length);
    });
});
