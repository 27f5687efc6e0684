import * as pulumi from "@pulumi/pulumi";
import { normalize } from "./values";

/** One resource as the program registered it. Values are normalized (see values.ts): secrets stay wrapped. */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    /** the provider id of a custom resource (mocks.ts makes it deterministic) */
    id?: string;
    parent?: string;
    dependencies: string[];
    /** per input property, the resources it depends on */
    propertyDependencies: Record<string, string[]>;
    provider?: string;
    protect: boolean;
    ignoreChanges: string[];
    /**
     * The URNs this resource was known by before (its `aliases` option, resolved as the engine does:
     * unset parts of an alias spec are the resource's own; a parent's old URNs give the child old
     * URNs too). A resource whose URN changed is the same resource when its old URN is among these.
     */
    aliases?: string[];
    inputs: Record<string, unknown>;
    /** provider state for custom resources; registered outputs for components */
    outputs: Record<string, unknown>;
}

interface AliasSpec {
    getName(): string;
    getType(): string;
    getStack(): string;
    getProject(): string;
    getParenturn(): string;
    getNoparent(): boolean;
}
interface AliasMessage {
    hasUrn(): boolean;
    getUrn(): string;
    hasSpec(): boolean;
    getSpec(): AliasSpec | undefined;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getParent(): string;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
    getProvider(): string;
    getProtect(): boolean;
    getIgnorechangesList(): string[];
    getAliasesList(): AliasMessage[];
    getAliasurnsList(): string[];
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface OutputsRequest {
    getUrn(): string;
    getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback = (err: Error | null, resp?: { getUrn(): string; getId(): string; getObject(): { toJavaScript(): Record<string, unknown> } | undefined }) => void;
interface Monitor {
    registerResource(req: RegisterRequest, cb: Callback): void;
    registerResourceOutputs(req: OutputsRequest, cb: (err: Error | null, resp?: unknown) => void): void;
}

/** The parts of a URN: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. */
export function parseUrn(urn: string): { stack: string; project: string; qualifiedType: string; name: string } {
    const [head, project, qualifiedType, ...name] = urn.split("::");
    return { stack: head.replace(/^urn:pulumi:/, ""), project, qualifiedType, name: name.join("::") };
}

/**
 * A resource's URN as the mock monitor builds it (the URNs of every recorded graph and plan.json):
 * the parent's own type, not its whole chain as the engine writes it, prefixes the type. An alias
 * spec names the old parent (or type, name) rather than a URN, so the engine resolves the same
 * spec to the engine's old URN: matching the mock's URNs here proves what the engine will match.
 */
export function makeUrn(stack: string, project: string, parentUrn: string | undefined, type: string, name: string): string {
    const qualified = parentUrn ? `${parseUrn(parentUrn).qualifiedType.split("$").pop()}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * The old URNs of a resource registered as `type`/`name` under `parent`: each alias (a URN, or a
 * spec whose unset name, type, stack, project and parent are the resource's own), and, for each old
 * URN of its parent, the URN it had under that parent.
 */
export function aliasUrns(
    self: { urn: string; type: string; name: string; parent?: string },
    aliases: AliasMessage[],
    aliasUrnList: string[],
    parentAliases: string[],
): string[] {
    const { stack, project } = parseUrn(self.urn);
    const out = new Set<string>(aliasUrnList);
    for (const a of aliases) {
        if (a.hasUrn()) {
            out.add(a.getUrn());
            continue;
        }
        const spec = a.getSpec();
        if (!spec) continue;
        const parent = spec.getNoparent() ? undefined : spec.getParenturn() || self.parent;
        out.add(makeUrn(spec.getStack() || stack, spec.getProject() || project, parent, spec.getType() || self.type, spec.getName() || self.name));
    }
    for (const p of parentAliases) {
        const old = parseUrn(p);
        out.add(makeUrn(old.stack, old.project, p, self.type, self.name));
    }
    out.delete(self.urn);
    return [...out].sort();
}

/** Wraps the mock monitor so every registration (with parent, dependencies and options) is recorded in order. */
export function recordRegistrations(): RecordedResource[] {
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const resources: RecordedResource[] = [];
    const byUrn = new Map<string, RecordedResource>();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        register(req, (err, resp) => {
            if (!err && resp) {
                const propertyDependencies: Record<string, string[]> = {};
                req.getPropertydependenciesMap().forEach((deps, key) => (propertyDependencies[key] = deps.getUrnsList()));
                const provider = req.getProvider();
                const parent = req.getParent() || undefined;
                const urn = resp.getUrn();
                const rec: RecordedResource = {
                    urn,
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    id: resp.getId() || undefined,
                    parent,
                    dependencies: [...new Set(req.getDependenciesList())],
                    propertyDependencies,
                    provider: provider ? provider.split("::").slice(0, -1).join("::") : undefined,
                    protect: req.getProtect(),
                    ignoreChanges: req.getIgnorechangesList(),
                    aliases: aliasUrns({ urn, type: req.getType(), name: req.getName(), parent }, req.getAliasesList(), req.getAliasurnsList(), (parent && byUrn.get(parent)?.aliases) || []),
                    inputs: normalize(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
                    outputs: normalize(resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
                };
                resources.push(rec);
                byUrn.set(rec.urn, rec);
            }
            cb(err, resp);
        });
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
        const rec = byUrn.get(req.getUrn());
        if (rec) rec.outputs = normalize(req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
        registerOutputs(req, cb);
    };
    return resources;
}
