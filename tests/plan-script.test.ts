import { strict as assert } from "assert";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { toPlan } from "../engine/plan";
import { summaryLine } from "../engine/report/progress";
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
        const mandatory = policy.violations.filter((v) => v.enforcementLevel === "mandatory").length;
        assert.deepEqual({ ...summary, seconds: 0 }, {
            stack: "staging",
            ok: k8s.errors + mandatory === 0,
            resources: JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8")).resources.length - 1,
            clusters: 7,
            regions: 4,
            dataCenters: 6,
            violations: k8s.errors + mandatory,
            seconds: 0,
        });
        assert.match(summaryLine(summary), /^(ok  |FAIL) staging: \d+ resources, 7 clusters, 4 regions, 6 data centers, \d+ violations?, \d+\.\ds$/);
    });
});
