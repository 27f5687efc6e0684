import { strict as assert } from "assert";
import { at } from "../engine/values";
import { loadWorldDocument } from "../engine/stack-config";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions } from "../components/config/model";
import { parseConfig } from "../agents/common/src/config-file";
import { supervisorConfigSchema } from "../agents/job-supervisor/src/config";
import { scalerConfigSchema } from "../agents/scaler/src/config";
import { runtimeConfigSchema } from "../agents/runtime/src/config";
import { STACKS, stackGraph } from "./support/stacks";

const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

/**
 * The contract between the program and its agents: every agent ConfigMap the plan renders parses
 * with the agent's own schema (the same parser the agent runs at start), in both stacks.
 */
describe("agent configs", () => {
    for (const stack of STACKS) {
        it(`${stack}: every supervisor, scaler and runtime config parses with its agent's schema`, async () => {
            const world = parseWorld(loadWorldDocument(stack));
            const g = await stackGraph(stack);
            const files = g.ofType(CONFIG_MAP).flatMap((cm) =>
                Object.entries((at(cm.inputs, "data") ?? {}) as Record<string, string>).map(([key, text]) => ({ cm, key, text })),
            );
            const of = (key: string) => files.filter((f) => f.key === key);
            const supervisors = of("supervisor.json").map((f) => ({ cm: f.cm, value: parseConfig(supervisorConfigSchema, JSON.parse(f.text), `${f.cm.name}/${f.key}`) }));
            const scalers = of("scaler.json").map((f) => ({ cm: f.cm, value: parseConfig(scalerConfigSchema, JSON.parse(f.text), `${f.cm.name}/${f.key}`) }));
            const runtimes = of("runtime.json").map((f) => ({ cm: f.cm, value: parseConfig(runtimeConfigSchema, JSON.parse(f.text), `${f.cm.name}/${f.key}`) }));

            const dcs = allDataCenters(world);
            assert.equal(supervisors.length, dcs.length);
            assert.equal(scalers.length, 2 * dcs.length);
            assert.equal(runtimes.length, 2 * dcs.length);

            for (const dc of dcs) {
                const region = allRegions(world).find((r) => r.name === dc.region)!;
                const sup = supervisors.find((s) => g.dataCenterOf(s.cm) === dc.name)!.value;
                assert.equal(sup.pubsubEndpoint, `${region.pubsubLocation}-pubsub.googleapis.com`);
                assert.equal(sup.ackDeadlineSeconds, region.jobs.ackDeadlineSeconds);
                const kinds = scalers.filter((s) => g.dataCenterOf(s.cm) === dc.name).map((s) => s.value.policy.kind).sort();
                assert.deepEqual(kinds, ["availability", "backlog"]);
                const modes = runtimes.filter((s) => g.dataCenterOf(s.cm) === dc.name).map((s) => s.value.mode).sort();
                assert.deepEqual(modes, ["job", "warm"]);
            }
        });
    }

    it("a config that breaks the contract is refused with its path", () => {
        assert.throws(
            () => parseConfig(supervisorConfigSchema, { subscription: "fra-jobs" }, "supervisor.json"),
            (e: Error) => /subscription: must be projects\/<project>\/subscriptions\/<name>/.test(e.message) && /softTimeLimitSeconds: Required/.test(e.message),
        );
    });
});
