import { strict as assert } from "assert";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { toPlan } from "../engine/plan";
import { summaryLine } from "../engine/report/progress";
import { stackPolicyConfig } from "../policies/report";
import { plan } from "../scripts/plan";
import { stackGraph } from "./support/stacks";
import { stagingPlusRegion } from "./support/world-variants";

describe("plan: npm run plan end to end (into a temp dir)", () => {
    let tmp: string;
    before(() => (tmp = mkdtempSync(path.join(tmpdir(), "gg-plan-"))));
    after(() => rmSync(tmp, { recursive: true, force: true }));

    it("writes plan.json, manifests, k8s-report.json, topology.svg/png, policy-report.json and diff.json, with progress and a summary", async () => {
        const baseline = toPlan(await stackGraph("staging"));
        const progress = new PassThrough();
        let said = "";
        progress.on("data", (b: Buffer) => (said += b.toString()));
        const { log, error } = console;
        const lines: string[] = [];
        console.log = (...a: unknown[]) => lines.push(a.join(" "));
        console.error = () => undefined;
        let summary;
        try {
            summary = await plan("staging", tmp, { world: stagingPlusRegion(), baseline: { plan: baseline, file: "baseline.json" }, progress: progress as unknown as NodeJS.WriteStream });
        } finally {
            Object.assign(console, { log, error });
        }
        const dir = path.join(tmp, "staging");
        for (const f of ["plan.json", "k8s-report.json", "topology.svg", "topology.png", "policy-report.json", "diff.json"]) assert.ok(existsSync(path.join(dir, f)), f);
        assert.ok(existsSync(path.join(dir, "manifests")));
        const diff = JSON.parse(readFileSync(path.join(dir, "diff.json"), "utf8"));
        assert.deepEqual([diff.counts.changed, diff.counts.removed], [0, 0]);
        assert.ok(lines.some((l) => l.includes("global > continent eu > region mil: +")), "the diff is printed per tier");
        for (const step of ["running the program", "resources in", "Kubernetes objects", "Kubernetes checks", "topology", "policies", "diff"]) assert.ok(said.includes(step), `progress shows ${step}`);

        const k8s = JSON.parse(readFileSync(path.join(dir, "k8s-report.json"), "utf8"));
        const policy = JSON.parse(readFileSync(path.join(dir, "policy-report.json"), "utf8")) as { violations: { enforcementLevel: string }[] };
        assert.equal(k8s.errors, 0, "no Kubernetes errors");
        assert.equal(policy.violations.filter((v) => v.enforcementLevel === "mandatory").length, 0, "no mandatory violations");
        assert.deepEqual({ ...summary, seconds: 0 }, {
            stack: "staging",
            ok: true,
            resources: JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8")).resources.length - 1,
            clusters: 7,
            regions: 4,
            dataCenters: 6,
            violations: 0,
            seconds: 0,
        });
        assert.match(summaryLine(summary), /^ok {3}staging: \d+ resources, 7 clusters, 4 regions, 6 data centers, 0 violations, \d+\.\ds$/);
    });

    it("fails the stack when a mandatory policy is violated, and counts every violation", async () => {
        // the stack's pack config, but allowing no registry: every container image violates container-image-registry
        const policyConfig = { ...stackPolicyConfig("staging"), "container-image-registry": { allowedRegistries: ["registry.invalid/"] } };
        const summary = await quiet(() => plan("staging", tmp, { policyConfig, progress: new PassThrough() as unknown as NodeJS.WriteStream }));
        const policy = JSON.parse(readFileSync(path.join(tmp, "staging", "policy-report.json"), "utf8")) as { violations: { policy: string; enforcementLevel: string }[] };
        const blocking = policy.violations.filter((v) => v.enforcementLevel === "mandatory");
        assert.ok(blocking.length > 0 && blocking.every((v) => v.policy === "container-image-registry"), "only the narrowed policy fires");
        assert.equal(summary.ok, false);
        assert.equal(summary.violations, blocking.length);
        assert.match(summaryLine(summary), /^FAIL staging: \d+ resources, .*, [1-9]\d* violations?, /);
    });

    it("fails the stack on invalid config before writing anything", async () => {
        const out = path.join(tmp, "invalid");
        const world = stagingPlusRegion();
        world.continents.eu.regions.mil.cidr = world.continents.eu.regions.fra.cidr; // overlaps: invalid
        const summary = await quiet(() => plan("staging", out, { world, progress: new PassThrough() as unknown as NodeJS.WriteStream }));
        assert.deepEqual({ ok: summary.ok, resources: summary.resources }, { ok: false, resources: 0 });
        assert.equal(existsSync(path.join(out, "staging", "plan.json")), false);
        assert.match(summaryLine(summary), /^FAIL staging:/);
    });
});

/** Runs `f` with console output swallowed (the plan prints its tree and findings). */
async function quiet<T>(f: () => Promise<T>): Promise<T> {
    const { log, error } = console;
    console.log = () => undefined;
    console.error = () => undefined;
    try {
        return await f();
    } finally {
        Object.assign(console, { log, error });
    }
}
