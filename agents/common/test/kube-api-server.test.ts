import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { apiStatus, kubeClients, KubeClients } from "../src/kube-client";
import { KubeApiServer } from "../src/testing/kube-api-server";
import { writeKubeApiMount } from "../src/testing/kube-mount";
import { localhostCertificate } from "../src/testing/tls";

const NS = "fra1";
const TOKEN = "bound-service-account-token";

/** @kubernetes/client-node (the library the agents use) against the in-process API server over HTTPS. */
describe("in-process Kubernetes API server with @kubernetes/client-node", () => {
    let server: KubeApiServer;
    let kube: KubeClients;

    beforeEach(async () => {
        const tls = await localhostCertificate();
        server = await KubeApiServer.start({ token: TOKEN, tls });
        kube = kubeClients({ mountDir: writeKubeApiMount(TOKEN, tls.cert, NS), server: server.url });
    });
    afterEach(() => server.close());

    it("reads the namespace, token and CA from the mount and authenticates with the bearer token", async () => {
        server.addPod(NS, "p1", { "globalgrid.dev/pool": "warm" });
        assert.equal(kube.namespace, NS);
        const pod = await kube.core.readNamespacedPod({ name: "p1", namespace: NS });
        assert.equal(pod.metadata?.name, "p1");
        assert.equal(pod.status?.phase, "Running");
    });

    it("answers 401 to a wrong token", async () => {
        const tls = await localhostCertificate();
        const other = await KubeApiServer.start({ token: "another", tls });
        try {
            const c = kubeClients({ mountDir: writeKubeApiMount(TOKEN, tls.cert, NS), server: other.url });
            await assert.rejects(c.core.readNamespacedPod({ name: "p1", namespace: NS }), (e: unknown) => apiStatus(e) === 401);
        } finally {
            await other.close();
        }
    });

    it("refuses a server certificate the mounted CA does not sign", async () => {
        const foreign = await localhostCertificate();
        const c = kubeClients({ mountDir: writeKubeApiMount(TOKEN, foreign.cert, NS), server: server.url });
        await assert.rejects(c.core.readNamespacedPod({ name: "p1", namespace: NS }));
    });

    it("lists by label selector (equality and set-based)", async () => {
        server.addPod(NS, "w1", { "globalgrid.dev/pool": "warm", app: "grid" });
        server.addPod(NS, "w2", { "globalgrid.dev/pool": "detached", app: "grid" });
        server.addPod(NS, "o1", { app: "other" });
        server.addPod("elsewhere", "w3", { "globalgrid.dev/pool": "warm", app: "grid" });
        const names = async (labelSelector: string) =>
            (await kube.core.listNamespacedPod({ namespace: NS, labelSelector })).items.map((p) => p.metadata?.name).sort();
        assert.deepEqual(await names("globalgrid.dev/pool=warm"), ["w1"]);
        assert.deepEqual(await names("app=grid,globalgrid.dev/pool!=warm"), ["w2"]);
        assert.deepEqual(await names("globalgrid.dev/pool in (warm,detached)"), ["w1", "w2"]);
        assert.deepEqual(await names("!globalgrid.dev/pool"), ["o1"]);
        const list = await kube.core.listNamespacedPod({ namespace: NS });
        assert.ok(Number(list.metadata?.resourceVersion) > 0);
    });

    it("merge-patches labels with a resourceVersion precondition and answers 409 Conflict with a Status when stale", async () => {
        const created = server.addPod(NS, "p1", { "globalgrid.dev/pool": "warm" });
        const rv = created.metadata.resourceVersion;
        const patched = await kube.core.patchNamespacedPod(
            { name: "p1", namespace: NS, body: { metadata: { resourceVersion: rv, labels: { "globalgrid.dev/pool": "detached" } } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
        assert.equal(patched.metadata?.labels?.["globalgrid.dev/pool"], "detached");
        assert.notEqual(patched.metadata?.resourceVersion, rv);
        assert.equal(server.requests.at(-1)?.contentType, "application/merge-patch+json");

        // The same precondition again is now stale.
        const err = await kube.core
            .patchNamespacedPod(
                { name: "p1", namespace: NS, body: { metadata: { resourceVersion: rv, labels: { "globalgrid.dev/pool": "site-a" } } } },
                k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
            )
            .then(
                () => undefined,
                (e: unknown) => e,
            );
        assert.ok(err instanceof k8s.ApiException);
        assert.equal(err.code, 409);
        const status = JSON.parse(err.body as string) as Record<string, unknown>;
        assert.deepEqual(status, {
            kind: "Status",
            apiVersion: "v1",
            metadata: {},
            status: "Failure",
            message:
                'Operation cannot be fulfilled on pods "p1": the object has been modified; please apply your changes to the latest version and try again',
            reason: "Conflict",
            details: { name: "p1", kind: "pods" },
            code: 409,
        });
        assert.equal(server.getPod(NS, "p1")?.metadata.labels?.["globalgrid.dev/pool"], "detached");
    });

    it("applies JSON patches (test + replace) and strategic merge patches to labels", async () => {
        const created = server.addPod(NS, "p1", { "globalgrid.dev/pool": "warm", keep: "yes" });
        await kube.core.patchNamespacedPod(
            {
                name: "p1",
                namespace: NS,
                body: [
                    { op: "test", path: "/metadata/resourceVersion", value: created.metadata.resourceVersion },
                    { op: "replace", path: "/metadata/labels/globalgrid.dev~1pool", value: "detached" },
                ],
            },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
        );
        assert.deepEqual(server.getPod(NS, "p1")?.metadata.labels, { "globalgrid.dev/pool": "detached", keep: "yes" });
        await assert.rejects(
            kube.core.patchNamespacedPod(
                { name: "p1", namespace: NS, body: [{ op: "test", path: "/metadata/resourceVersion", value: created.metadata.resourceVersion }] },
                k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
            ),
            (e: unknown) => apiStatus(e) === 422,
        );
        await kube.core.patchNamespacedPod(
            { name: "p1", namespace: NS, body: { metadata: { labels: { keep: null, added: "1" } } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch),
        );
        assert.deepEqual(server.getPod(NS, "p1")?.metadata.labels, { "globalgrid.dev/pool": "detached", added: "1" });
    });

    it("deletes with uid and resourceVersion preconditions", async () => {
        const p = server.addPod(NS, "p1", {});
        await assert.rejects(
            kube.core.deleteNamespacedPod({ name: "p1", namespace: NS, body: { preconditions: { uid: "not-it" } } }),
            (e: unknown) => {
                assert.equal(apiStatus(e), 409);
                const s = JSON.parse((e as k8s.ApiException<string>).body) as { message: string; reason: string };
                assert.equal(s.reason, "Conflict");
                assert.equal(s.message, `Operation cannot be fulfilled on pods "p1": Precondition failed: UID in precondition: not-it, UID in object meta: ${p.metadata.uid}`);
                return true;
            },
        );
        await assert.rejects(
            kube.core.deleteNamespacedPod({ name: "p1", namespace: NS, body: { preconditions: { resourceVersion: "1" } } }),
            (e: unknown) => apiStatus(e) === 409,
        );
        await kube.core.deleteNamespacedPod({ name: "p1", namespace: NS, body: { preconditions: { uid: p.metadata.uid, resourceVersion: p.metadata.resourceVersion } } });
        assert.equal(server.getPod(NS, "p1"), undefined);
        await assert.rejects(kube.core.readNamespacedPod({ name: "p1", namespace: NS }), (e: unknown) => apiStatus(e) === 404);
    });

    it("watches a label selection: synthetic ADDED, then ADDED/DELETED as labels move pods across it", async () => {
        server.addPod(NS, "w1", { "globalgrid.dev/pool": "warm" });
        const events: Array<[string, string]> = [];
        let seen!: () => void;
        const allSeen = new Promise<void>((r) => (seen = r));
        const controller = await kube.watch.watch(
            `/api/v1/namespaces/${NS}/pods`,
            { labelSelector: "globalgrid.dev/pool=warm" },
            (type: string, obj: k8s.V1Pod) => {
                events.push([type, obj.metadata?.name ?? ""]);
                if (events.length === 4) seen();
            },
            () => undefined,
        );
        await new Promise((r) => setTimeout(r, 50));
        server.addPod(NS, "w2", { "globalgrid.dev/pool": "warm" });
        server.addPod(NS, "x", { "globalgrid.dev/pool": "detached" });
        await kube.core.patchNamespacedPod(
            { name: "w1", namespace: NS, body: { metadata: { labels: { "globalgrid.dev/pool": "detached" } } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
        await kube.core.patchNamespacedPod(
            { name: "x", namespace: NS, body: { metadata: { labels: { "globalgrid.dev/pool": "warm" } } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
        await allSeen;
        controller.abort();
        assert.deepEqual(events, [
            ["ADDED", "w1"],
            ["ADDED", "w2"],
            ["DELETED", "w1"],
            ["ADDED", "x"],
        ]);
    });

    it("resumes a watch from a resourceVersion and answers an expired one with a 410 ERROR event", async () => {
        const tls = await localhostCertificate();
        const small = await KubeApiServer.start({ historyLimit: 2, token: TOKEN, tls });
        try {
            const kc = kubeClients({ mountDir: writeKubeApiMount(TOKEN, tls.cert, NS), server: small.url }).config;
            const first = small.addPod(NS, "a", {});
            small.addPod(NS, "b", {});
            small.addPod(NS, "c", {});
            small.addPod(NS, "d", {});
            const collect = (resourceVersion: string) =>
                new Promise<Array<[string, string]>>((resolve) => {
                    const got: Array<[string, string]> = [];
                    void new k8s.Watch(kc).watch(
                        `/api/v1/namespaces/${NS}/pods`,
                        { resourceVersion, timeoutSeconds: 1 },
                        (type: string, obj: { metadata?: { name?: string }; code?: number }) => got.push([type, obj.metadata?.name ?? String(obj.code)]),
                        () => resolve(got),
                    ).catch((err: unknown) => resolve([["FAILED", String(err)]]));
                });
            const recent = small.getPod(NS, "c")!.metadata.resourceVersion;
            assert.deepEqual(await collect(recent), [["ADDED", "d"]]);
            assert.deepEqual(await collect(first.metadata.resourceVersion), [["ERROR", "410"]]);
        } finally {
            await small.close();
        }
    });

    it("serves deployments/scale: get, merge patch, put with a resourceVersion, 409 when stale, 422 when negative", async () => {
        server.addDeployment(NS, "fra1-job-grid", 2, { "globalgrid.dev/pool": "jobs" });
        server.reconcile();
        const scale = await kube.apps.readNamespacedDeploymentScale({ name: "fra1-job-grid", namespace: NS });
        assert.equal(scale.spec?.replicas, 2);
        assert.equal(scale.status?.replicas, 2);
        assert.equal(scale.status?.selector, "globalgrid.dev/pool=jobs");

        const patched = await kube.apps.patchNamespacedDeploymentScale(
            { name: "fra1-job-grid", namespace: NS, body: { spec: { replicas: 5 } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
        assert.equal(patched.spec?.replicas, 5);
        assert.equal(server.getDeployment(NS, "fra1-job-grid")?.spec.replicas, 5);

        const put = await kube.apps.replaceNamespacedDeploymentScale({
            name: "fra1-job-grid",
            namespace: NS,
            body: { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name: "fra1-job-grid", namespace: NS, resourceVersion: patched.metadata?.resourceVersion }, spec: { replicas: 3 } },
        });
        assert.equal(put.spec?.replicas, 3);
        await assert.rejects(
            kube.apps.replaceNamespacedDeploymentScale({
                name: "fra1-job-grid",
                namespace: NS,
                body: { metadata: { name: "fra1-job-grid", resourceVersion: patched.metadata?.resourceVersion }, spec: { replicas: 4 } },
            }),
            (e: unknown) => {
                const s = JSON.parse((e as k8s.ApiException<string>).body) as { message: string; details: unknown };
                assert.equal(s.message, 'Operation cannot be fulfilled on deployments.apps "fra1-job-grid": the object has been modified; please apply your changes to the latest version and try again');
                assert.deepEqual(s.details, { name: "fra1-job-grid", group: "apps", kind: "deployments" });
                return apiStatus(e) === 409;
            },
        );
        await assert.rejects(
            kube.apps.patchNamespacedDeploymentScale(
                { name: "fra1-job-grid", namespace: NS, body: { spec: { replicas: -1 } } },
                k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
            ),
            (e: unknown) => apiStatus(e) === 422,
        );
        await assert.rejects(kube.apps.readNamespacedDeploymentScale({ name: "missing", namespace: NS }), (e: unknown) => apiStatus(e) === 404);
    });

    it("models the ReplicaSet controller: a relabelled pod is orphaned and replaced", async () => {
        server.addDeployment(NS, "pool", 2, { "globalgrid.dev/pool": "warm" });
        server.reconcile();
        const [first] = server.listPods(NS, "globalgrid.dev/pool=warm");
        await kube.core.patchNamespacedPod(
            { name: first.metadata.name, namespace: NS, body: { metadata: { labels: { "globalgrid.dev/pool": "detached" } } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
        const created = server.reconcile();
        assert.equal(created.length, 1);
        assert.equal(server.listPods(NS, "globalgrid.dev/pool=warm").length, 2);
        assert.deepEqual(server.getPod(NS, first.metadata.name)?.metadata.ownerReferences, []);
    });

    it("with reconcileAfterWrites the controller follows every write; pods come up with their container (Ready once it is) and go down with it", async () => {
        const tls = await localhostCertificate();
        let n = 0;
        const live = await KubeApiServer.start({ token: TOKEN, tls, reconcileAfterWrites: true, podIp: () => `127.0.9.${++n}` });
        try {
            const c = kubeClients({ mountDir: writeKubeApiMount(TOKEN, tls.cert, NS), server: live.url });
            const up: Array<() => void> = [];
            const gone: string[] = [];
            live.onPodAdded = () => new Promise<void>((resolve) => up.push(resolve));
            live.onPodDeleted = (p) => void gone.push(p.metadata.name);
            live.addDeployment(NS, "pool", 1, { "globalgrid.dev/pool": "warm" });
            live.reconcile();
            const [pod] = live.listPods(NS);
            assert.equal(pod.status.podIP, "127.0.9.1");
            const ready = () => (live.getPod(NS, pod.metadata.name)!.status.conditions as Array<{ status: string }>)[0].status;
            assert.equal(ready(), "False", "not Ready before its container is up");
            up[0]();
            await new Promise((r) => setImmediate(r));
            assert.equal(ready(), "True");
            const rv = live.getPod(NS, pod.metadata.name)!.metadata.resourceVersion;

            const patched = await c.core.patchNamespacedPod(
                { name: pod.metadata.name, namespace: NS, body: { metadata: { resourceVersion: rv, labels: { "globalgrid.dev/pool": "site" } } } },
                k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
            );
            // the controller ran right after the write: released the pod (a write of its own) and replaced it
            const after = live.getPod(NS, pod.metadata.name)!;
            assert.deepEqual(after.metadata.ownerReferences, []);
            assert.ok(Number(after.metadata.resourceVersion) > Number(patched.metadata?.resourceVersion));
            assert.equal(live.listPods(NS, "globalgrid.dev/pool=warm").length, 1);

            live.setReplicas(NS, "pool", 0);
            assert.equal(live.listPods(NS, "globalgrid.dev/pool=warm").length, 0);
            assert.equal(gone.length, 1, "the surplus pooled pod went with its container");
            await c.core.deleteNamespacedPod({ name: pod.metadata.name, namespace: NS });
            assert.deepEqual(gone.slice(1), [pod.metadata.name]);
        } finally {
            await live.close();
        }
    });
});
