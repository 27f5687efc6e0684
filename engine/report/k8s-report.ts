/**
 * out/<stack>/k8s-report.json: the OpenAPI schema errors and third-party findings of a stack's
 * manifests. Schema errors and unexcepted findings are what fail the plan.
 */
import { type CheckException } from "./exceptions";
import { checkManifests, type CheckResult, type Finding } from "./k8s-checks";
import type { Manifest } from "./manifests";
import { validateManifests, type OpenApiResult } from "./openapi";

export interface K8sReport {
    stack: string;
    manifests: number;
    clusters: string[];
    schema: OpenApiResult;
    checks: { plugins: string[]; rules: CheckResult["rules"]; findings: Finding[]; unusedExceptions: CheckException[] };
    /** schema errors + findings without an exception */
    errors: number;
}

export async function k8sReport(stack: string, manifests: Manifest[], exceptions: CheckException[]): Promise<K8sReport> {
    const schema = validateManifests(manifests);
    const checks = await checkManifests(manifests, exceptions);
    return {
        stack,
        manifests: manifests.length,
        clusters: [...new Set(manifests.map((m) => m.cluster))].sort(),
        schema,
        checks: { plugins: ["pod-security-standards", "practices"], rules: checks.rules, findings: checks.findings, unusedExceptions: checks.unusedExceptions },
        errors: schema.errors.length + checks.findings.filter((f) => !f.excepted).length,
    };
}

/** The lines a person reads on the console: each error with file and field. */
export function k8sErrorLines(r: K8sReport): string[] {
    return [
        ...r.schema.errors.map((e) => `schema: ${e.file}: ${e.field}: ${e.message}`),
        ...r.checks.findings.filter((f) => !f.excepted).map((f) => `${f.rule} ${f.ruleName}: ${f.file}${f.field ? `: ${f.field}` : ""}: ${f.message}`),
    ];
}
