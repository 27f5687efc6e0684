/**
 * The two patch formats the fake API server applies: JSON Merge Patch (RFC 7386) and JSON Patch
 * (RFC 6902). A strategic merge patch is applied as a merge patch, which is what the API server
 * does for the fields the agents patch (`metadata.labels`, `spec.replicas`: maps and scalars have no
 * patch strategy, see https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/).
 */

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
    if (!isObject(patch)) return structuredClone(patch);
    const out: Record<string, Json> = isObject(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k];
        else out[k] = mergePatch(out[k], v);
    }
    return out;
}

/** A JSON Patch operation failed; `test` failures are distinguished (the API server reports them differently). */
export class JsonPatchError extends Error {
    constructor(
        message: string,
        readonly testFailed = false,
    ) {
        super(message);
    }
}

interface Operation {
    op: "add" | "remove" | "replace" | "move" | "copy" | "test";
    path: string;
    value?: Json;
    from?: string;
}

/** RFC 6901 pointer tokens (`~1` is `/`, `~0` is `~`). */
function tokens(pointer: string): string[] {
    if (pointer === "") return [];
    if (!pointer.startsWith("/")) throw new JsonPatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
    return pointer
        .slice(1)
        .split("/")
        .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: Json, pointer: string): { parent: Record<string, Json> | Json[]; key: string } {
    const ts = tokens(pointer);
    if (ts.length === 0) throw new JsonPatchError("cannot address the document root");
    let node: Json = doc;
    for (const t of ts.slice(0, -1)) {
        if (Array.isArray(node)) node = node[Number(t)];
        else if (isObject(node)) node = node[t];
        else node = undefined;
        if (node === undefined) throw new JsonPatchError(`path ${pointer}: missing ${t}`);
    }
    if (!Array.isArray(node) && !isObject(node)) throw new JsonPatchError(`path ${pointer}: parent is not a container`);
    return { parent: node, key: ts[ts.length - 1] };
}

function get(doc: Json, pointer: string): Json {
    let node: Json = doc;
    for (const t of tokens(pointer)) {
        if (Array.isArray(node)) node = node[Number(t)];
        else if (isObject(node)) node = node[t];
        else return undefined;
    }
    return node;
}

function add(doc: Json, pointer: string, value: Json): void {
    const { parent, key } = parentOf(doc, pointer);
    if (Array.isArray(parent)) {
        const i = key === "-" ? parent.length : Number(key);
        if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new JsonPatchError(`path ${pointer}: bad index`);
        parent.splice(i, 0, value);
    } else {
        parent[key] = value;
    }
}

function remove(doc: Json, pointer: string): void {
    const { parent, key } = parentOf(doc, pointer);
    if (Array.isArray(parent)) {
        const i = Number(key);
        if (!(i >= 0 && i < parent.length)) throw new JsonPatchError(`path ${pointer}: bad index`);
        parent.splice(i, 1);
    } else {
        if (!(key in parent)) throw new JsonPatchError(`path ${pointer}: missing ${key}`);
        delete parent[key];
    }
}

/** Applies the operations in order to a copy of `target`; any failing operation fails the whole patch. */
export function jsonPatch(target: Json, operations: Json): Json {
    if (!Array.isArray(operations)) throw new JsonPatchError("a JSON patch is an array of operations");
    const doc = structuredClone(target);
    for (const raw of operations as Operation[]) {
        const value = structuredClone(raw.value);
        switch (raw.op) {
            case "add":
                add(doc, raw.path, value);
                break;
            case "remove":
                remove(doc, raw.path);
                break;
            case "replace":
                remove(doc, raw.path);
                add(doc, raw.path, value);
                break;
            case "move": {
                const v = get(doc, raw.from ?? "");
                remove(doc, raw.from ?? "");
                add(doc, raw.path, v);
                break;
            }
            case "copy":
                add(doc, raw.path, structuredClone(get(doc, raw.from ?? "")));
                break;
            case "test":
                if (JSON.stringify(get(doc, raw.path)) !== JSON.stringify(value)) {
                    throw new JsonPatchError(`testing value ${raw.path} failed`, true);
                }
                break;
            default:
                throw new JsonPatchError(`unknown operation ${JSON.stringify((raw as { op: unknown }).op)}`);
        }
    }
    return doc;
}
