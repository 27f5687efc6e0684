import { strict as assert } from "assert";
import { readFileSync } from "fs";
import * as path from "path";
import { loadWorldDocument } from "../../engine/stack-config";
import { consulReplicas } from "../rules/consul";
import { CONSUL_MIN_SERVERS, consulQuorumProblem } from "../rules/consul-quorum";

describe("the Consul quorum rule (config validation and the consul-replicas policy)", () => {
    const table: [replicas: number, min: number, problem: ReturnType<typeof consulQuorumProblem>][] = [
        [1, 1, undefined],
        [1, 3, "too few"],
        [2, 1, "even"],
        [3, 3, undefined],
        [4, 3, "even"],
        [5, 3, undefined],
        [6, 5, "even"],
        [7, 3, undefined],
    ];
    for (const [replicas, min, problem] of table) {
        it(`${replicas} servers where ${min} are required: ${problem ?? "a quorum"}`, () => assert.equal(consulQuorumProblem(replicas, min), problem));
    }

    // The pack does not know a stack's environment, so its config repeats the environment's minimum;
    // it must be the one config validation applies to the same stack.
    for (const stack of ["staging", "prod"] as const) {
        it(`policies/config/${stack}.json asks for the minimum that Pulumi.${stack}.yaml's environment has`, () => {
            const env = loadWorldDocument(stack).environment as keyof typeof CONSUL_MIN_SERVERS;
            const pack = JSON.parse(readFileSync(path.join(__dirname, "..", "config", `${stack}.json`), "utf8")) as Record<string, { minReplicas?: number }>;
            const schemaDefault = (consulReplicas.configSchema!.properties as Record<string, { default: number }>).minReplicas.default;
            assert.equal(pack["consul-replicas"]?.minReplicas ?? schemaDefault, CONSUL_MIN_SERVERS[env]);
        });
    }
});
