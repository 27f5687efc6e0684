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
    inputs: Record<string, unknown>;
    /** provider state for custom resources; registered outputs for components */
    outputs: Record<string, unknown>;
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
                const rec: RecordedResource = {
                    urn: resp.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    id: resp.getId() || undefined,
                    parent: req.getParent() || undefined,
                    dependencies: [...new Set(req.getDependenciesList())],
                    propertyDependencies,
                    provider: provider ? provider.split("::").slice(0, -1).join("::") : undefined,
                    protect: req.getProtect(),
                    ignoreChanges: req.getIgnorechangesList(),
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
