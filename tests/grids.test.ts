import { strict as assert } from "assert";
import type { RecordedResource } from "../engine/recorder";
import { at, plainStrings } from "../engine/values";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions, type DataCenter, type World } from "../components/config/model";
import { Names } from "../components/naming";
import { parseCidr } from "../components/network/cidr";
import { CLIENT_TLS_SECRET } from "../components/tiers/data-center";
import { CONSUL_AUTH_METHOD } from "../components/workloads/consul/acl-bootstrap";
import { consulAccessSchema } from "../agents/common/src/consul-access";
import { BROKER_PORT } from "../components/workloads/broker";
import { fixtureGraph, fixtureWorld } from "./support/stacks";
import { configMapJson, container, containers, dataCenterView, podSpec, type Obj } from "./support/data-center-view";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const IAM_MEMBER = "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember";
const PROJECT_NUMBER = "418203395521"; // what engine/mocks.ts answers for getProject

const volume = (d: RecordedResource, name: string): Obj => (podSpec(d).volumes as Obj[]).find((v) => v.name === name) as Obj;
const mounts = (c: Obj): string[] => ((c.volumeMounts ?? []) as Obj[]).map((m) => m.name as string);
const mountersOf = (d: RecordedResource, vol: string): string[] => containers(d).filter((c) => mounts(c).includes(vol)).map((c) => c.name as string);
const isTokenVolume = (v: Obj | undefined): boolean => !!v?.projected && (v.projected.sources as Obj[]).some((s) => s.serviceAccountToken);

function contains(outer: string, inner: string): boolean {
    const o = parseCidr(outer)!;
    const i = parseCidr(inner)!;
    const size = (p: number) => 2 ** (32 - p);
    return i.prefix >= o.prefix && i.base >= o.base && i.base + size(i.prefix) <= o.base + size(o.prefix);
}

const GRIDS = [
    { name: "warm-pool", pool: "warm-pool", customer: "runtime", member: "warm" },
    { name: "job-grid", pool: "job-grid", customer: "app", member: "jobs" },
] as const;

describe("data-center grids", () => {
    // the fixture world: a gcp region with two data centers and an aws region with one
    const world: World = parseWorld(fixtureWorld());
    const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
    const dcs = allDataCenters(world);
    const regionOf = (dc: DataCenter) => allRegions(world).find((r) => r.name === dc.region)!;

    it("builds a warm pool, a job grid, a broker, two scalers and a Consul client in every data center", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const comps = (t: string) => v.all.filter((r) => r.type === t).length;
            assert.deepEqual(
                ["WarmPool", "JobGrid", "Broker", "Scaler", "ConsulClient"].map((t) => comps(`globalgrid:workload:${t}`)),
                [1, 1, 1, 2, 1],
                dc.name,
            );
            for (const d of v.ofType(DEPLOYMENT)) {
                assert.equal(at(d.inputs, "metadata.namespace"), names.dataCenterNamespace(dc.name), d.name);
                // deployed through the region's data-plane cluster provider
                const provider = g.byUrn.get(String(d.provider));
                assert.equal(provider?.type, "pulumi:providers:kubernetes", d.name);
                assert.equal(g.regionOf(provider), dc.region);
                assert.equal(g.dataCenterOf(d), dc.name);
            }
            assert.deepEqual(v.ofType(DEPLOYMENT).map((d) => at(d.inputs, "metadata.name")).sort(), ["broker", "job-grid", "job-grid-scaler", "warm-pool", "warm-pool-scaler"]);
        }
    });

    it("selects pooled warm-pool pods by globalgrid.dev/pool=warm, and the broker detaches by changing that label", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const d = v.k8s(DEPLOYMENT, "warm-pool");
            const selector = at(d.inputs, "spec.selector.matchLabels") as Obj;
            assert.equal(selector["globalgrid.dev/pool"], "warm", dc.name);
            const podLabels = at(d.inputs, "spec.template.metadata.labels") as Obj;
            for (const [k, val] of Object.entries(selector)) assert.equal(podLabels[k], val, `${dc.name}: pod label ${k}`);
            assert.equal(podLabels["globalgrid.dev/customer-code"], "true");
            assert.equal(podLabels["globalgrid.dev/datacenter"], dc.name);

            const broker = configMapJson(v.k8s(CONFIG_MAP, "broker"), "broker.json");
            assert.deepEqual(broker.pool.selector, selector);
            assert.equal(broker.pool.detach.label, "globalgrid.dev/pool");
            assert.notEqual(broker.pool.detach.value, "warm", "a detached pod must leave the selector");
            assert.equal(broker.recycleMinutes, dc.warmPool.recycleMinutes);

            const sup = configMapJson(v.k8s(CONFIG_MAP, "job-supervisor"), "supervisor.json");
            const jobSelector = at(v.k8s(DEPLOYMENT, "job-grid").inputs, "spec.selector.matchLabels") as Obj;
            assert.equal(jobSelector[sup.detach.label], sup.detach.from);
            assert.notEqual(sup.detach.to, sup.detach.from);
            assert.equal(sup.softTimeLimitSeconds, dc.jobGrid.softTimeLimitSeconds);
            assert.equal(sup.appUrl, `http://127.0.0.1:${container(v.k8s(DEPLOYMENT, "job-grid"), "app").ports[0].containerPort}`);
        }
    });

    it("runs both grids under gVisor, only on their own data center's sandboxed pool, tolerating its taint", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            for (const grid of GRIDS) {
                const d = v.k8s(DEPLOYMENT, grid.name);
                const spec = podSpec(d);
                assert.equal(spec.runtimeClassName, "gvisor", `${dc.name}/${grid.name}`);
                assert.deepEqual(spec.nodeSelector, { "globalgrid.dev/pool": grid.pool, "globalgrid.dev/datacenter": dc.name });
                assert.deepEqual(spec.tolerations, [{ key: "globalgrid.dev/pool", operator: "Equal", value: grid.pool, effect: "NoSchedule" }]);
                assert.ok((spec.topologySpreadConstraints as Obj[]).some((t) => t.topologyKey === "kubernetes.io/hostname"));

                // the node pool those selectors land on is this data center's, tainted for this grid only
                const pool = v.all.find((r) => /NodePool|NodeGroup/.test(r.type) && r.name === `${dc.name}-${grid.pool}`);
                assert.ok(pool, `${dc.name}: node pool ${grid.pool}`);
                const nodeLabels = (at(pool.inputs, "nodeConfig.labels") ?? at(pool.inputs, "labels")) as Obj;
                const taints = (at(pool.inputs, "nodeConfig.taints") ?? at(pool.inputs, "taints")) as Obj[];
                for (const [k, val] of Object.entries(spec.nodeSelector as Obj)) assert.equal(nodeLabels[k], val);
                assert.deepEqual(taints.map((t) => `${t.key}=${t.value}`), [`globalgrid.dev/pool=${grid.pool}`]);
                assert.ok(d.dependencies.includes(pool.urn), `${dc.name}/${grid.name} waits for its node pool`);
            }
        }
    });

    it("keeps tokens and cloud credentials out of the customer containers", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            for (const grid of GRIDS) {
                const d = v.k8s(DEPLOYMENT, grid.name);
                assert.equal(podSpec(d).automountServiceAccountToken, false);
                const customer = container(d, grid.customer);
                for (const m of mounts(customer)) {
                    const vol = volume(d, m);
                    assert.ok(!isTokenVolume(vol) && !vol.secret && !vol.projected, `${dc.name}/${grid.name}: customer container mounts ${m}`);
                }
                assert.equal(customer.env, undefined);
                assert.equal(customer.envFrom, undefined);
                // no Consul access in a grid pod: no client certificate, no Consul login token
                assert.deepEqual(mountersOf(d, "consul-client-tls"), []);
                assert.ok(!podSpec(d).volumes.some((x: Obj) => x.name === "consul-login"), `${dc.name}/${grid.name} has a Consul login token`);
            }
        }
    });

    it("sets no host network, PID, IPC or host ports, and a restricted security context, in every data-center pod", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            for (const d of dataCenterView(g, dc).ofType(DEPLOYMENT)) {
                const spec = podSpec(d);
                for (const k of ["hostNetwork", "hostPID", "hostIPC"]) assert.notEqual(spec[k], true, `${d.name} ${k}`);
                assert.equal(spec.automountServiceAccountToken, false, d.name);
                assert.equal(spec.securityContext.runAsNonRoot, true);
                assert.equal(spec.securityContext.seccompProfile.type, "RuntimeDefault");
                for (const c of containers(d)) {
                    for (const p of (c.ports ?? []) as Obj[]) assert.equal(p.hostPort, undefined, `${d.name}/${c.name} hostPort`);
                    const sc = c.securityContext as Obj;
                    assert.equal(sc.allowPrivilegeEscalation, false, `${d.name}/${c.name}`);
                    assert.equal(sc.privileged, false);
                    assert.equal(sc.readOnlyRootFilesystem, true);
                    assert.deepEqual(sc.capabilities.drop, ["ALL"]);
                    assert.ok(!/:latest$/.test(c.image as string) && /[:@]/.test(c.image as string), `${c.image} pinned`);
                }
            }
        }
    });

    it("sets requests and limits on every container, from config for the grids' customer containers", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            for (const d of v.ofType(DEPLOYMENT)) {
                for (const c of containers(d)) {
                    for (const k of ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]) assert.ok(at(c.resources, k), `${dc.name} ${d.name}/${c.name} ${k}`);
                }
            }
            for (const grid of GRIDS) {
                const r = grid.name === "warm-pool" ? dc.warmPool.resources : dc.jobGrid.resources;
                const c = container(v.k8s(DEPLOYMENT, grid.name), grid.customer);
                assert.deepEqual(c.resources, { requests: { cpu: r.cpu, memory: r.memory }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } });
            }
        }
    });

    it("denies traffic by default and never lets a data-center pod reach the metadata server or private ranges unbounded", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const region = regionOf(dc);
            const deny = v.k8s(NETWORK_POLICY, "default-deny");
            assert.deepEqual(at(deny.inputs, "spec"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            const policies = v.ofType(NETWORK_POLICY).filter((p) => p !== deny);
            for (const p of policies) {
                const spec = at(p.inputs, "spec") as Obj;
                assert.deepEqual(spec.policyTypes, ["Ingress", "Egress"], p.name);
                const ingress = new Set(spec.ingress as Obj[]);
                for (const rule of [...(spec.egress as Obj[]), ...(spec.ingress as Obj[])]) {
                    const peers = (rule.to ?? rule.from) as Obj[] | undefined;
                    assert.ok(peers && peers.length > 0, `${p.name}: a rule without peers allows everything`);
                    for (const peer of peers) {
                        if (!peer.ipBlock) continue;
                        const block = peer.ipBlock as Obj;
                        const except = (block.except ?? []) as string[];
                        for (const meta of ["169.254.169.254/30", "169.254.169.252/32", "169.254.169.254/32"]) {
                            if (contains(block.cidr as string, meta)) assert.ok(except.some((e) => contains(e, meta)), `${p.name}: ${block.cidr} must except ${meta}`);
                        }
                        // private ranges appear only as the API server's block on 443
                        for (const priv of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]) {
                            if (contains(block.cidr as string, priv)) assert.ok(except.some((e) => contains(e, priv)), `${p.name}: ${block.cidr} must except ${priv}`);
                        }
                        if (contains("10.0.0.0/8", block.cidr as string)) {
                            assert.ok(contains(region.cidr, block.cidr as string), `${p.name}: ${block.cidr} is in its region`);
                            // egress: the API server on 443; ingress: the ALB's public subnets to the broker port only
                            if (ingress.has(rule)) assert.deepEqual([(p.inputs.metadata as Obj).name, rule.ports], ["broker", [{ protocol: "TCP", port: BROKER_PORT }]]);
                            else assert.deepEqual(rule.ports, [{ protocol: "TCP", port: 443 }]);
                        }
                    }
                }
            }
            // every Deployment's pods are governed by an allow policy of their own (both directions)
            for (const d of v.ofType(DEPLOYMENT)) {
                const labels = at(d.inputs, "spec.template.metadata.labels") as Obj;
                const mine = policies.filter((p) => Object.entries(at(p.inputs, "spec.podSelector.matchLabels") as Obj).every(([k, val]) => labels[k] === val));
                assert.equal(mine.length, 1, `${dc.name}/${d.name} has one allow policy`);
            }
            // the grids: nothing may call the job grid; only the broker may call the warm pool
            assert.deepEqual(at(v.k8s(NETWORK_POLICY, "job-grid").inputs, "spec.ingress"), []);
            const warmIngress = at(v.k8s(NETWORK_POLICY, "warm-pool").inputs, "spec.ingress") as Obj[];
            assert.deepEqual(warmIngress.flatMap((r) => r.from as Obj[]).map((f) => f.podSelector?.matchLabels?.["app.kubernetes.io/name"]), ["broker"]);
        }
    });

    it("grants RBAC exactly: scalers get/patch/update their one target's scale, broker and supervisor only pods", async () => {
        const g = await fixtureGraph();
        const clusterScoped = g.resources.filter((r) => /ClusterRole/.test(r.type) && g.dataCenterOf(r));
        assert.deepEqual(clusterScoped, []);
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const roles = v.ofType(ROLE);
            for (const role of roles) {
                for (const rule of at(role.inputs, "rules") as Obj[]) {
                    for (const k of ["verbs", "resources", "apiGroups"]) assert.ok(!(rule[k] as string[]).includes("*"), `${role.name} ${k} wildcard`);
                }
            }
            const rules = (name: string) => at(v.k8s(ROLE, name).inputs, "rules");
            for (const grid of GRIDS) {
                const scale = { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: [grid.name], verbs: ["get", "patch", "update"] };
                // the warm pool's availability scaler also counts the pods taken out of the pool, read-only
                const countPods = { apiGroups: [""], resources: ["pods"], verbs: ["list"] };
                assert.deepEqual(rules(`${grid.name}-scaler`), grid.name === "warm-pool" ? [scale, countPods] : [scale]);
                const binding = v.k8s(BINDING, `${grid.name}-scaler`);
                assert.deepEqual(at(binding.inputs, "roleRef"), { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${grid.name}-scaler` });
                assert.deepEqual(at(binding.inputs, "subjects"), [{ kind: "ServiceAccount", name: `${grid.name}-scaler`, namespace: names.dataCenterNamespace(dc.name) }]);
                assert.equal(podSpec(v.k8s(DEPLOYMENT, `${grid.name}-scaler`)).serviceAccountName, `${grid.name}-scaler`);
            }
            assert.deepEqual(rules("broker"), [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "patch", "delete"] }]);
            assert.deepEqual(rules("job-supervisor"), [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "patch", "delete"] }]);
            assert.equal(roles.length, 4, dc.name);
            // no kubeconfig in any ConfigMap: scalers use their own service account
            for (const cm of v.ofType(CONFIG_MAP)) assert.ok(!JSON.stringify(cm.inputs).includes("clusters:"), cm.name);
        }
    });

    it("lets the scaler own spec.replicas of every Deployment a scaler Role targets", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const targets = v
                .ofType(ROLE)
                .flatMap((r) => at(r.inputs, "rules") as Obj[])
                .filter((rule) => (rule.resources as string[]).includes("deployments/scale"))
                .flatMap((rule) => rule.resourceNames as string[]);
            assert.deepEqual(targets.sort(), ["job-grid", "warm-pool"]);
            for (const t of targets) {
                const d = v.k8s(DEPLOYMENT, t);
                assert.ok(d.ignoreChanges.includes("spec.replicas"), `${dc.name}/${t}`);
                assert.equal(at(d.inputs, "spec.replicas"), t === "warm-pool" ? dc.warmPool.replicas : dc.jobGrid.replicas);
            }
        }
    });

    it("configures each scaler from config through a ConfigMap", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const warm = configMapJson(v.k8s(CONFIG_MAP, "warm-pool-scaler"), "scaler.json");
            assert.deepEqual(warm.target, { apiVersion: "apps/v1", kind: "Deployment", name: "warm-pool" });
            assert.deepEqual([warm.minReplicas, warm.maxReplicas], [dc.warmPool.minReplicas, dc.warmPool.maxReplicas]);
            assert.deepEqual(warm.policy, {
                kind: "availability",
                availabilityThreshold: dc.warmPool.availabilityThreshold,
                detachedSelector: "app.kubernetes.io/name=warm-pool,app.kubernetes.io/component=warm-pool,globalgrid.dev/pool=site",
            });
            assert.equal(warm.consulService, `${dc.name}-warm-pool`);
            const jobs = configMapJson(v.k8s(CONFIG_MAP, "job-grid-scaler"), "scaler.json");
            assert.deepEqual(jobs.target, { apiVersion: "apps/v1", kind: "Deployment", name: "job-grid" });
            assert.deepEqual([jobs.minReplicas, jobs.maxReplicas], [dc.jobGrid.minReplicas, dc.jobGrid.maxReplicas]);
            assert.deepEqual(jobs.policy, {
                kind: "backlog",
                backlogPerPod: dc.jobGrid.backlogPerPod,
                lookAheadSeconds: dc.jobGrid.lookAheadSeconds,
                startSlaSeconds: regionOf(dc).jobs.startSlaSeconds,
                subscription: `projects/${world.gcpProject}/subscriptions/${names.jobsSubscription(dc.region)}`,
            });
        }
    });

    it("points each job supervisor at its own region's subscription, with subscriber rights there only", async () => {
        const g = await fixtureGraph();
        const members = g.ofType(IAM_MEMBER).filter((m) => at(m.inputs, "role") === "roles/pubsub.subscriber" && g.dataCenterOf(m));
        assert.equal(members.length, dcs.length);
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const sup = configMapJson(v.k8s(CONFIG_MAP, "job-supervisor"), "supervisor.json");
            assert.equal(sup.subscription, `projects/${world.gcpProject}/subscriptions/${names.jobsSubscription(dc.region)}`);
            const mine = v.ofType(IAM_MEMBER);
            assert.equal(mine.length, 1, dc.name);
            assert.equal(at(mine[0].inputs, "subscription"), names.jobsSubscription(dc.region));
            assert.equal(at(mine[0].inputs, "role"), "roles/pubsub.subscriber");
            // the subscription it names is the region's own resource
            const sub = g.ofType("gcp:pubsub/subscription:Subscription").find((s) => at(s.inputs, "name") === names.jobsSubscription(dc.region));
            assert.ok(sub && g.regionOf(sub) === dc.region);
        }
    });

    it("wires keyless identity: GKE workload pool or the region's EKS OIDC provider, token in the supervisor only", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const ns = names.dataCenterNamespace(dc.name);
            const d = v.k8s(DEPLOYMENT, "job-grid");
            const member = at(v.ofType(IAM_MEMBER)[0].inputs, "member") as string;
            const creds = configMapJson(v.k8s(CONFIG_MAP, "job-supervisor-gcp-credentials"), "credentials.json");
            const gcpToken = volume(d, "gcp-token");
            const tokenAudience = (gcpToken.projected.sources as Obj[])[0].serviceAccountToken.audience as string;
            if (dc.cloud === "gcp") {
                const pool = `${world.gcpProject}.svc.id.goog`;
                assert.equal(member, `principal://iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/${pool}/subject/ns/${ns}/sa/job-supervisor`);
                assert.equal(tokenAudience, pool);
                const region = regionOf(dc);
                assert.equal(creds.audience, `identitynamespace:${pool}:https://container.googleapis.com/v1/projects/${world.gcpProject}/locations/${region.location}/clusters/${names.regionCluster(dc.region)}`);
            } else {
                const regionTier = g.get("globalgrid:tier:Region", dc.region);
                const inRegion = g.descendants(regionTier.urn);
                const pools = inRegion.filter((r) => r.type === "gcp:iam/workloadIdentityPool:WorkloadIdentityPool");
                const providers = inRegion.filter((r) => r.type === "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider");
                assert.equal(pools.length, 1);
                assert.equal(providers.length, 1);
                assert.equal(at(pools[0].inputs, "workloadIdentityPoolId"), names.workloadIdentityPool(dc.region));
                const eks = inRegion.find((r) => r.type === "aws:eks/cluster:Cluster" && at(r.inputs, "name") === names.regionCluster(dc.region))!;
                const issuer = (at(eks.outputs, "identities") as Obj[])[0].oidcs[0].issuer;
                assert.equal(at(providers[0].inputs, "oidc.issuerUri"), issuer);
                assert.equal(member, `principal://iam.googleapis.com/${at(pools[0].outputs, "name")}/subject/system:serviceaccount:${ns}:job-supervisor`);
                assert.equal(tokenAudience, `//iam.googleapis.com/${at(providers[0].outputs, "name")}`);
                assert.equal(creds.audience, tokenAudience);
            }
            assert.equal(creds.type, "external_account");
            assert.equal(creds.token_url, "https://sts.googleapis.com/v1/token");
            assert.equal(podSpec(d).serviceAccountName, "job-supervisor");
            assert.equal(podSpec(d).automountServiceAccountToken, false);
            // the projected token and the credential file: the supervisor's, no one else's
            assert.deepEqual(mountersOf(d, "gcp-token"), ["job-supervisor"]);
            assert.deepEqual(mountersOf(d, "gcp-credentials"), ["job-supervisor"]);
            assert.deepEqual(mountersOf(d, "kube-api"), ["job-supervisor"]);
            const sup = container(d, "job-supervisor");
            const tokenMount = (sup.volumeMounts as Obj[]).find((m) => m.name === "gcp-token")!;
            assert.equal(creds.credential_source.file, `${tokenMount.mountPath}/token`);
            const credMount = (sup.volumeMounts as Obj[]).find((m) => m.name === "gcp-credentials")!;
            assert.deepEqual((sup.env as Obj[]).find((e) => e.name === "GOOGLE_APPLICATION_CREDENTIALS")?.value, `${credMount.mountPath}/credentials.json`);
            // every token volume of every data-center pod is mounted by exactly one container
            for (const dep of v.ofType(DEPLOYMENT)) {
                for (const vol of (podSpec(dep).volumes as Obj[]).filter(isTokenVolume)) assert.equal(mountersOf(dep, vol.name).length, 1, `${dep.name}: ${vol.name}`);
            }
        }
    });

    it("lets only the job-grid scaler read the backlog metric: its own principal, read-only metrics, keyless", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const ns = names.dataCenterNamespace(dc.name);
            const viewers = v.ofType("gcp:projects/iAMMember:IAMMember");
            assert.equal(viewers.length, 1, `${dc.name}: one project grant`);
            assert.equal(at(viewers[0].inputs, "role"), "roles/monitoring.viewer");
            const supervisor = at(v.ofType(IAM_MEMBER)[0].inputs, "member") as string;
            assert.equal(at(viewers[0].inputs, "member"), supervisor.replace(/job-supervisor$/, "job-grid-scaler"));
            assert.ok(at(viewers[0].inputs, "member") !== supervisor, "the scaler has its own principal");
            assert.equal(viewers[0].parent, g.get("globalgrid:workload:Scaler", `${dc.name}-job-grid-scaler`).urn);
            const scaler = v.k8s(DEPLOYMENT, "job-grid-scaler");
            assert.ok(isTokenVolume(volume(scaler, "gcp-token")));
            assert.deepEqual(mountersOf(scaler, "gcp-token"), ["scaler"]);
            const creds = configMapJson(v.k8s(CONFIG_MAP, "job-grid-scaler-gcp-credentials"), "credentials.json");
            assert.equal(creds.type, "external_account");
            assert.ok(scaler.dependencies.includes(viewers[0].urn), "the scaler starts once it may read metrics");
            // the warm pool's scaler reads Consul only: no Google credentials
            const warm = v.k8s(DEPLOYMENT, "warm-pool-scaler");
            assert.equal(volume(warm, "gcp-token"), undefined);
            assert.equal(ns, at(scaler.inputs, "metadata.namespace"));
        }
    });

    it("creates no service account key or static cloud credential anywhere", async () => {
        const g = await fixtureGraph();
        const keys = g.resources.filter((r) => /serviceaccount\/key|serviceAccountKey|hmacKey|iam\/accessKey/i.test(r.type));
        assert.deepEqual(keys.map((r) => r.urn), []);
        for (const dc of dcs) {
            for (const r of dataCenterView(g, dc).all) {
                for (const s of plainStrings(r.inputs)) assert.ok(!/"type":\s*"service_account"|private_key/.test(s.value), `${r.name} ${s.path}`);
            }
        }
    });

    it("registers the grids with their own region's Consul through the mTLS load balancer, without a gossip key", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            const host = names.controlPlaneHost(dc.region);
            const access = consulAccessSchema.parse(configMapJson(v.k8s(CONFIG_MAP, "consul-access"), "consul-access.json"));
            assert.equal(access.address, `https://${host}:443`);
            assert.equal(access.datacenter, dc.region);
            assert.equal(access.tls.serverName, host);
            assert.equal(access.login.authMethod, CONSUL_AUTH_METHOD);
            for (const grid of GRIDS) {
                const d = v.k8s(DEPLOYMENT, grid.name);
                assert.ok(!containers(d).some((c) => c.name === "consul-dataplane"), `${grid.name}: no dataplane sidecar`);
            }
            for (const name of ["warm-pool-scaler", "job-grid-scaler", "broker"]) {
                const d = v.k8s(DEPLOYMENT, name);
                const c = containers(d)[0];
                assert.equal((c.env as Obj[]).find((e) => e.name === "CONSUL_ACCESS_FILE")?.value, "/etc/consul-access/consul-access.json");
                // every file the access block names is mounted from the right volume
                const fileVolume = (file: string) => {
                    const m = (c.volumeMounts as Obj[]).find((x) => file.startsWith(`${x.mountPath}/`));
                    assert.ok(m, `${name}: ${file} is not mounted`);
                    return volume(d, m.name);
                };
                assert.equal(fileVolume(access.tls.certFile).secret.secretName, CLIENT_TLS_SECRET);
                assert.equal(fileVolume(access.tls.keyFile).secret.secretName, CLIENT_TLS_SECRET);
                assert.equal(fileVolume(access.tls.caFile!).secret.secretName, CLIENT_TLS_SECRET);
                const token = fileVolume(access.login.bearerTokenFile).projected.sources[0].serviceAccountToken;
                assert.equal(token.audience, `consul://${host}`);
                assert.equal(`/consul/login/${token.path}`, access.login.bearerTokenFile);
            }
            // no gossip key, and no other region's control plane, anywhere in the data center
            const others = allRegions(world).filter((r) => r.name !== dc.region).map((r) => names.controlPlaneHost(r.name));
            for (const r of v.all) {
                const text = JSON.stringify(r.inputs);
                assert.ok(!/gossip|"encrypt"/i.test(text), `${r.name} mentions a gossip key`);
                for (const o of others) assert.ok(!text.includes(o), `${r.name} points at ${o}`);
            }
            // no new client certificate: the DC's one Secret is reused
            assert.equal(v.all.filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert").length, 1);
        }
    });

    it("protects the grids with PodDisruptionBudgets selecting their pooled pods", async () => {
        const g = await fixtureGraph();
        for (const dc of dcs) {
            const v = dataCenterView(g, dc);
            for (const grid of GRIDS) {
                const pdb = v.k8s("kubernetes:policy/v1:PodDisruptionBudget", grid.name);
                const selector = at(v.k8s(DEPLOYMENT, grid.name).inputs, "spec.selector.matchLabels") as Obj;
                assert.deepEqual(at(pdb.inputs, "spec.selector.matchLabels"), selector);
                assert.equal(selector["globalgrid.dev/pool"], grid.member);
            }
        }
    });
});
