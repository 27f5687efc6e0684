import { strict as assert } from "assert";
import { at } from "../engine/values";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions, type World } from "../components/config/model";
import { Names } from "../components/naming";
import { parseBrokerConfig } from "../agents/broker/src/config";
import { supervisorConfigSchema } from "../agents/job-supervisor/src/config";
import { codeObjectName, SITE_KV_PREFIX } from "../agents/common/src/site-catalog";
import { fixtureGraph, fixtureWorld } from "./support/stacks";
import { configMapJson, container, dataCenterView, podSpec, type Obj } from "./support/data-center-view";

const BUCKET = "gcp:storage/bucket:Bucket";
const READER = "gcp:storage/bucketIAMMember:BucketIAMMember";
const SERVICE = "gcp:projects/service:Service";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const K8S_SERVICE = "kubernetes:core/v1:Service";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const CODE_PORT = 8082;
const CODE_DIR = "/var/run/globalgrid/code";

describe("site code: one private bucket per region, read by its data centers' brokers and supervisors", () => {
    // the fixture world: a gcp region with two data centers and an aws region with one, so both clouds' identities and locations are covered
    const world: World = parseWorld(fixtureWorld());
    const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
    const regions = allRegions(world);

    it("creates the region's bucket in the region's own GCP location, IAM-only and never public, after the storage API", async () => {
        const g = await fixtureGraph();
        const buckets = g.ofType(BUCKET);
        assert.equal(buckets.length, regions.length, "one bucket per region, nothing else");
        for (const r of regions) {
            const b = buckets.find((x) => x.inputs.name === names.siteCodeBucket(r.name));
            assert.ok(b, `${r.name}: bucket ${names.siteCodeBucket(r.name)}`);
            assert.equal(g.byUrn.get(b.parent!)?.type, "globalgrid:tier:Region");
            assert.equal(g.regionOf(b), r.name);
            // aws regions keep their code where their job messages are stored
            assert.equal(b.inputs.location, (r.cloud === "gcp" ? r.location : r.pubsubLocation).toUpperCase());
            assert.equal(b.inputs.project, world.gcpProject);
            assert.equal(b.inputs.uniformBucketLevelAccess, true);
            assert.equal(b.inputs.publicAccessPrevention, "enforced");
            assert.equal(b.inputs.forceDestroy, false);
            assert.equal(b.protect, r.protect);
            const services = b.dependencies.map((u) => g.byUrn.get(u)).filter((d) => d?.type === SERVICE).map((d) => d!.inputs.service);
            assert.deepEqual(services, ["storage.googleapis.com"]);
        }
    });

    it("grants objectViewer on that bucket alone to each data center's broker and job supervisor, after their principal exists", async () => {
        const g = await fixtureGraph();
        const readers = g.ofType(READER);
        assert.equal(readers.length, 2 * allDataCenters(world).length);
        for (const dc of allDataCenters(world)) {
            const ns = names.dataCenterNamespace(dc.name);
            const mine = dataCenterView(g, dc).all.filter((x) => x.type === READER);
            const bucket = g.ofType(BUCKET).find((b) => b.inputs.name === names.siteCodeBucket(dc.region))!;
            const members = mine.map((x) => String(x.inputs.member)).sort();
            const subject = (sa: string) => (dc.cloud === "gcp" ? `/subject/ns/${ns}/sa/${sa}` : `/subject/system:serviceaccount:${ns}:${sa}`);
            assert.equal(members.length, 2, dc.name);
            assert.ok(members[0].endsWith(subject("broker")), members[0]);
            assert.ok(members[1].endsWith(subject("job-supervisor")), members[1]);
            for (const m of mine) {
                assert.equal(m.inputs.role, "roles/storage.objectViewer");
                assert.equal(m.inputs.bucket, names.siteCodeBucket(dc.region));
                assert.deepEqual(m.propertyDependencies.bucket, [bucket.urn], "the grant waits for its bucket");
                // GKE's workload pool exists once the cluster does; on EKS the region's own pool and provider
                const ready = m.dependencies.map((u) => g.byUrn.get(u)!.type);
                if (dc.cloud === "gcp") assert.ok(ready.includes("gcp:container/cluster:Cluster"), m.name);
                else assert.ok(ready.includes("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"), m.name);
            }
        }
        // nothing project-wide: no storage role granted on the project
        assert.ok(!g.ofType("gcp:projects/iAMMember:IAMMember").some((m) => String(m.inputs.role).startsWith("roles/storage.")));
    });

    it("renders the broker's code port, bucket and catalog prefix; the pod gets POD_IP and Google credentials; the Service never exposes the code port", async () => {
        const g = await fixtureGraph();
        for (const dc of allDataCenters(world)) {
            const v = dataCenterView(g, dc);
            const cfg = parseBrokerConfig(configMapJson(v.k8s(CONFIG_MAP, "broker"), "broker.json"));
            assert.equal(cfg.listen.codePort, CODE_PORT);
            assert.deepEqual(cfg.code, { bucket: names.siteCodeBucket(dc.region), objectPrefix: "sites/", cacheEntries: 256, fetchTimeoutSeconds: 10 });
            assert.equal(cfg.sites.catalogPrefix, SITE_KV_PREFIX);
            assert.equal(codeObjectName(cfg.code.objectPrefix, "s1", "ab"), "sites/s1/ab.js");

            const d = v.k8s(DEPLOYMENT, "broker");
            const c = container(d, "broker");
            assert.deepEqual((c.ports as Obj[]).find((p) => p.name === "code"), { name: "code", containerPort: CODE_PORT });
            assert.deepEqual((c.env as Obj[]).find((e) => e.name === "POD_IP"), { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } });
            assert.ok((c.env as Obj[]).some((e) => e.name === "GOOGLE_APPLICATION_CREDENTIALS"));
            const creds = configMapJson(v.k8s(CONFIG_MAP, "broker-gcp-credentials"), "credentials.json");
            assert.equal(creds.type, "external_account");
            const grant = v.all.find((x) => x.type === READER && String(x.inputs.member).endsWith("broker"))!;
            assert.ok(d.dependencies.includes(grant.urn), "the broker starts once it may read the bucket");

            const svc = v.k8s(K8S_SERVICE, "broker");
            assert.ok(!(at(svc.inputs, "spec.ports") as Obj[]).some((p) => p.port === CODE_PORT || p.targetPort === CODE_PORT), "the load balancer never reaches the code port");
        }
    });

    it("gives the job supervisor the bucket and a code volume it writes and the app only reads", async () => {
        const g = await fixtureGraph();
        for (const dc of allDataCenters(world)) {
            const v = dataCenterView(g, dc);
            const cfg = supervisorConfigSchema.parse(configMapJson(v.k8s(CONFIG_MAP, "job-supervisor"), "supervisor.json"));
            assert.deepEqual(cfg.code, { bucket: names.siteCodeBucket(dc.region), objectPrefix: "sites/", dir: CODE_DIR });
            const d = v.k8s(DEPLOYMENT, "job-grid");
            const vol = (podSpec(d).volumes as Obj[]).find((x) => x.name === "site-code");
            assert.ok(vol?.emptyDir, `${dc.name}: an emptyDir site-code volume`);
            const mount = (name: string) => ((container(d, name).volumeMounts ?? []) as Obj[]).find((m) => m.name === "site-code");
            assert.deepEqual(mount("job-supervisor"), { name: "site-code", mountPath: CODE_DIR });
            assert.deepEqual(mount("app"), { name: "site-code", mountPath: CODE_DIR, readOnly: true });
            const grant = v.all.find((x) => x.type === READER && String(x.inputs.member).endsWith("job-supervisor"))!;
            assert.ok(d.dependencies.includes(grant.urn));
        }
    });

    it("lets warm pods reach the broker's code port and nothing else of it, in both policies", async () => {
        const g = await fixtureGraph();
        for (const dc of allDataCenters(world)) {
            const v = dataCenterView(g, dc);
            const broker = at(v.k8s(NETWORK_POLICY, "broker").inputs, "spec") as Obj;
            const warm = at(v.k8s(NETWORK_POLICY, "warm-pool").inputs, "spec") as Obj;
            const runtimePods = warm.podSelector.matchLabels as Obj;
            const brokerPods = broker.podSelector.matchLabels as Obj;
            const fromWarm = (broker.ingress as Obj[]).filter((rule) => (rule.from as Obj[]).some((f) => f.podSelector));
            assert.deepEqual(fromWarm, [{ from: [{ podSelector: { matchLabels: runtimePods } }], ports: [{ protocol: "TCP", port: CODE_PORT }] }]);
            // pods of its own namespace (DNS is kube-system's, selected with a namespaceSelector)
            const toBroker = (warm.egress as Obj[]).filter((rule) => ((rule.to ?? []) as Obj[]).some((t) => t.podSelector && !t.namespaceSelector));
            assert.deepEqual(toBroker, [{ to: [{ podSelector: { matchLabels: brokerPods } }], ports: [{ protocol: "TCP", port: CODE_PORT }] }]);
        }
    });
});
