import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { restrictedPodSecurity } from "../components/workloads/pod-spec";

/** Each agent image runs as the pod specs' uid, from a pinned base, its entrypoint compiled from its own main.ts. */
describe("agent Dockerfiles", () => {
    const uid = restrictedPodSecurity().runAsUser;
    for (const agent of ["job-supervisor", "scaler", "runtime"]) {
        it(agent, () => {
            const text = fs.readFileSync(path.join(__dirname, "..", "agents", agent, "Dockerfile"), "utf8");
            const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
            assert.ok(froms.length >= 2, "multi-stage");
            for (const f of froms) assert.ok(/[:@]/.test(f) && !f.endsWith(":latest"), `${f} is pinned`);
            assert.match(froms.at(-1)!, /^gcr\.io\/distroless\/nodejs20/);
            assert.match(text, new RegExp(`^USER ${uid}:${uid}$`, "m"));
            const entry = /ENTRYPOINT \["\/nodejs\/bin\/node", "\/app\/dist\/(agents\/[^"]+)\.js"\]/.exec(text);
            assert.ok(entry, "entrypoint");
            assert.ok(fs.existsSync(path.join(__dirname, "..", `${entry[1]}.ts`)), `${entry[1]}.ts exists`);
            assert.match(text, new RegExp(`tsc -p agents/${agent}/tsconfig.build.json`));
        });
    }
});
