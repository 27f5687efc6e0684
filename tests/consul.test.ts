import { strict as assert } from "assert";
import { parseWorld } from "../components/config/load";
import { allRegions, type Region, type World } from "../components/config/model";
import { GOOGLE_FRONT_END_RANGES } from "../components/network/mtls-load-balancer";
import { layout } from "../components/network/cidr";
import { isSignedBy, parseCert } from "./support/x509";
import { GraphIndex } from "../engine/graph";
import type { RecordedResource } from "../engine/recorder";
import { isSecret, plainStrings, reveal } from "../engine/values";
import { fixtureGraph, fixtureWorld, runWorld } from "./support/stacks";
import { configProblems, setPath, worldOf } from "./support/world-variants";

const STS = "kubernetes:apps/v1:StatefulSet";
const SVC = "kubernetes:core/v1:Service";
const SECRET = "kubernetes:core/v1:Secret";
const LSC = "tls:index/locallySignedCert:LocallySignedCert";

type Obj = Record<string, any>;
const spec = (r: RecordedResource) => r.inputs.spec as Obj;
const meta = (r: RecordedResource) => r.inputs.metadata as Obj;

function continentOf(world: World, region: Region) {
    return world.continents.find((c) => c.name === region.continent)!;
}

/** The Consul pieces of one region, checked to sit below its ConsulServers component. */
function consulOf(g: GraphIndex, region: string) {
    const component = g.get("globalgrid:workload:ConsulServers", `${region}-consul`);
    const below = new Set(g.descendants(component.urn).map((r) => r.urn));
    const pick = (type: string, name: string) => {
        const r = g.get(type, name);
        assert.ok(below.has(r.urn), `${type} ${name} is below ${region}'s ConsulServers`);
        return r;
    };
    return {
        component,
        sts: pick(STS, `${region}-consul-server`),
        headless: pick(SVC, `${region}-consul-headless`),
        api: pick(SVC, `${region}-consul-api`),
        config: pick("kubernetes:core/v1:ConfigMap", `${region}-consul-config`),
        gossip: pick(SECRET, `${region}-consul-gossip`),
        gossipKey: pick("random:index/randomBytes:RandomBytes", `${region}-consul-gossip`),
        tls: pick(SECRET, `${region}-consul-tls`),
        cert: pick(LSC, `${region}-consul-server`),
        pdb: pick("kubernetes:policy/v1:PodDisruptionBudget", `${region}-consul`),
        sa: pick("kubernetes:core/v1:ServiceAccount", `${region}-consul`),
        policies: g.descendants(component.urn).filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy"),
    };
}

describe("Consul servers", () => {
    // the fixture world (tests/fixtures/world-small.json): a gcp region with two data centers, an aws region with one
    const world = parseWorld(fixtureWorld());
    const regions = allRegions(world);

    it("puts one ConsulServers per region below the region tier, in its control-plane namespace of the continental cluster", async () => {
        const g = await fixtureGraph();
        assert.equal(g.ofType("globalgrid:workload:ConsulServers").length, regions.length);
        for (const r of regions) {
            const c = consulOf(g, r.name);
            assert.equal(c.component.parent, g.get("globalgrid:tier:Region", r.name).urn);
            const continentProvider = g.get("pulumi:providers:kubernetes", `${r.continent}-cp-k8s`).urn;
            for (const k of [c.sts, c.headless, c.api, c.config, c.gossip, c.tls, c.pdb, c.sa, ...c.policies]) {
                assert.equal(meta(k).namespace, `cp-${r.name}`, `${k.name} namespace`);
                assert.equal(k.provider, continentProvider, `${k.name} runs in ${r.continent}'s cluster`);
                assert.equal(meta(k).labels["globalgrid.dev/region"], r.name);
            }
            assert.ok(c.sts.dependencies.includes(g.get("kubernetes:core/v1:Namespace", `${r.name}-cp`).urn));
        }
    });

    it("runs the configured odd number of servers in parallel, one per host, spread over zones", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const s = spec(consulOf(g, r.name).sts);
            assert.equal(s.replicas, r.consul.replicas, r.name);
            assert.equal(s.replicas % 2, 1);
            assert.equal(s.podManagementPolicy, "Parallel");
            const selector = s.selector.matchLabels;
            const podLabels = s.template.metadata.labels;
            for (const [k, v] of Object.entries(selector)) assert.equal(podLabels[k], v, `pod label ${k}`);
            const anti = s.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
            assert.deepEqual(anti, [{ labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" }]);
            const spread = s.template.spec.topologySpreadConstraints;
            assert.equal(spread.length, 1);
            assert.equal(spread[0].topologyKey, "topology.kubernetes.io/zone");
            assert.equal(spread[0].maxSkew, 1);
            assert.equal(spread[0].whenUnsatisfiable, "DoNotSchedule");
            assert.deepEqual(spread[0].labelSelector.matchLabels, selector);
            assert.ok(s.template.spec.terminationGracePeriodSeconds > 0);
        }
    });

    it("keeps data on retained volumes of the configured size and class, which the continent provides", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const s = spec(consulOf(g, r.name).sts);
            assert.equal(s.volumeClaimTemplates.length, 1);
            const claim = s.volumeClaimTemplates[0];
            assert.equal(claim.spec.storageClassName, r.consul.storageClass);
            assert.equal(claim.spec.resources.requests.storage, r.consul.volumeSize);
            assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
            assert.deepEqual(s.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
            const mount = s.template.spec.containers[0].volumeMounts.find((m: Obj) => m.name === claim.metadata.name);
            assert.equal(mount.mountPath, "/consul/data");

            const cont = continentOf(world, r);
            const sc = g.get("kubernetes:storage.k8s.io/v1:StorageClass", `${cont.name}-${r.consul.storageClass}`);
            assert.equal(meta(sc).name, r.consul.storageClass);
            assert.equal(sc.inputs.reclaimPolicy, "Retain");
            assert.equal(sc.inputs.volumeBindingMode, "WaitForFirstConsumer");
            assert.equal(sc.inputs.provisioner, cont.cloud === "gcp" ? "pd.csi.storage.gke.io" : "ebs.csi.aws.com");
            if (cont.cloud === "aws") assert.equal((sc.inputs.parameters as Obj).encrypted, "true");
            assert.equal(sc.provider, g.get("pulumi:providers:kubernetes", `${cont.name}-cp-k8s`).urn);
            assert.equal(g.tierPath(sc).at(-1)!.name, cont.name, "the StorageClass belongs to the continent");
        }
    });

    it("runs Consul restricted: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp, no token", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const c = consulOf(g, r.name);
            const pod = spec(c.sts).template.spec;
            assert.equal(pod.securityContext.runAsNonRoot, true);
            assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
            assert.equal(pod.automountServiceAccountToken, false);
            assert.equal(pod.serviceAccountName, meta(c.sa).name);
            assert.equal(c.sa.inputs.automountServiceAccountToken, false);
            assert.equal(pod.containers.length, 1);
            const ctr = pod.containers[0];
            assert.equal(ctr.image, world.images.consul);
            assert.equal(ctr.securityContext.allowPrivilegeEscalation, false);
            assert.equal(ctr.securityContext.readOnlyRootFilesystem, true);
            assert.equal(ctr.securityContext.runAsNonRoot, true);
            assert.deepEqual(ctr.securityContext.capabilities.drop, ["ALL"]);
            assert.equal(ctr.securityContext.seccompProfile.type, "RuntimeDefault");
            assert.deepEqual(ctr.resources, {
                requests: { cpu: r.consul.resources.cpu, memory: r.consul.resources.memory },
                limits: { cpu: r.consul.resources.cpuLimit, memory: r.consul.resources.memoryLimit },
            });
        }
    });

    it("is ready on leader status over HTTPS, exposes only TLS ports and has no `consul leave` preStop", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const ctr = spec(consulOf(g, r.name).sts).template.spec.containers[0];
            const probe = ctr.readinessProbe.exec.command.join(" ");
            assert.match(probe, /https:\/\/127\.0\.0\.1:8501\/v1\/status\/leader/);
            assert.match(probe, /grep -E '"\.\+"'/, "an empty leader (\"\") is not ready");
            assert.equal(ctr.lifecycle, undefined, "no preStop hook");
            assert.ok(!JSON.stringify(ctr).includes("leave"), "no consul leave");
            const ports = ctr.ports.map((p: Obj) => p.containerPort);
            for (const p of [8300, 8301, 8501, 8503]) assert.ok(ports.includes(p), `port ${p}`);
            assert.ok(!ports.includes(8500), "no plain HTTP port");
            assert.ok(!ports.includes(8502), "no plaintext gRPC port");
        }
    });

    it("configures each server as its region's datacenter with TLS, ACLs, autopilot and retry_join through the headless Service", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const c = consulOf(g, r.name);
            const cfg = JSON.parse((c.config.inputs.data as Obj)["server.json"]) as Obj;
            assert.equal(cfg.datacenter, r.name);
            assert.equal(cfg.server, true);
            assert.equal(cfg.bootstrap_expect, r.consul.replicas);
            const headless = meta(c.headless).name;
            assert.equal(spec(c.sts).serviceName, headless);
            assert.equal(cfg.retry_join.length, r.consul.replicas);
            cfg.retry_join.forEach((addr: string, i: number) => assert.equal(addr, `${meta(c.sts).name}-${i}.${headless}.cp-${r.name}.svc.cluster.local:8301`));
            assert.equal(cfg.ports.http, -1, "no plain HTTP");
            assert.equal(cfg.ports.https, 8501);
            assert.equal(cfg.ports.grpc, -1, "no plaintext gRPC");
            assert.equal(cfg.ports.grpc_tls, 8503);
            assert.equal(cfg.tls.defaults.verify_incoming, true);
            assert.equal(cfg.tls.defaults.verify_outgoing, true);
            assert.equal(cfg.tls.internal_rpc.verify_server_hostname, true);
            assert.equal(cfg.tls.defaults.ca_file, "/consul/tls/ca.crt");
            assert.deepEqual(cfg.acl && { enabled: cfg.acl.enabled, default_policy: cfg.acl.default_policy }, { enabled: true, default_policy: "deny" });
            assert.equal(cfg.leave_on_terminate, true);
            assert.equal(cfg.autopilot.cleanup_dead_servers, true);
            assert.equal(cfg.performance.raft_multiplier, 1);
            assert.equal(cfg.encrypt, undefined, "the gossip key is not in the ConfigMap");
            const mounts = spec(c.sts).template.spec.volumes;
            assert.ok(mounts.some((v: Obj) => v.configMap?.name === meta(c.config).name));
            assert.ok(mounts.some((v: Obj) => v.secret?.secretName === meta(c.tls).name));
        }
    });

    it("serves retry_join from a headless Service that publishes unready servers, and the API from its own Service", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const c = consulOf(g, r.name);
            const selector = spec(c.sts).selector.matchLabels;
            assert.equal(spec(c.headless).clusterIP, "None");
            assert.equal(spec(c.headless).publishNotReadyAddresses, true);
            assert.deepEqual(spec(c.headless).selector, selector);
            assert.deepEqual(spec(c.api).selector, selector);
            assert.deepEqual(spec(c.api).ports.map((p: Obj) => p.port), [8501, 8503]);
            assert.equal(spec(c.pdb).maxUnavailable, 1);
            assert.deepEqual(spec(c.pdb).selector.matchLabels, selector);
        }
    });

    it("generates a 32-byte gossip key and keeps it a secret end to end", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const c = consulOf(g, r.name);
            assert.equal(c.gossipKey.inputs.length, 32);
            const data = c.gossip.inputs.stringData;
            assert.ok(isSecret(data) || isSecret((data as Obj)["gossip.json"]), `${r.name} gossip key is a secret`);
            const key = String(JSON.parse(String((reveal(data) as Obj)["gossip.json"])).encrypt);
            assert.equal(Buffer.from(key, "base64").length, 32);
            assert.equal(key, reveal(c.gossipKey.outputs.base64));
            // read from a Secret volume as a second config dir: never an env var or a flag
            const pod = spec(c.sts).template.spec;
            const vol = pod.volumes.find((v: Obj) => v.secret?.secretName === meta(c.gossip).name);
            assert.ok(vol, `${r.name} mounts the gossip Secret`);
            const mount = pod.containers[0].volumeMounts.find((m: Obj) => m.name === vol.name);
            assert.ok(pod.containers[0].command.includes(`-config-dir=${mount.mountPath}`));
            assert.ok(!JSON.stringify(pod.containers[0].env ?? []).includes("secretKeyRef"), "no secret in env");
            assert.ok(!pod.containers[0].command.some((a: string) => a.startsWith("-encrypt")));
            for (const res of g.resources) {
                for (const s of [...plainStrings(res.inputs, "inputs"), ...plainStrings(res.outputs, "outputs")]) {
                    assert.ok(!s.value.includes(key), `${res.urn} ${s.path} holds ${r.name}'s gossip key in plain text`);
                }
            }
        }
    });

    it("never shows a private key in plain inputs", async () => {
        const g = await fixtureGraph();
        const keys = g.ofType("tls:index/privateKey:PrivateKey").map((k) => {
            assert.ok(isSecret(k.outputs.privateKeyPem), `${k.name} privateKeyPem is secret`);
            return String(reveal(k.outputs.privateKeyPem)).trim();
        });
        assert.ok(keys.length > 0);
        for (const res of g.resources) {
            for (const s of plainStrings(res.inputs, "inputs")) {
                for (const key of keys) assert.ok(!s.value.includes(key), `${res.urn} ${s.path} holds a private key`);
            }
        }
    });

    it("signs the server certificate with the region's intermediate for the Service names and server.<region>.consul", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const c = consulOf(g, r.name);
            const inter = g.get(LSC, `${r.name}-intermediate-ca`);
            assert.equal(c.cert.inputs.caCertPem, inter.outputs.certPem);
            assert.deepEqual(c.cert.inputs.allowedUses, ["digital_signature", "key_encipherment", "server_auth", "client_auth"]);
            const body = parseCert(String(c.cert.outputs.certPem));
            assert.deepEqual(body.extendedKeyUsages, ["server_auth", "client_auth"], "servers dial each other with it under verify_incoming");
            assert.equal(body.subjectCn, `server.${r.name}.consul`);
            assert.ok(await isSignedBy(String(c.cert.outputs.certPem), String(inter.outputs.certPem)));
            for (const san of [`server.${r.name}.consul`, `*.server.${r.name}.consul`, `${r.name}.cp.${world.domain}`, `consul-server.cp-${r.name}.svc`, `*.consul-server.cp-${r.name}.svc.cluster.local`, `consul-api.cp-${r.name}.svc`]) {
                assert.ok(body.dnsNames?.includes(san), `${r.name} server cert SAN ${san}`);
            }
            assert.equal(c.tls.inputs.type, "kubernetes.io/tls");
            assert.ok(isSecret(c.tls.inputs.stringData) || isSecret((c.tls.inputs.stringData as Obj)["tls.key"]), "tls.key is secret");
            const data = reveal(c.tls.inputs.stringData) as Obj;
            assert.equal(data["tls.crt"], c.cert.outputs.certPem);
            assert.equal(data["ca.crt"], inter.outputs.certPem, "servers trust their own region's intermediate only");
        }
    });

    it("admits only Consul ports from the expected sources", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const c = consulOf(g, r.name);
            const selector = spec(c.sts).selector.matchLabels;
            assert.equal(c.policies.length, 4);
            for (const p of c.policies) assert.deepEqual(spec(p).podSelector.matchLabels, selector);
            const byName = (n: string) => spec(c.policies.find((p) => meta(p).name === n)!);
            const peers = byName("consul-server-peers");
            assert.deepEqual(peers.ingress[0].from, [{ podSelector: { matchLabels: selector } }]);
            assert.deepEqual(
                peers.ingress[0].ports.map((p: Obj) => `${p.protocol}/${p.port}`).sort(),
                ["TCP/8300", "TCP/8301", "UDP/8301"],
            );
            const lb = byName("consul-server-load-balancer");
            assert.deepEqual(lb.ingress[0].ports, [{ protocol: "TCP", port: 8501 }, { protocol: "TCP", port: 8503 }]);
            const oidc = byName("consul-server-oidc-discovery");
            assert.deepEqual(oidc.egress[0].ports, [{ protocol: "TCP", port: 443 }], "JWKS / OIDC discovery of the data-plane issuers");
            assert.ok(oidc.egress[0].to[0].ipBlock.except.includes("10.0.0.0/8"), "public addresses only");
            assert.deepEqual(
                lb.ingress[0].from.map((f: Obj) => f.ipBlock.cidr),
                // GCP: Google's front ends; AWS: the ALB's nodes in the continent VPC's public subnets
                ((cont) => (cont.cloud === "gcp" ? GOOGLE_FRONT_END_RANGES : cont.zones.map((z) => layout.awsPublic(cont.cidr, z))))(continentOf(world, r)),
            );
            for (const p of c.policies) for (const rule of spec(p).ingress ?? []) assert.ok(rule.from.length > 0, "no ingress from anywhere");
        }
    });

    it("protects the StatefulSets exactly in prod", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            assert.equal(consulOf(g, r.name).sts.protect, world.environment === "prod", r.name);
            assert.equal(consulOf(g, r.name).sts.protect, r.protect);
        }
    });

    describe("rejects invalid control-plane settings, naming the path", () => {
        const problems = configProblems;
        const cases: [string, "staging" | "prod", string, unknown, string, RegExp][] = [
            ["even replicas", "staging", "continents.eu.regions.fra.consul", { replicas: 4 }, "continents.eu.regions.fra.consul.replicas", /even/],
            ["even default replicas", "prod", "defaults.region.consul.replicas", 2, "defaults.region.consul.replicas", /even/],
            ["a single server in prod", "prod", "continents.ap.regions.sin.consul", { replicas: 1 }, "continents.ap.regions.sin.consul.replicas", /below 3/],
            ["a storage class that is not a DNS label", "staging", "continents.na.regions.was.consul", { storageClass: "Fast_SSD" }, "continents.na.regions.was.consul.storageClass", /DNS-1123/],
            ["a too-small volume", "prod", "continents.eu.regions.par.consul", { volumeSize: "2Gi" }, "continents.eu.regions.par.consul.volumeSize", /too small/],
            ["a volume not in Gi", "staging", "defaults.region.consul.volumeSize", "10G", "defaults.region.consul.volumeSize", /whole number of Gi/],
            ["a gcp continent without zones", "staging", "continents.eu.zones", undefined, "continents.eu.zones", /zones/],
            ["a gcp continent zone outside its location", "prod", "continents.ap.zones", ["asia-northeast1-a", "europe-west1-b"], "continents.ap.zones.1", /not a zone of asia-northeast1/],
        ];
        for (const [what, stack, path, value, expectPath, pattern] of cases) {
            it(what, () => {
                const found = problems(setPath(worldOf(stack), path, value));
                const hit = found.find((p) => p.path === expectPath);
                assert.ok(hit, `expected a problem at ${expectPath}, got ${JSON.stringify(found)}`);
                assert.match(hit.message, pattern);
            });
        }

        it("accepts 5 servers and a custom storage class, which the continent then provides", async () => {
            const w = setPath(worldOf("staging"), "continents.na.regions.was.consul", { replicas: 5, storageClass: "consul-fast" });
            const graph = await runWorld({ stack: "staging", world: w });
            if (graph.error) throw graph.error;
            const g = new GraphIndex(graph);
            assert.equal(spec(g.get(STS, "was-consul-server")).replicas, 5);
            assert.equal(meta(g.get("kubernetes:storage.k8s.io/v1:StorageClass", "na-consul-fast")).name, "consul-fast");
            assert.equal(meta(g.get("kubernetes:storage.k8s.io/v1:StorageClass", "eu-consul-retain")).name, "consul-retain");
            assert.throws(() => g.get("kubernetes:storage.k8s.io/v1:StorageClass", "na-consul-retain"), "no unused class on na");
        });
    });
});
