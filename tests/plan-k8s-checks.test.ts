import { strict as assert } from "assert";
import { readFileSync } from "fs";
import { parse } from "yaml";
import { EXCEPTIONS_FILE, findException, loadExceptions, parseExceptions } from "../engine/report/exceptions";
import { checkManifests, objectId } from "../engine/report/k8s-checks";
import { k8sReport } from "../engine/report/k8s-report";
import { collectManifests, type Manifest } from "../engine/report/manifests";
import { stackGraph } from "./support/stacks";

/** A real pod-running object of staging (the warm pool Deployment of a data center). */
async function workload(): Promise<Manifest> {
    const g = await stackGraph("staging");
    const m = collectManifests(g).find((x) => x.kind === "Deployment" && /warm-pool/.test(x.name));
    assert.ok(m, "staging has a warm pool Deployment");
    return m;
}

describe("plan: third-party Kubernetes checks (@monokle/validation)", () => {
    it("runs every Pod Security Standards (baseline + restricted) and practices rule, offline", async () => {
        const { rules } = await checkManifests([], []);
        const ids = rules.map((r) => r.id);
        for (const id of ["PSS102", "PSS110", "PSS202", "PSS203", "PSS204", "PSS205", "PSS206", "KBP102", "KBP106", "KBP112", "KBP114"]) assert.ok(ids.includes(id), id);
        assert.ok(rules.every((r) => r.name.startsWith("pod-security-standards/") || r.name.startsWith("practices/")));
    });

    it("catches a restricted-profile violation with its object and field, unless the exceptions file covers it", async () => {
        const m = await workload();
        const clean = await checkManifests([m], []);
        assert.deepEqual(clean.findings.filter((f) => f.rule.startsWith("PSS")), [], "the warm pool meets the restricted profile as written");

        const bad = structuredClone(m.object) as any;
        bad.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
        const broken = { ...m, object: bad };
        const found = (await checkManifests([broken], [])).findings.filter((f) => f.rule === "PSS202");
        assert.equal(found.length, 1);
        assert.equal(found[0].object, objectId(m));
        assert.equal(found[0].file, m.file);
        assert.equal(found[0].field, "spec.template.spec.containers.0.securityContext.allowPrivilegeEscalation");
        assert.equal(found[0].excepted, undefined);
        const report = await k8sReport("staging", [broken], []);
        assert.ok(report.errors >= 1, "an unexcepted finding is an error");

        const reason = "test: the broker needs to escalate for reasons written here";
        const exceptions = parseExceptions({ exceptions: [{ rule: "pod-security-standards/privilege-escalation", object: `*/${m.namespace}/Deployment/${m.name}`, reason }] });
        const excepted = (await checkManifests([broken], exceptions)).findings.filter((f) => f.rule === "PSS202");
        assert.equal(excepted[0].excepted, reason);
        const other = parseExceptions({ exceptions: [{ rule: "PSS202", object: "*/dc-other/Deployment/*", reason }] });
        const notCovered = await checkManifests([broken], other);
        assert.equal(notCovered.findings.find((f) => f.rule === "PSS202")!.excepted, undefined, "an exception for another object does not apply");
        assert.deepEqual(notCovered.unusedExceptions, other);
    });

    it("requires rule, a <cluster>/<namespace>/<Kind>/<name> object and a written reason per exception; * stays in one segment", () => {
        assert.throws(() => parseExceptions({ exceptions: [{ rule: "PSS202", object: "a/b/Deployment/c" }] }), /exceptions\[0\]\.reason/);
        assert.throws(() => parseExceptions({ exceptions: [{ rule: "PSS202", object: "Deployment/c", reason: "one two three four five" }] }), /exceptions\[0\]\.object/);
        assert.throws(() => parseExceptions({ exceptions: [{ object: "a/b/c/d", reason: "one two three four five" }] }), /exceptions\[0\]\.rule/);
        const [e] = parseExceptions({ exceptions: [{ rule: "KBP114", object: "*/cp-*/Service/consul-api", reason: "one two three four five" }] });
        assert.ok(findException([e], "KBP114", "practices/no-exposed-service", "gg-stg-na-cp/cp-was/Service/consul-api"));
        assert.equal(findException([e], "KBP114", "practices/no-exposed-service", "gg-stg-na-cp/cp-was/x/Service/consul-api"), undefined);
        assert.equal(findException([e], "KBP113", "practices/privileged-ports", "gg-stg-na-cp/cp-was/Service/consul-api"), undefined);
    });

    it("keeps the repository's exceptions file valid, each entry with its reason", () => {
        const raw = parse(readFileSync(EXCEPTIONS_FILE, "utf8")) as { exceptions: unknown[] };
        const list = loadExceptions();
        assert.equal(list.length, raw.exceptions.length);
        for (const e of list) assert.ok(e.reason.length > 40, `${e.rule} ${e.object} has a real reason`);
    });
});

describe("plan: both stacks pass the third-party checks", () => {
    for (const stack of ["staging", "prod"] as const) {
        it(`${stack}: no unexcepted Pod Security or practices finding`, async () => {
            const g = await stackGraph(stack);
            const report = await k8sReport(stack, collectManifests(g), loadExceptions());
            const open = report.checks.findings.filter((f) => !f.excepted);
            assert.deepEqual(report.schema.errors, []);
            assert.deepEqual(open.map((f) => `${f.rule} ${f.object} ${f.field ?? ""}`), []);
        });
    }
});
