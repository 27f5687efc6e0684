import { existsSync, readFileSync } from "fs";
import * as path from "path";
import type { Graph } from "../engine/run";
import { PACK_ENFORCEMENT, policies } from "./pack";
import { runPolicies, type PackConfig, type Violation } from "./runner";

export const CONFIG_DIR = path.join(__dirname, "config");

/** policies/config/<stack>.json, the same file CI passes as --policy-pack-config; {} when absent. */
export function stackPolicyConfig(stack: string): PackConfig {
    const file = path.join(CONFIG_DIR, `${stack}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as PackConfig) : {};
}

export interface PolicyReport {
    violations: Violation[];
}

/** Runs the pack on a recorded stack with its policy config. */
export async function policyReport(graph: Graph, config: PackConfig = stackPolicyConfig(graph.stack)): Promise<PolicyReport> {
    const run = await runPolicies(policies, graph.resources, { config, packEnforcementLevel: PACK_ENFORCEMENT, stackTags: { "pulumi:project": graph.project } });
    return { violations: run.violations };
}

export const mandatory = (r: PolicyReport): Violation[] => r.violations.filter((v) => v.enforcementLevel === "mandatory");
