/**
 * Offline policy runner: evaluates the pack on a recorded graph (engine/run.ts) the way the Pulumi
 * engine and @pulumi/policy's analyzer server do:
 *  - enforcement level: policy config (per policy, else `all`) > policy's own > pack's; `disabled`
 *    skips the policy, `remediate` reports as `mandatory`;
 *  - config: the schema's defaults overlaid with the policy config, validated like the CLI does;
 *  - resource policies run on every resource (components and providers too) with `props` = inputs
 *    with secrets unwrapped, `opts` {protect, ignoreChanges, parent, ...}, `provider`;
 *  - stack policies run once with every resource's state (outputs, secrets unwrapped), parent,
 *    dependencies and propertyDependencies resolved to resource objects;
 *  - `notApplicable()` is recorded, not reported; any other exception fails the run.
 */
import {
    type EnforcementLevel,
    type Policies,
    type Policy,
    type PolicyConfigSchema,
    type PolicyResource,
    type PolicyResourceOptions,
    type ReportViolation,
    type ResourceValidation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationArgs,
    type StackValidationPolicy,
} from "@pulumi/policy";
import type { RecordedResource } from "../engine/recorder";
import { reveal } from "../engine/values";

export interface Violation {
    policy: string;
    enforcementLevel: EnforcementLevel;
    /** the resource the violation is about; empty for a stack violation that names none */
    urn: string;
    message: string;
}

export interface NotApplicable {
    policy: string;
    urn?: string;
    reason: string;
}

/** A policy pack config file (`--policy-pack-config`): per policy a level or {enforcementLevel, ...props}. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface RunPoliciesOptions {
    config?: PackConfig;
    /** the pack's enforcement level (PolicyPackArgs.enforcementLevel); "advisory" like the SDK when unset */
    packEnforcementLevel?: EnforcementLevel;
    stackTags?: Record<string, string>;
}

export interface PolicyRun {
    violations: Violation[];
    notApplicable: NotApplicable[];
}

class NotApplicableError extends Error {
    constructor(readonly reason: string) {
        super(reason);
    }
}
const throwNotApplicable = (reason?: string): never => {
    throw new NotApplicableError(reason ?? "");
};

const isResourcePolicy = (p: Policy): p is ResourceValidationPolicy => {
    const v = (p as ResourceValidationPolicy).validateResource;
    return typeof v === "function" || (Array.isArray(v) && v.every((f) => typeof f === "function"));
};
const isStackPolicy = (p: Policy): p is StackValidationPolicy => typeof (p as StackValidationPolicy).validateStack === "function";
const pulumiTypeOf = (fn: unknown): string | undefined => {
    const t = (fn as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof t === "string" && t.length > 0 ? t : undefined;
};
const isTypeOf = (type: string, cls: unknown): boolean => {
    const t = pulumiTypeOf(cls);
    if (t) return type === t;
    const isInstance = (cls as { isInstance?: (o: unknown) => boolean }).isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
};

function entryOf(config: PackConfig, name: string): { enforcementLevel?: EnforcementLevel; props: Record<string, unknown> } {
    const e = config[name];
    if (e === undefined) return { props: {} };
    if (typeof e === "string") return { enforcementLevel: e, props: {} };
    const { enforcementLevel, ...props } = e;
    return { enforcementLevel, props };
}

export function enforcementLevelOf(p: Policy, config: PackConfig, pack: EnforcementLevel): EnforcementLevel {
    const level = entryOf(config, p.name).enforcementLevel ?? entryOf(config, "all").enforcementLevel ?? p.enforcementLevel ?? pack;
    return level === "remediate" ? "mandatory" : level;
}

type JsonSchema = { type?: string; items?: JsonSchema; minimum?: number; maximum?: number; minItems?: number; enum?: unknown[]; default?: unknown };

function checkValue(path: string, v: unknown, s: JsonSchema): string[] {
    const errs: string[] = [];
    const t = s.type;
    const typeOk =
        t === undefined ||
        (t === "array" && Array.isArray(v)) ||
        (t === "object" && typeof v === "object" && v !== null && !Array.isArray(v)) ||
        (t === "integer" && Number.isInteger(v)) ||
        (t === "number" && typeof v === "number") ||
        (t === "string" && typeof v === "string") ||
        (t === "boolean" && typeof v === "boolean");
    if (!typeOk) return [`${path}: must be ${t}`];
    if (typeof v === "number") {
        if (s.minimum !== undefined && v < s.minimum) errs.push(`${path}: must be >= ${s.minimum}`);
        if (s.maximum !== undefined && v > s.maximum) errs.push(`${path}: must be <= ${s.maximum}`);
    }
    if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) errs.push(`${path}: must be one of ${JSON.stringify(s.enum)}`);
    if (Array.isArray(v)) {
        if (s.minItems !== undefined && v.length < s.minItems) errs.push(`${path}: must have at least ${s.minItems} items`);
        if (s.items) v.forEach((x, i) => errs.push(...checkValue(`${path}[${i}]`, x, s.items!)));
    }
    return errs;
}

/** The config a policy's getConfig() returns: schema defaults overlaid with the pack config; throws when invalid. */
export function policyConfig(p: Policy, config: PackConfig): Record<string, unknown> {
    const schema: PolicyConfigSchema | undefined = p.configSchema;
    const given = entryOf(config, p.name).props;
    const out: Record<string, unknown> = {};
    const errs: string[] = [];
    for (const [k, s] of Object.entries(schema?.properties ?? {})) {
        const d = (s as JsonSchema).default;
        if (d !== undefined) out[k] = JSON.parse(JSON.stringify(d));
    }
    for (const [k, v] of Object.entries(given)) {
        const s = schema?.properties?.[k] as JsonSchema | undefined;
        if (!s) errs.push(`${p.name}.${k}: not in the policy's config schema`);
        else errs.push(...checkValue(`${p.name}.${k}`, v, s));
        out[k] = v;
    }
    for (const k of schema?.required ?? []) if (out[k] === undefined) errs.push(`${p.name}.${k}: is required`);
    if (errs.length) throw new Error(`invalid policy config: ${errs.join("; ")}`);
    return out;
}

function optionsOf(r: RecordedResource): PolicyResourceOptions {
    return {
        protect: r.protect,
        ignoreChanges: r.ignoreChanges,
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

const freeze = (o: unknown): unknown => {
    if (o && typeof o === "object") {
        Object.values(o).forEach(freeze);
        Object.freeze(o);
    }
    return o;
};

/** What resource and stack policies both see of a resource: frozen plain props (inputs or state), options, type tests. */
function resourceView(r: RecordedResource, values: Record<string, unknown>) {
    const props = freeze(reveal(values)) as Record<string, unknown>;
    return {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: optionsOf(r),
        isType: (cls: unknown) => isTypeOf(r.type, cls),
        asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
}

/** Runs every policy on the recorded resources. */
export async function runPolicies(policies: Policies, resources: RecordedResource[], opts: RunPoliciesOptions = {}): Promise<PolicyRun> {
    const config = opts.config ?? {};
    const pack = opts.packEnforcementLevel ?? "advisory";
    const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(opts.stackTags ?? {}));
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const violations: Violation[] = [];
    const notApplicable: NotApplicable[] = [];
    const known = new Set(policies.map((p) => p.name));
    for (const name of Object.keys(config)) if (name !== "all" && !known.has(name)) throw new Error(`invalid policy config: no policy named "${name}"`);

    const reporter =
        (p: Policy, level: EnforcementLevel, defaultUrn: string): ReportViolation =>
        (message, urn) =>
            violations.push({ policy: p.name, enforcementLevel: level, urn: urn ?? defaultUrn, message: message || p.description });
    const providerOf = (r: RecordedResource) => {
        if (!r.provider) return undefined;
        const prov = byUrn.get(r.provider);
        if (prov) return { type: prov.type, props: freeze(reveal(prov.inputs)) as Record<string, unknown>, urn: prov.urn, name: prov.name };
        // a provider the graph did not record (hand-written graphs): what its URN says
        const parts = r.provider.split("::");
        return { type: (parts[2] ?? "").split("$").pop() ?? "", props: {}, urn: r.provider, name: parts[3] ?? "" };
    };
    const guard = async (p: Policy, urn: string | undefined, fn: () => unknown) => {
        try {
            await fn();
        } catch (e) {
            if (e instanceof NotApplicableError) notApplicable.push({ policy: p.name, urn, reason: e.reason });
            else throw new Error(`Error validating ${urn ?? "the stack"} with policy '${p.name}': ${(e as Error).message}`);
        }
    };

    for (const p of policies) {
        const level = enforcementLevelOf(p, config, pack);
        if (level === "disabled") continue;
        const cfg = policyConfig(p, config);
        const getConfig = <T extends object>() => ({ ...cfg }) as T;

        if (isResourcePolicy(p)) {
            const validations: ResourceValidation[] = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource!];
            const fastType = Array.isArray(p.validateResource) ? undefined : pulumiTypeOf(p.validateResource);
            for (const r of resources) {
                if (fastType && r.type !== fastType) {
                    notApplicable.push({ policy: p.name, urn: r.urn, reason: `Policy only applies to resources of type '${fastType}'` });
                    continue;
                }
                for (const validate of validations) {
                    const view = resourceView(r, r.inputs);
                    const args: ResourceValidationArgs = {
                        ...view,
                        // the same props object; only the declared type differs between resource and stack policies
                        asType: view.asType as unknown as ResourceValidationArgs["asType"],
                        stackTags,
                        getConfig,
                        notApplicable: throwNotApplicable,
                    };
                    const provider = providerOf(r);
                    if (provider) args.provider = provider;
                    await guard(p, r.urn, () => validate(args, reporter(p, level, r.urn)));
                }
            }
        }

        if (isStackPolicy(p)) {
            const fastType = pulumiTypeOf(p.validateStack);
            if (fastType && !resources.some((r) => r.type === fastType)) {
                notApplicable.push({ policy: p.name, reason: `Policy only applies to resources of type '${fastType}'` });
                continue;
            }
            const objects = new Map<string, PolicyResource>();
            for (const r of resources) {
                const res: PolicyResource = { ...resourceView(r, r.outputs), dependencies: [], propertyDependencies: {} };
                const provider = providerOf(r);
                if (provider) res.provider = provider;
                objects.set(r.urn, res);
            }
            const lookup = (urns: string[]) => urns.map((u) => objects.get(u)).filter((x): x is PolicyResource => !!x);
            for (const r of resources) {
                const res = objects.get(r.urn)!;
                if (r.parent && objects.has(r.parent)) res.parent = objects.get(r.parent);
                res.dependencies = lookup(r.dependencies);
                for (const [k, urns] of Object.entries(r.propertyDependencies)) res.propertyDependencies[k] = lookup(urns);
            }
            const args: StackValidationArgs = { resources: [...objects.values()], stackTags, getConfig, notApplicable: throwNotApplicable };
            await guard(p, undefined, () => p.validateStack(args, reporter(p, level, "")));
        }
    }
    return { violations, notApplicable };
}
