import { strict as assert } from "assert";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse } from "yaml";
import { collectManifests, providerClusters, writeManifests, type Manifest } from "../engine/report/manifests";
import { validateManifests, validateObject } from "../engine/report/openapi";
import { isSecret, REDACTED, reveal } from "../engine/values";
import { STACKS, stackGraph } from "./support/stacks";

/** Every plain string inside a secret of `v`. */
function secretStrings(v: unknown, inside = false): string[] {
    if (isSecret(v)) return secretStrings(v.value, true);
    if (typeof v === "string") return inside ? [v] : [];
    if (Array.isArray(v)) return v.flatMap((x) => secretStrings(x, inside));
    if (typeof v === "object" && v !== null) return Object.values(v).flatMap((x) => secretStrings(x, inside));
    return [];
}

const listFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]));

describe("plan: Kubernetes manifests", () => {
    let tmp: string;
    before(() => (tmp = mkdtempSync(path.join(tmpdir(), "gg-manifests-"))));
    after(() => rmSync(tmp, { recursive: true, force: true }));

    for (const stack of STACKS) {
        describe(stack, () => {
            it("writes every kubernetes:* resource once, under <cluster>/<namespace or _cluster>/<kind>-<name>.yaml", async () => {
                const g = await stackGraph(stack);
                const manifests = collectManifests(g);
                const k8s = g.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
                assert.ok(k8s.length > 0);
                assert.deepEqual(manifests.map((m) => m.urn).sort(), k8s.map((r) => r.urn).sort());
                const clusters = new Set(providerClusters(g).values());
                const physicalClusters = [...g.ofType("gcp:container/cluster:Cluster"), ...g.ofType("aws:eks/cluster:Cluster")].map((c) => c.inputs.name);
                for (const m of manifests) {
                    const r = g.byUrn.get(m.urn)!;
                    assert.ok(physicalClusters.includes(m.cluster), `${m.file}: ${m.cluster} is a cluster's physical name`);
                    assert.equal(clusters.has(m.cluster), true);
                    const meta = r.inputs.metadata as { name: string; namespace?: string };
                    assert.equal(m.file, `${m.cluster}/${meta.namespace ?? "_cluster"}/${m.kind.toLowerCase()}-${meta.name}.yaml`);
                }
                const dir = path.join(tmp, stack);
                writeManifests(dir, manifests);
                assert.deepEqual(listFiles(dir).sort(), manifests.map((m) => m.file).sort());
                for (const m of manifests) {
                    const doc = parse(readFileSync(path.join(dir, m.file), "utf8")) as Record<string, any>;
                    assert.equal(doc.apiVersion, m.apiVersion, m.file);
                    assert.equal(doc.kind, m.kind, m.file);
                    assert.equal(doc.metadata.name, m.name, m.file);
                }
            });

            it("puts each object in the cluster of its provider (region data plane, continent control plane, global)", async () => {
                const g = await stackGraph(stack);
                for (const m of collectManifests(g)) {
                    const r = g.byUrn.get(m.urn)!;
                    const provider = g.byUrn.get(r.provider!)!;
                    const cluster = provider.dependencies.map((u) => g.byUrn.get(u)!).find((d) => /cluster:Cluster$/.test(d.type))!;
                    assert.equal(m.cluster, cluster.inputs.name, m.file);
                }
            });

            it("redacts every secret: no secret string appears in any file, Secrets carry only redacted stringData", async () => {
                const g = await stackGraph(stack);
                const manifests = collectManifests(g);
                const secrets = new Set(g.resources.filter((r) => r.type.startsWith("kubernetes:")).flatMap((r) => secretStrings(r.inputs)).filter((s) => s.length >= 8));
                assert.ok(secrets.size > 0, "the stack has secret values in Kubernetes objects");
                const dir = path.join(tmp, `${stack}-secrets`);
                writeManifests(dir, manifests);
                for (const m of manifests) {
                    const text = readFileSync(path.join(dir, m.file), "utf8");
                    for (const s of secrets) assert.ok(!text.includes(s), `${m.file} leaks a secret`);
                    if (m.kind === "Secret") {
                        assert.equal(m.object.data, undefined, m.file);
                        const sd = m.object.stringData as Record<string, string>;
                        assert.ok(Object.keys(sd).length > 0, m.file);
                        for (const v of Object.values(sd)) assert.equal(v, REDACTED, m.file);
                        // the keys are the real ones, so the object applies as the program would apply it
                        const real = reveal(g.byUrn.get(m.urn)!.inputs) as { data?: object; stringData?: object };
                        assert.deepEqual(Object.keys(sd).sort(), [...Object.keys(real.data ?? {}), ...Object.keys(real.stringData ?? {})].sort());
                    }
                }
            });

            it("validates every object against the Kubernetes OpenAPI schemas (kubernetes-models), none left unvalidated", async () => {
                const g = await stackGraph(stack);
                const result = validateManifests(collectManifests(g));
                assert.deepEqual(result.errors, []);
                assert.deepEqual(result.unvalidated, []);
            });
        });
    }

    it("catches a deliberately invalid object, naming its file and field", async () => {
        const g = await stackGraph("staging");
        const deployment = collectManifests(g).find((m) => m.kind === "Deployment") as Manifest;
        assert.ok(deployment, "staging has a Deployment");
        const broken = structuredClone(deployment.object) as any;
        broken.spec.replicas = "three";
        delete broken.spec.template.spec.containers[0].name;
        const errors = validateManifests([{ ...deployment, object: broken }]).errors;
        assert.deepEqual(errors.map((e) => [e.file, e.field]).sort(), [
            [deployment.file, "spec.replicas"],
            [deployment.file, "spec.template.spec.containers[0].name"],
        ]);
        assert.match(errors.find((e) => e.field === "spec.replicas")!.message, /integer/);
        assert.deepEqual(validateObject("x.yaml", "v1", "ConfigMap", { apiVersion: "v1", kind: "ConfigMap", metadata: {} }), [
            { file: "x.yaml", field: "metadata.name", message: "must be a non-empty string" },
        ]);
        assert.equal(validateObject("x.yaml", "example.com/v1", "Widget", {}), undefined, "kinds without a schema are reported as unvalidated");
    });
});
