/**
 * The one exceptions file for the third-party Kubernetes checks (`k8s-exceptions.yaml` at the repo
 * root): each entry names a rule, an object pattern and the written reason the finding is accepted.
 */
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_DIR } from "../stack-config";

export const EXCEPTIONS_FILE = path.join(PROJECT_DIR, "k8s-exceptions.yaml");

export interface CheckException {
    /** rule id (`PSS203`) or plugin/name (`pod-security-standards/running-as-non-root`) */
    rule: string;
    /** `<cluster>/<namespace or _cluster>/<Kind>/<name>`; `*` matches within one segment */
    object: string;
    reason: string;
}

/** Parses and checks the exceptions document: every entry needs a rule, an object and a reason of a few words. */
export function parseExceptions(doc: unknown, source = "k8s-exceptions.yaml"): CheckException[] {
    const list = (doc as { exceptions?: unknown } | null)?.exceptions ?? [];
    if (!Array.isArray(list)) throw new Error(`${source}: exceptions must be a list`);
    return list.map((e: Partial<CheckException>, i) => {
        const where = `${source}: exceptions[${i}]`;
        if (typeof e?.rule !== "string" || !e.rule) throw new Error(`${where}.rule: required`);
        if (typeof e.object !== "string" || e.object.split("/").length !== 4) throw new Error(`${where}.object: must be <cluster>/<namespace>/<Kind>/<name>`);
        if (typeof e.reason !== "string" || e.reason.trim().split(/\s+/).length < 5) throw new Error(`${where}.reason: write why this finding is accepted`);
        return { rule: e.rule, object: e.object, reason: e.reason.trim() };
    });
}

export function loadExceptions(file = EXCEPTIONS_FILE): CheckException[] {
    if (!existsSync(file)) return [];
    return parseExceptions(parse(readFileSync(file, "utf8")), path.basename(file));
}

const globRe = (pattern: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`);

/** The first exception that covers a finding of rule (id or name) on object, if any. */
export function findException(exceptions: CheckException[], ruleId: string, ruleName: string, object: string): CheckException | undefined {
    return exceptions.find((e) => (e.rule === ruleId || e.rule === ruleName) && globRe(e.object).test(object));
}
