/**
 * Third-party checks of the manifests with @monokle/validation's core plugins, offline: Pod Security
 * Standards (baseline and restricted) and Kubernetes practices, every rule of both enabled. A finding
 * is an error unless the exceptions file covers it.
 */
import { findException, type CheckException } from "./exceptions";
import { manifestYaml, type Manifest } from "./manifests";

export const CHECK_PLUGINS = ["pod-security-standards", "practices"] as const;

export interface Finding {
    rule: string;
    /** plugin/rule-name, e.g. pod-security-standards/running-as-non-root */
    ruleName: string;
    message: string;
    file: string;
    /** <cluster>/<namespace>/<Kind>/<name>, what exceptions match */
    object: string;
    /** dotted path of the offending field, when the rule names one */
    field?: string;
    /** the reason from the exceptions file when the finding is accepted */
    excepted?: string;
}

export interface CheckResult {
    rules: { id: string; name: string; description: string }[];
    findings: Finding[];
    /** exceptions that matched no finding (stale entries to remove) */
    unusedExceptions: CheckException[];
}

export const objectId = (m: Manifest): string => `${m.cluster}/${m.namespace}/${m.kind}/${m.name}`;

// minimal shapes of the validator's API that is used here
interface SarifResult {
    ruleId: string;
    rule: { toolComponent: { name: string } };
    message: { text: string };
    locations?: { physicalLocation?: { artifactLocation?: { uri?: string } }; logicalLocations?: { kind: string; fullyQualifiedName?: string }[] }[];
}
interface Validator {
    preload(config: unknown): Promise<void>;
    validate(args: { resources: unknown[] }): Promise<{ runs: { results: SarifResult[] }[] }>;
    getPlugins(): { metadata: { name: string }; rules: { id: string; name: string; shortDescription: { text: string } }[] }[];
}
type MonokleModule = {
    MonokleValidator: new (init: unknown, config?: unknown) => Validator;
    DefaultPluginLoader: new () => unknown;
    ResourceParser: new () => unknown;
    SchemaLoader: new () => unknown;
    DisabledFixer: new () => unknown;
};

// the package is ESM only; a real dynamic import (not compiled to require) loads it from CommonJS
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<unknown>;

let validator: Promise<{ v: Validator; rules: CheckResult["rules"] }> | undefined;

/** One configured validator per process: only the local core plugins (no plugin, schema or WASM download). */
function getValidator() {
    validator ??= (async () => {
        const m = (await importEsm("@monokle/validation")) as MonokleModule;
        const v = new m.MonokleValidator({
            loader: new m.DefaultPluginLoader(),
            parser: new m.ResourceParser(),
            schemaLoader: new m.SchemaLoader(),
            suppressors: [],
            fixer: new m.DisabledFixer(),
        });
        const plugins = Object.fromEntries(CHECK_PLUGINS.map((p) => [p, true]));
        await v.preload({ plugins });
        const rules = v.getPlugins().flatMap((p) => p.rules.map((r) => ({ id: r.id, name: `${p.metadata.name}/${r.name}`, description: r.shortDescription.text })));
        await v.preload({ plugins, rules: Object.fromEntries(rules.map((r) => [r.id, "err"])) });
        return { v, rules };
    })();
    return validator;
}

export async function checkManifests(manifests: Manifest[], exceptions: CheckException[]): Promise<CheckResult> {
    const { v, rules } = await getValidator();
    const byFile = new Map(manifests.map((m) => [m.file, m]));
    const resources = manifests.map((m) => ({
        id: m.file,
        fileId: m.file,
        filePath: m.file,
        fileOffset: 0,
        name: m.name,
        apiVersion: m.apiVersion,
        kind: m.kind,
        namespace: m.namespace === "_cluster" ? undefined : m.namespace,
        content: m.object,
        text: manifestYaml(m),
    }));
    const response = await v.validate({ resources });
    const ruleNames = new Map(rules.map((r) => [r.id, r.name]));
    const used = new Set<CheckException>();
    const findings: Finding[] = [];
    for (const run of response.runs) {
        for (const r of run.results) {
            const file = r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? "";
            const m = byFile.get(file);
            const object = m ? objectId(m) : file;
            const field = r.locations?.flatMap((l) => l.logicalLocations ?? []).find((l) => l.kind === "element")?.fullyQualifiedName;
            const ruleName = ruleNames.get(r.ruleId) ?? `${r.rule.toolComponent.name}/${r.ruleId}`;
            const exception = findException(exceptions, r.ruleId, ruleName, object);
            if (exception) used.add(exception);
            findings.push({ rule: r.ruleId, ruleName, message: r.message.text, file, object, ...(field ? { field } : {}), ...(exception ? { excepted: exception.reason } : {}) });
        }
    }
    findings.sort((a, b) => a.file.localeCompare(b.file) || a.rule.localeCompare(b.rule) || (a.field ?? "").localeCompare(b.field ?? ""));
    return { rules, findings, unusedExceptions: exceptions.filter((e) => !used.has(e)) };
}
