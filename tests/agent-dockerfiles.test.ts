import { strict as assert } from "assert";
import * as fs from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { AGENTS } from "../components/images/agents";
import { AGENT_CONTEXT, AGENT_DOCKERFILE, AGENT_DOCKERIGNORE, agentSourceHash, contextFiles, ignored, OWN_BUILD_INPUTS, readIgnoreFile, SHARED_BUILD_INPUTS } from "../components/images/source-hash";
import { restrictedPodSecurity } from "../components/workloads/pod-spec";

/**
 * The one Dockerfile of every agent image (AGENT build arg): pinned bases, distroless final stage
 * running as the pod specs' uid, the agent's entrypoint compiled from its own main.ts; and the
 * build contexts it reads, which decide which agents a change rebuilds.
 */

const repo = path.join(__dirname, "..");
const text = fs.readFileSync(path.join(repo, AGENT_DOCKERFILE), "utf8");
// instructions with their continuation lines joined
const instructions = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
const stages = () => {
    const out: { from: string; name?: string; lines: string[] }[] = [];
    for (const l of instructions) {
        const m = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(l);
        if (m) out.push({ from: m[1], name: m[2], lines: [] });
        else out.at(-1)?.lines.push(l);
    }
    return out;
};
const globalArg = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, "m").exec(text)?.[1];
/** COPY sources of the stages, by where they come from: the main context, the `agent` context or a stage */
function copies() {
    const main: string[] = [];
    const agent: string[] = [];
    for (const l of instructions.filter((i) => i.startsWith("COPY "))) {
        const words = l.split(/\s+/).slice(1);
        const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
        const paths = words.filter((w) => !w.startsWith("--"));
        const sources = paths.slice(0, -1);
        if (from === undefined) main.push(...sources);
        else if (from === AGENT_CONTEXT) agent.push(...sources);
    }
    return { main, agent };
}

describe("agent Dockerfile", () => {
    const uid = restrictedPodSecurity().runAsUser;

    it("is one Dockerfile for every agent: no per-agent Dockerfiles remain", () => {
        for (const dir of Object.values(AGENTS)) assert.equal(fs.existsSync(path.join(repo, "agents", dir, "Dockerfile")), false, `agents/${dir}/Dockerfile`);
        assert.ok(fs.existsSync(path.join(repo, AGENT_DOCKERIGNORE)));
    });

    it("builds in stages from pinned bases to distroless Node 20, running as the pod specs' uid", () => {
        const s = stages();
        assert.deepEqual(s.map((x) => x.name), ["manifests", "build", "deps", undefined]);
        assert.equal(s[1].from, "manifests");
        assert.equal(s[2].from, "manifests", "the production dependencies come from the manifests, not from the build's dev install");
        const resolve = (f: string) => f.replace(/^\$\{(\w+)\}$/, (_m, n: string) => globalArg(n) ?? f);
        for (const f of [s[0].from, s[3].from].map(resolve)) assert.ok(/[:@]/.test(f) && !f.endsWith(":latest"), `${f} is pinned`);
        assert.match(resolve(s[3].from), /^gcr\.io\/distroless\/nodejs20-debian12:nonroot$/);
        assert.ok(s[3].lines.includes(`USER ${uid}:${uid}`));
        // every stage naming ${AGENT} declares the build arg (an ARG before FROM is not visible inside a stage)
        for (const stage of s) if (stage.lines.some((l) => l.includes("${AGENT}"))) assert.ok(stage.lines.includes("ARG AGENT"), `stage ${stage.name ?? "final"} declares AGENT`);
        assert.ok(s[1].lines.some((l) => l.startsWith("RUN test -n \"${AGENT}\"")), "a build without AGENT fails at once");
    });

    it("runs the agent's compiled main.ts: its directory is the working directory, node runs src/main.js", () => {
        const final = stages()[3].lines;
        assert.ok(final.includes("WORKDIR /app/agents/${AGENT}"));
        assert.equal(final.at(-1), 'ENTRYPOINT ["/nodejs/bin/node", "src/main.js"]');
        assert.ok(final.includes("COPY --from=build /out/agents /app/agents"));
        assert.ok(stages()[1].lines.includes('RUN npx tsc -p "agents/${AGENT}/tsconfig.build.json" --outDir /out'));
        for (const dir of Object.values(AGENTS)) {
            assert.ok(fs.existsSync(path.join(repo, "agents", dir, "src", "main.ts")), `agents/${dir}/src/main.ts`);
            const tsconfig = JSON.parse(fs.readFileSync(path.join(repo, "agents", dir, "tsconfig.build.json"), "utf8"));
            assert.ok(tsconfig.include.some((g: string) => g.startsWith("src/")), `${dir} compiles its own sources`);
        }
    });

    it("copies exactly the build inputs: shared ones from the repository root, the agent's own from the `agent` context", () => {
        const { main, agent } = copies();
        assert.deepEqual([...main].sort(), [...SHARED_BUILD_INPUTS].sort());
        assert.deepEqual(
            agent.sort(),
            OWN_BUILD_INPUTS.filter((f) => f !== "package.json").sort(),
            "the agent's package.json comes with the other manifests",
        );
    });

    it("its ignore file lets in exactly the build inputs of both contexts and keeps the library's test fakes out", () => {
        const lines = fs.readFileSync(path.join(repo, AGENT_DOCKERIGNORE), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
        assert.equal(lines[0], "*", "everything else is left out");
        const workspaceManifests = SHARED_BUILD_INPUTS.filter((f) => /^agents\/[^/]+\/package\.json$/.test(f));
        const expected = new Set([...SHARED_BUILD_INPUTS.filter((f) => !workspaceManifests.includes(f)), "agents/*/package.json", ...OWN_BUILD_INPUTS]);
        assert.deepEqual(new Set(lines.filter((l) => l.startsWith("!")).map((l) => l.slice(1))), expected);
        const patterns = readIgnoreFile(path.join(repo, AGENT_DOCKERIGNORE));
        const root = contextFiles(repo, patterns);
        for (const f of root) assert.ok(SHARED_BUILD_INPUTS.some((i) => f === i || f.startsWith(`${i}/`)), `${f} is a shared build input`);
        for (const i of SHARED_BUILD_INPUTS) assert.ok(root.some((f) => f === i || f.startsWith(`${i}/`)), `${i} reaches the build`);
        assert.ok(!root.some((f) => f.startsWith("agents/common/src/testing/")), "test fakes stay out");
        assert.ok(!root.some((f) => /^agents\/(runtime|scaler|broker|job-supervisor)\/src\/(?!contract\.ts)/.test(f)), "no agent's own sources in the shared context");
        for (const dir of Object.values(AGENTS)) {
            const own = contextFiles(path.join(repo, "agents", dir), patterns);
            assert.ok(own.includes("src/main.ts") && own.includes("tsconfig.build.json") && own.includes("package.json"), dir);
            assert.ok(own.every((f) => OWN_BUILD_INPUTS.some((i) => f === i || f.startsWith(`${i}/`))), `${dir}: only its build inputs (no tests, benches)`);
        }
    });

    it("reads .dockerignore patterns as BuildKit does: the last matching pattern wins, a parent's match counts", () => {
        const patterns = readIgnoreFile(path.join(repo, AGENT_DOCKERIGNORE));
        assert.equal(ignored("README.md", patterns), true);
        assert.equal(ignored("agents/scaler/src/main.ts", patterns), true, "another directory's src in the root context");
        assert.equal(ignored("agents/scaler/package.json", patterns), false);
        assert.equal(ignored("agents/common/src/consul/client.ts", patterns), false);
        assert.equal(ignored("agents/common/src/testing/tls.ts", patterns), true);
        assert.equal(ignored("src/node_modules/x/index.js", patterns), true);
        assert.equal(ignored("src/main.ts", patterns), false);
    });

    it("an agent's source hash changes with its own sources and the shared ones, never with another agent's", () => {
        // a copy of the build inputs of every agent, plus files outside them
        const root = fs.mkdtempSync(path.join(tmpdir(), "gg-agents-"));
        const copy = (rel: string) => {
            fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
            fs.copyFileSync(path.join(repo, rel), path.join(root, rel));
        };
        const patterns = readIgnoreFile(path.join(repo, AGENT_DOCKERIGNORE));
        for (const f of contextFiles(repo, patterns)) copy(f);
        for (const dir of Object.values(AGENTS)) for (const f of contextFiles(path.join(repo, "agents", dir), patterns)) copy(`agents/${dir}/${f}`);
        for (const f of [AGENT_DOCKERFILE, AGENT_DOCKERIGNORE]) copy(f);
        const hashes = () => Object.fromEntries(Object.values(AGENTS).map((d) => [d, agentSourceHash(root, d)]));
        const changed = (edit: () => void) => {
            const before = hashes();
            edit();
            const after = hashes();
            return Object.values(AGENTS).filter((d) => after[d] !== before[d]).sort();
        };
        const append = (rel: string) => () => {
            fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
            fs.appendFileSync(path.join(root, rel), "\n// changed\n");
        };
        const all = Object.values(AGENTS).sort();
        assert.equal(new Set(Object.values(hashes())).size, all.length, "one hash per agent");
        assert.deepEqual(changed(append("agents/scaler/src/scaler.ts")), ["scaler"]);
        assert.deepEqual(changed(append("agents/broker/src/new-file.ts")), ["broker"]);
        assert.deepEqual(changed(append("agents/runtime/src/server.ts")), ["runtime"]);
        assert.deepEqual(changed(append("agents/job-supervisor/tsconfig.build.json")), ["job-supervisor"]);
        assert.deepEqual(changed(append("agents/runtime/src/contract.ts")), all, "the runtime's request contract is compiled into every agent that imports it");
        assert.deepEqual(changed(append("agents/common/src/logger.ts")), all);
        assert.deepEqual(changed(append("package-lock.json")), all);
        assert.deepEqual(changed(append(AGENT_DOCKERFILE)), all);
        assert.deepEqual(changed(append("agents/broker/test/broker.test.ts")), [], "tests are not built");
        assert.deepEqual(changed(append("agents/common/src/testing/tls.ts")), []);
        assert.deepEqual(changed(append("components/anything.ts")), []);
        fs.rmSync(root, { recursive: true, force: true });
    });
});
