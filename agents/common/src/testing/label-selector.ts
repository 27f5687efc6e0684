/**
 * The Kubernetes label-selector string syntax (`labelSelector=` query parameter), as the API
 * server parses it (k8s.io/apimachinery/pkg/labels/selector.go): comma-separated requirements,
 * each `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists) or `!k` (does not exist).
 * `k!=v` and `notin` also match objects without the label, as documented in
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 */
export type Labels = Record<string, string>;
export type Requirement = (labels: Labels) => boolean;

/** Splits on commas that are not inside a `( ... )` value set. */
function splitTop(selector: string): string[] {
    const parts: string[] = [];
    let depth = 0;
    let current = "";
    for (const ch of selector) {
        if (ch === "(") depth++;
        if (ch === ")") depth--;
        if (ch === "," && depth === 0) {
            parts.push(current);
            current = "";
        } else {
            current += ch;
        }
    }
    if (current.trim() !== "") parts.push(current);
    return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function parseRequirement(text: string): Requirement {
    let m = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
    if (m) {
        const [, key, op, list] = m;
        const values = new Set(list.split(",").map((v) => v.trim()).filter((v) => v !== ""));
        return op === "in"
            ? (l) => key in l && values.has(l[key])
            : (l) => !(key in l) || !values.has(l[key]);
    }
    m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(text);
    if (m) {
        const [, key, op, value] = m;
        return op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    m = /^!\s*([^\s!=(),]+)$/.exec(text);
    if (m) {
        const key = m[1];
        return (l) => !(key in l);
    }
    m = /^([^\s!=(),]+)$/.exec(text);
    if (m) {
        const key = m[1];
        return (l) => key in l;
    }
    throw new Error(`unable to parse requirement: ${JSON.stringify(text)}`);
}

/** A predicate for the selector; an empty selector matches everything. Throws on bad syntax. */
export function parseLabelSelector(selector: string | undefined): Requirement {
    if (!selector) return () => true;
    const requirements = splitTop(selector).map(parseRequirement);
    return (labels) => requirements.every((r) => r(labels));
}

/** `spec.selector.matchLabels` as the selector string that `Scale.status.selector` reports. */
export function matchLabelsToSelector(matchLabels: Labels): string {
    return Object.keys(matchLabels)
        .sort()
        .map((k) => `${k}=${matchLabels[k]}`)
        .join(",");
}
