import { TIER_LABEL, type GraphIndex } from "./graph";
import { STACK_TYPE } from "./run";
import { redact } from "./values";

/** One resource of plan.json. */
export interface PlanResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    dependencies: string[];
    provider?: string;
    protect: boolean;
    ignoreChanges: string[];
    /** the URNs the resource had before (only when it has any: see recorder.ts) */
    aliases?: string[];
    inputs: unknown;
}

export interface Plan {
    project: string;
    stack: string;
    resources: PlanResource[];
}

/** The plan.json document: every resource with secrets replaced by "[secret]". */
export function toPlan(g: GraphIndex): Plan {
    return {
        project: g.graph.project,
        stack: g.graph.stack,
        resources: g.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            custom: r.custom,
            parent: r.parent,
            dependencies: [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()])].sort(),
            provider: r.provider,
            protect: r.protect,
            ignoreChanges: r.ignoreChanges,
            ...(r.aliases?.length ? { aliases: r.aliases } : {}),
            inputs: redact(r.inputs),
        })),
    };
}


/** The tier tree with, per tier, the resources it owns directly (not in a nested tier) and below. */
export function tierTree(g: GraphIndex): string {
    const lines: string[] = [];
    const root = g.resources.find((r) => r.type === STACK_TYPE);
    const own = (urn: string): number => g.children(urn).filter((c) => !TIER_LABEL[c.type]).reduce((n, c) => n + 1 + own(c.urn), 0);
    const walk = (urn: string, depth: number) => {
        for (const c of g.children(urn)) {
            if (!TIER_LABEL[c.type]) continue;
            const total = g.descendants(c.urn).length + 1;
            lines.push(`${"  ".repeat(depth)}${TIER_LABEL[c.type]} ${c.name}: ${own(c.urn)} own, ${total} total`);
            walk(c.urn, depth + 1);
        }
    };
    if (root) walk(root.urn, 0);
    lines.push(`total: ${g.resources.length - (root ? 1 : 0)} resources`);
    return lines.join("\n");
}
