import { strict as assert } from "assert";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { SECRET_SIG, SIG_KEY } from "../../engine/values";
import { ofType } from "../rules/util";
import { policyConfig, runPolicies } from "../runner";
import { res } from "./support/fixtures";

const always = (name: string, enforcementLevel?: ResourceValidationPolicy["enforcementLevel"]): ResourceValidationPolicy => ({
    name,
    description: `${name} description`,
    enforcementLevel,
    validateResource: ofType("test:index:Thing", (_p, _a, report) => report(`${name} fired`)),
});
const thing = res("test:index:Thing", "t", { a: 1 });
const other = res("test:index:Other", "o", {});
const levels = async (policies: ResourceValidationPolicy[], config = {}, pack: "advisory" | "mandatory" = "advisory") =>
    (await runPolicies(policies, [thing], { config, packEnforcementLevel: pack })).violations.map((v) => `${v.policy}=${v.enforcementLevel}`);

describe("policies: offline runner semantics", () => {
    it("enforcement levels: policy config > `all` > the policy's own > the pack's; disabled skips; remediate reports as mandatory", async () => {
        const ps = [always("own", "mandatory"), always("inherits"), always("off", "mandatory"), always("fix", "remediate")];
        assert.deepEqual(await levels(ps, { off: "disabled" }), ["own=mandatory", "inherits=advisory", "fix=mandatory"]);
        assert.deepEqual(await levels(ps, { off: "disabled" }, "mandatory"), ["own=mandatory", "inherits=mandatory", "fix=mandatory"]);
        assert.deepEqual(await levels(ps, { all: "advisory", own: { enforcementLevel: "mandatory" } }), ["own=mandatory", "inherits=advisory", "off=advisory", "fix=advisory"]);
    });

    it("type filter and notApplicable: other types are recorded as not applicable, not run", async () => {
        let calls = 0;
        const p: ResourceValidationPolicy = { name: "p", description: "d", validateResource: ofType("test:index:Thing", () => void calls++) };
        const run = await runPolicies([p], [thing, other]);
        assert.equal(calls, 1);
        assert.deepEqual(run.notApplicable, [{ policy: "p", urn: other.urn, reason: "Policy only applies to resources of type 'test:index:Thing'" }]);
        const na: ResourceValidationPolicy = { name: "na", description: "d", validateResource: (args) => args.notApplicable("nope") };
        assert.deepEqual((await runPolicies([na], [thing])).notApplicable, [{ policy: "na", urn: thing.urn, reason: "nope" }]);
    });

    it("config: schema defaults, overrides, validation like the CLI", async () => {
        const p: ResourceValidationPolicy = {
            ...always("cfg"),
            configSchema: { properties: { max: { type: "integer", minimum: 1, default: 3 }, names: { type: "array", items: { type: "string" }, default: ["a"] } } },
        };
        assert.deepEqual(policyConfig(p, {}), { max: 3, names: ["a"] });
        assert.deepEqual(policyConfig(p, { cfg: { enforcementLevel: "advisory", max: 5 } }), { max: 5, names: ["a"] });
        assert.throws(() => policyConfig(p, { cfg: { max: 0 } }), /invalid policy config: cfg\.max: must be >= 1/);
        assert.throws(() => policyConfig(p, { cfg: { names: [1] } }), /cfg\.names\[0\]: must be string/);
        assert.throws(() => policyConfig(p, { cfg: { typo: 1 } }), /cfg\.typo: not in the policy's config schema/);
        await assert.rejects(runPolicies([p], [thing], { config: { nosuch: "advisory" } }), /no policy named "nosuch"/);
    });

    it("resource args: inputs with secrets unwrapped, options, provider", async () => {
        const provider = res("pulumi:providers:kubernetes", "k", { kubeconfig: { [SIG_KEY]: SECRET_SIG, value: "cfg" } });
        const r = res("test:index:Thing", "s", { key: { [SIG_KEY]: SECRET_SIG, value: "hunter2" }, plain: "x" }, { protect: true, ignoreChanges: ["spec.replicas"], parent: "urn:parent", provider: provider.urn });
        let seen: ResourceValidationArgs | undefined;
        const p: ResourceValidationPolicy = { name: "p", description: "d", validateResource: (args) => void (seen = args) };
        await runPolicies([p], [provider, r]);
        assert.deepEqual(seen!.props, { key: "hunter2", plain: "x" });
        assert.deepEqual([seen!.opts.protect, seen!.opts.ignoreChanges, seen!.opts.parent], [true, ["spec.replicas"], "urn:parent"]);
        assert.deepEqual(seen!.provider, { type: "pulumi:providers:kubernetes", props: { kubeconfig: "cfg" }, urn: provider.urn, name: "k" });
    });

    it("stack args: state of every resource with parent, dependencies and propertyDependencies as objects", async () => {
        const parent = res("globalgrid:tier:Region", "fra", {});
        const dep = res("test:index:Other", "d", {});
        const child = res("test:index:Thing", "c", { in: 1 }, { parent: parent.urn, dependencies: [dep.urn], propertyDependencies: { ref: [dep.urn] }, outputs: { in: 1, computed: "id-1" } });
        let resources: PolicyResource[] = [];
        const p: StackValidationPolicy = { name: "s", description: "stack description", validateStack: (args, report) => {
            resources = args.resources;
            report("");
        } };
        const run = await runPolicies([p], [parent, dep, child]);
        const c = resources.find((r) => r.name === "c")!;
        assert.equal(c.parent?.name, "fra");
        assert.deepEqual(c.dependencies.map((d) => d.name), ["d"]);
        assert.equal(c.propertyDependencies.ref[0], resources.find((r) => r.name === "d"));
        assert.deepEqual(c.props, { in: 1, computed: "id-1" });
        // an empty message falls back to the description, a stack violation without a URN has ""
        assert.deepEqual(run.violations, [{ policy: "s", enforcementLevel: "advisory", urn: "", message: "stack description" }]);
    });

    it("an exception in a policy fails the run and names the policy", async () => {
        const boom: ResourceValidationPolicy = { name: "boom", description: "d", validateResource: () => { throw new Error("bad"); } };
        await assert.rejects(runPolicies([boom], [thing]), /policy 'boom': bad/);
    });
});
