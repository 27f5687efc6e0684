import { strict as assert } from "assert";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as gcp from "@pulumi/gcp";
import { parse } from "yaml";
import { parseWorld, WorldConfigError } from "../components/config/load";
import { allRegions, type Region } from "../components/config/model";
import { AgentImages } from "../components/images/agent-images";
import { AGENTS, AGENT_KEYS, type AgentKey } from "../components/images/agents";
import { ECR_PULL_ACTIONS, eksAddonRepositories } from "../components/images/ecr";
import { AGENT_DOCKERFILE, AGENT_DOCKERIGNORE, CONTEXT_EXCLUDES, contextFiles, readIgnoreFile } from "../components/images/source-hash";
import { Names } from "../components/naming";
import { GraphIndex } from "../engine/graph";
import type { RecordedResource } from "../engine/recorder";
import { programResources, runStack } from "../engine/run";
import { at, isSecret, reveal } from "../engine/values";
import { STACKS, stackGraph } from "./support/stacks";
import { setPath, worldOf } from "./support/world-variants";

type Obj = Record<string, any>;

const IMAGE = "docker-build:index:Image";
const ECR_REPO = "aws:ecr/repository:Repository";
const ECR_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy";
const AR_REPO = "gcp:artifactregistry/repository:Repository";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const AWS_PROVIDER = "pulumi:providers:aws";
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Which agent a data-center container runs, by container name; a third-party image would be pinned by tag. */
const AGENT_OF_CONTAINER: Record<string, AgentKey> = { runtime: "runtime", app: "runtime", "job-supervisor": "jobSupervisor", broker: "broker", scaler: "scaler" };

const awsRegionsOf = (world: ReturnType<typeof parseWorld>) => [...new Set(allRegions(world).filter((r) => r.cloud === "aws").map((r) => r.location))].sort();
const arPath = (g: GraphIndex) => {
    const repo = g.get(AR_REPO, "registry").inputs;
    return `${repo.location}-docker.pkg.dev/${repo.project}/${repo.repositoryId}`;
};
const ecrRepoOf = (g: GraphIndex, awsRegion: string, dir: string) => g.get(ECR_REPO, `${awsRegion}-${dir}`);
const digestOf = (g: GraphIndex, dir: string) => String(g.get(IMAGE, dir).outputs.digest);
const providerRegion = (g: GraphIndex, r: RecordedResource) => {
    const p = g.resources.find((x) => x.type === AWS_PROVIDER && r.provider === x.urn);
    assert.ok(p, `${r.urn} has an aws provider`);
    return String(p.inputs.region);
};

/** Every container of every Deployment below a data center, with the region it runs in. */
function dataCenterContainers(g: GraphIndex, regions: Region[]): { region: Region; deployment: string; container: Obj }[] {
    return regions.flatMap((region) =>
        g
            .descendants(g.get("globalgrid:tier:Region", region.name).urn)
            .filter((r) => r.type === DEPLOYMENT && g.dataCenterOf(r))
            .flatMap((d) => ((at(d.inputs, "spec.template.spec.containers") as Obj[]) ?? []).map((container) => ({ region, deployment: d.name, container }))),
    );
}

describe("agent images", () => {
    for (const stack of STACKS) {
        describe(stack, () => {
            const world = parseWorld(worldOf(stack));
            const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);

            it("builds one image per agent from agents/Dockerfile (AGENT=<agent>, its directory the `agent` context) and pushes it to Artifact Registry and to each AWS region's ECR", async () => {
                const g = await stackGraph(stack);
                const images = g.ofType(IMAGE);
                assert.deepEqual(images.map((i) => i.name).sort(), Object.values(AGENTS).sort());
                const ar = arPath(g);
                assert.equal(ar, `europe-docker.pkg.dev/${world.gcpProject}/globalgrid`, "the multi-region around global.location");
                const cache = g.get(AR_REPO, "build-cache").inputs;
                for (const img of images) {
                    const i = reveal(img.inputs) as Obj;
                    assert.equal(i.push, true);
                    assert.deepEqual(i.platforms, ["linux/amd64"]);
                    assert.deepEqual(i.context, { location: ".", named: { agent: { location: `./agents/${img.name}` } } }, "contexts: the repository root and the agent's directory");
                    assert.deepEqual(i.dockerfile, { location: "./agents/Dockerfile" });
                    assert.deepEqual(i.buildArgs, { AGENT: img.name, SOURCE_DATE_EPOCH: "0" });
                    const tags = i.tags as string[];
                    const tag = tags[0].split(":").pop();
                    assert.match(String(tag), /^b-[a-f0-9]{24}$/);
                    const expected = [`${ar}/${img.name}:${tag}`, ...awsRegionsOf(world).map((r) => `${world.awsAccountId}.dkr.ecr.${r}.amazonaws.com/${names.ecrRepository(img.name)}:${tag}`)];
                    assert.deepEqual(tags, expected);
                    // credentials for every registry pushed to, passwords only as secrets
                    const registries = img.inputs.registries as Obj[];
                    assert.deepEqual(registries.map((r) => r.address), expected.map((t) => t.split("/")[0]));
                    assert.equal(registries[0].username, "oauth2accesstoken");
                    assert.ok(registries.every((r) => isSecret(r.password)), "registry passwords are secrets");
                    // the build cache is in its own (mutable) repository, never in the immutable one
                    const cacheRef = `${cache.location}-docker.pkg.dev/${cache.project}/${cache.repositoryId}/${img.name}:buildcache`;
                    assert.deepEqual(i.cacheFrom, [{ registry: { ref: cacheRef } }]);
                    assert.deepEqual(i.cacheTo, [{ registry: { ref: cacheRef, mode: "max", imageManifest: true, ociMediaTypes: true } }]);
                    assert.match(String(img.outputs.digest), DIGEST);
                }
            });

            it("runs every agent container by the build's digest: Artifact Registry in gcp regions, the region's ECR in aws regions", async () => {
                const g = await stackGraph(stack);
                const ar = arPath(g);
                const seen = new Set<string>();
                const found = dataCenterContainers(g, allRegions(world));
                for (const { region, deployment, container } of found) {
                    const agent = AGENT_OF_CONTAINER[container.name as string];
                    if (!agent) {
                        assert.match(container.image, /^hashicorp\//, `${deployment}/${container.name} is a third-party image`);
                        continue;
                    }
                    const dir = AGENTS[agent];
                    const repository = region.cloud === "gcp" ? `${ar}/${dir}` : String(ecrRepoOf(g, region.location, dir).outputs.repositoryUrl);
                    assert.equal(container.image, `${repository}@${digestOf(g, dir)}`, `${region.name} ${deployment}/${container.name}`);
                    seen.add(`${region.cloud}:${agent}`);
                }
                for (const cloud of ["gcp", "aws"]) for (const agent of AGENT_KEYS) assert.ok(seen.has(`${cloud}:${agent}`), `${cloud} runs ${agent}`);
            });

            it("gives each built agent an ECR repository per AWS region: immutable tags, scan on push, KMS, lifecycle for untagged", async () => {
                const g = await stackGraph(stack);
                const repos = g.ofType(ECR_REPO);
                assert.equal(repos.length, awsRegionsOf(world).length * AGENT_KEYS.length);
                for (const awsRegion of awsRegionsOf(world)) {
                    for (const dir of Object.values(AGENTS)) {
                        const repo = ecrRepoOf(g, awsRegion, dir);
                        assert.equal(providerRegion(g, repo), awsRegion);
                        assert.equal(repo.inputs.name, names.ecrRepository(dir));
                        assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE");
                        assert.deepEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
                        assert.deepEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "KMS" }]);
                        assert.equal(repo.protect, world.environment === "prod");
                        const lifecycle = g.get(ECR_LIFECYCLE, `${awsRegion}-${dir}`);
                        assert.equal(lifecycle.inputs.repository, repo.inputs.name);
                        assert.equal(lifecycle.provider, repo.provider);
                        const rules = JSON.parse(String(lifecycle.inputs.policy)).rules as Obj[];
                        assert.deepEqual(rules.map((r) => [r.selection.tagStatus, r.selection.countType, r.action.type]), [["untagged", "sinceImagePushed", "expire"]]);
                    }
                }
            });

            it("lets EKS nodes pull only their region's agent repositories and EKS add-on registry", async () => {
                const g = await stackGraph(stack);
                assert.deepEqual(g.ofType(ATTACHMENT).filter((a) => /ContainerRegistry/.test(String(a.inputs.policyArn))), [], "no account-wide ECR managed policy");
                const roles = g.ofType("aws:iam/role:Role").filter((r) => String(r.inputs.name).endsWith("-nodes"));
                assert.ok(roles.length > 0);
                for (const role of roles) {
                    const awsRegion = providerRegion(g, role);
                    const policies = g.ofType(ROLE_POLICY).filter((p) => p.inputs.role === role.inputs.name);
                    const pulled = policies.flatMap((p) => {
                        const doc = JSON.parse(String(p.inputs.policy)) as { Statement: Obj[] };
                        const login = doc.Statement.find((s) => s.Sid === "RegistryLogin")!;
                        assert.deepEqual([login.Action, login.Resource], ["ecr:GetAuthorizationToken", "*"]);
                        const pull = doc.Statement.find((s) => s.Sid === "PullImages")!;
                        assert.deepEqual(pull.Action, ECR_PULL_ACTIONS);
                        return pull.Resource as string[];
                    });
                    const region = allRegions(world).find((r) => r.cloud === "aws" && names.regionCluster(r.name) + "-nodes" === role.inputs.name);
                    const agents = region ? Object.values(AGENTS).map((dir) => String(ecrRepoOf(g, awsRegion, dir).outputs.arn)) : [];
                    assert.deepEqual(pulled.sort(), [eksAddonRepositories(awsRegion), ...agents].sort(), `${role.inputs.name}`);
                    for (const arn of agents) assert.ok(arn.startsWith(`arn:aws:ecr:${awsRegion}:${world.awsAccountId}:repository/`), arn);
                }
            });

            it("stack file pins no agent image: every agent is built, no digest is written by hand", () => {
                const text = readFileSync(path.join(__dirname, "..", `Pulumi.${stack}.yaml`), "utf8");
                assert.doesNotMatch(text, /@sha256:/);
                const images = ((parse(text) as Obj).config["globalgrid:world"].images ?? {}) as Obj;
                assert.equal(images.agents, undefined);
                for (const key of AGENT_KEYS) assert.equal(images[key], undefined, `images.${key}`);
            });
        });
    }

    it("the Artifact Registry repository: immutable tags, untagged versions cleaned up; the cache repository is separate", async () => {
        const g = await stackGraph("staging");
        const registry = g.get(AR_REPO, "registry").inputs;
        assert.deepEqual(registry.dockerConfig, { immutableTags: true });
        assert.equal(registry.cleanupPolicyDryRun, false);
        assert.deepEqual((registry.cleanupPolicies as Obj[]).map((p) => [p.action, p.condition.tagState]), [["DELETE", "UNTAGGED"]]);
        const cache = g.get(AR_REPO, "build-cache").inputs;
        assert.equal(cache.dockerConfig, undefined, "cache tags move on every build: the cache repository cannot have immutable tags");
        assert.equal(cache.location, registry.location);
        assert.notEqual(cache.repositoryId, registry.repositoryId);
    });

    describe("a prebuilt image pinned in config", () => {
        const prebuilt = `registry.example.com/acme/runtime@sha256:${"ab".repeat(32)}`;

        it("replaces the build of that agent only", async () => {
            const w = setPath(worldOf("staging"), "images.agents", { runtime: { prebuilt } });
            const run = await runStack({ stack: "staging", world: w });
            if (run.error) throw run.error;
            const g = new GraphIndex(run);
            assert.deepEqual(g.ofType(IMAGE).map((i) => i.name).sort(), ["broker", "job-supervisor", "scaler"]);
            assert.ok(!g.ofType(ECR_REPO).some((r) => r.name.endsWith("-runtime")), "no ECR repository for a prebuilt agent");
            const found = dataCenterContainers(g, allRegions(parseWorld(w)));
            const runtime = found.filter((c) => AGENT_OF_CONTAINER[c.container.name] === "runtime");
            assert.ok(runtime.length > 0);
            for (const c of runtime) assert.equal(c.container.image, prebuilt, `${c.deployment}/${c.container.name}`);
            const supervisors = found.filter((c) => c.container.name === "job-supervisor");
            assert.ok(supervisors.length > 0 && supervisors.every((c) => String(c.container.image).endsWith(`@${digestOf(g, "job-supervisor")}`)));
        });

        const bad: [string, string, RegExp][] = [
            ["a tag instead of a digest", "registry.example.com/acme/runtime:2.3.1", /pinned by digest/],
            ["a malformed digest", "registry.example.com/acme/runtime@sha256:abc", /pinned by digest/],
            ["the world's own Artifact Registry repository", `europe-docker.pkg.dev/gg-staging-4821/globalgrid/runtime@sha256:${"0".repeat(64)}`, /own registry/],
            ["the world's own ECR repository", `210987654321.dkr.ecr.us-east-1.amazonaws.com/gg-stg/runtime@sha256:${"0".repeat(64)}`, /own registry/],
        ];
        for (const [what, value, rule] of bad) {
            it(`refuses ${what} at its path, registering nothing`, async () => {
                const w = setPath(worldOf("staging"), "images.agents", { runtime: { prebuilt: value } });
                const run = await runStack({ stack: "staging", world: w });
                assert.ok(run.error instanceof WorldConfigError, `expected a WorldConfigError, got ${run.error?.message ?? "success"}`);
                const hit = run.error.issues.find((i) => i.path === "images.agents.runtime.prebuilt");
                assert.ok(hit, run.error.message);
                assert.match(hit.message, rule);
                assert.deepEqual(programResources(run), []);
            });
        }

        it("refuses an unknown agent name at its path", () => {
            assert.throws(() => parseWorld(setPath(worldOf("staging"), "images.agents", { runtimes: { prebuilt } })), (e: WorldConfigError) => e.issues.some((i) => i.path === "images.agents.runtimes"));
        });
    });

    it("a changed agent source changes its build tag and the digest the workloads run, and only that agent's", async () => {
        // a copy of the agents' build contexts: the program's tags and digests follow their files
        const repo = path.join(__dirname, "..");
        const root = mkdtempSync(path.join(tmpdir(), "gg-context-"));
        const patterns = readIgnoreFile(path.join(repo, AGENT_DOCKERIGNORE));
        const copy = (rel: string) => cpSync(path.join(repo, rel), path.join(root, rel));
        for (const f of [...contextFiles(repo, patterns), AGENT_DOCKERFILE, AGENT_DOCKERIGNORE]) copy(f);
        for (const dir of Object.values(AGENTS)) for (const f of contextFiles(path.join(repo, "agents", dir), patterns)) copy(`agents/${dir}/${f}`);
        const world = parseWorld(worldOf("staging"));
        const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
        const was = allRegions(world).find((r) => r.name === "was")!;
        const fra = allRegions(world).find((r) => r.name === "fra")!;
        const program = () => {
            const registry = new gcp.artifactregistry.Repository("registry", { repositoryId: names.registryRepository(), project: world.gcpProject, location: "europe", format: "DOCKER" });
            const images = new AgentImages("agent-images", { world, names, registry, contextRoot: root });
            return { fra: images.forRegion(fra), was: images.forRegion(was) };
        };
        const refsOf = async () => {
            const run = await runStack({ stack: "staging", program });
            if (run.error) throw run.error;
            const g = new GraphIndex(run);
            const tag = (dir: string) => String((g.get(IMAGE, dir).inputs.tags as string[])[0].split(":").pop());
            return { outputs: reveal(run.outputs) as Obj, tags: Object.fromEntries(Object.values(AGENTS).map((d) => [d, tag(d)])) };
        };
        const before = await refsOf();
        assert.deepEqual(await refsOf(), before, "the same sources give the same tags and digests");

        writeFileSync(path.join(root, "agents", "scaler", "src", "changed.ts"), "export const changed = true;\n");
        const scalerChanged = await refsOf();
        for (const key of AGENT_KEYS) {
            const same = key !== "scaler";
            assert.equal(scalerChanged.tags[AGENTS[key]] === before.tags[AGENTS[key]], same, `${key} tag`);
            assert.equal(scalerChanged.outputs.fra[key] === before.outputs.fra[key], same, `fra ${key}`);
            assert.equal(scalerChanged.outputs.was[key] === before.outputs.was[key], same, `was ${key}`);
        }

        writeFileSync(path.join(root, "agents", "common", "src", "changed.ts"), "export const changed = true;\n");
        const after = await refsOf();
        for (const dir of Object.values(AGENTS)) assert.notEqual(after.tags[dir], scalerChanged.tags[dir], dir);
        for (const key of AGENT_KEYS) {
            assert.notEqual(after.outputs.fra[key], scalerChanged.outputs.fra[key], `fra ${key}`);
            assert.notEqual(after.outputs.was[key], scalerChanged.outputs.was[key], `was ${key}`);
            assert.match(after.outputs.was[key], /^210987654321\.dkr\.ecr\.us-east-1\.amazonaws\.com\/gg-stg\/.+@sha256:[a-f0-9]{64}$/);
        }
    });

    it(".dockerignore leaves out exactly what the source hash leaves out", () => {
        const lines = readFileSync(path.join(__dirname, "..", ".dockerignore"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
        assert.deepEqual(lines, CONTEXT_EXCLUDES.map((d) => `**/${d}`));
    });
});
