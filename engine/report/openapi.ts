/**
 * Validates manifests against the Kubernetes OpenAPI schemas shipped by kubernetes-models: an invalid
 * object is reported with its file and the field that is wrong.
 */
import type { Manifest } from "./manifests";

export interface SchemaError {
    file: string;
    /** dotted field path, e.g. spec.template.spec.containers[0].name */
    field: string;
    message: string;
}

export interface OpenApiResult {
    errors: SchemaError[];
    /** files whose kind has no schema in kubernetes-models (custom resources): not validated */
    unvalidated: string[];
}

interface AjvError {
    instancePath?: string;
    message?: string;
    params?: { missingProperty?: string; additionalProperty?: string };
}
type ModelClass = new (data: unknown) => { validate(): void };

/** `/spec/containers/0/name` -> `spec.containers[0].name` */
function fieldOf(e: AjvError): string {
    const parts = (e.instancePath ?? "").split("/").filter(Boolean).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    const extra = e.params?.missingProperty ?? e.params?.additionalProperty;
    if (extra) parts.push(extra);
    return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "") || "(object)";
}

const models = new Map<string, ModelClass | undefined>();

/** The kubernetes-models class of apiVersion+kind (`apps/v1` `Deployment` -> kubernetes-models/apps/v1/Deployment). */
export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
    const key = `${apiVersion}/${kind}`;
    if (!models.has(key)) {
        let cls: ModelClass | undefined;
        if (/^[a-z0-9.]+(\/[a-z0-9]+)?$/.test(apiVersion) && /^[A-Za-z0-9]+$/.test(kind)) {
            try {
                cls = (require(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, ModelClass>)[kind];
            } catch {
                cls = undefined;
            }
        }
        models.set(key, cls);
    }
    return models.get(key);
}

/** Validates one object; returns its errors (empty when valid), or undefined when no schema is known. */
export function validateObject(file: string, apiVersion: string, kind: string, object: unknown): SchemaError[] | undefined {
    const Model = modelFor(apiVersion, kind);
    if (!Model) return undefined;
    // the API server needs a name; the schema alone does not require one
    const name = (object as { metadata?: { name?: unknown } }).metadata?.name;
    const named: SchemaError[] = typeof name === "string" && name ? [] : [{ file, field: "metadata.name", message: "must be a non-empty string" }];
    try {
        new Model(object).validate();
        return named;
    } catch (e) {
        const errs = (e as { errors?: AjvError[] }).errors;
        if (!errs?.length) return [...named, { file, field: "(object)", message: (e as Error).message }];
        return [...named, ...errs.map((x) => ({ file, field: fieldOf(x), message: x.message ?? "invalid" }))];
    }
}

export function validateManifests(manifests: Manifest[]): OpenApiResult {
    const errors: SchemaError[] = [];
    const unvalidated: string[] = [];
    for (const m of manifests) {
        const errs = validateObject(m.file, m.apiVersion, m.kind, m.object);
        if (!errs) unvalidated.push(m.file);
        else errors.push(...errs);
    }
    return { errors, unvalidated };
}
