import { validateResourceOfType, type ResourceValidation, type ResourceValidationArgs, type ReportViolation } from "@pulumi/policy";
import type { Resource } from "@pulumi/pulumi";

/** Loosely typed property bag: policies read plain JSON (secrets already unwrapped by the engine). */
export type Props = Record<string, any>;

/**
 * `validateResourceOfType` for a type token, without loading the provider SDK (loading @pulumi/aws
 * costs seconds per process). The pseudo class carries `__pulumiType`, which is all the helper reads,
 * so the engine's fast type filter and `notApplicable` behave exactly as with the real class.
 */
export function ofType(token: string, validate: (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>): ResourceValidation {
    const cls = class {
        static readonly __pulumiType = token;
    } as unknown as { new (name: string, args: Props): Resource };
    return validateResourceOfType(cls, (props, args, report) => validate(props as Props, args, report));
}

export const K8S_WORKLOADS = {
    pod: "kubernetes:core/v1:Pod",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    replicaSet: "kubernetes:apps/v1:ReplicaSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
} as const;
const WORKLOAD_TYPES = new Set<string>(Object.values(K8S_WORKLOADS));

export interface PodTemplate {
    labels: Record<string, string>;
    spec: Props;
}

/** The pod template of a Kubernetes workload (or the Pod itself); undefined for other types. */
export function podTemplate(type: string, props: Props): PodTemplate | undefined {
    if (!WORKLOAD_TYPES.has(type)) return undefined;
    let tpl: Props | undefined;
    if (type === K8S_WORKLOADS.pod) tpl = props;
    else if (type === K8S_WORKLOADS.cronJob) tpl = props.spec?.jobTemplate?.spec?.template;
    else tpl = props.spec?.template;
    return { labels: tpl?.metadata?.labels ?? {}, spec: tpl?.spec ?? {} };
}

/** A policy that reads the pod template of every workload type. */
export function ofWorkloads(validate: (pod: PodTemplate, props: Props, args: ResourceValidationArgs, report: ReportViolation) => void): ResourceValidation[] {
    return Object.values(K8S_WORKLOADS).map((token) =>
        ofType(token, (props, args, report) => {
            const pod = podTemplate(token, props);
            if (pod) validate(pod, props, args, report);
        }),
    );
}

export interface Container {
    name: string;
    image?: string;
    kind: "container" | "initContainer" | "ephemeralContainer";
    spec: Props;
}

export function containers(pod: Props): Container[] {
    const list = (key: string, kind: Container["kind"]) =>
        ((pod[key] as Props[] | undefined) ?? []).map((c) => ({ name: String(c.name ?? "?"), image: c.image ?? c.Image, kind, spec: c }));
    return [...list("containers", "container"), ...list("initContainers", "initContainer"), ...list("ephemeralContainers", "ephemeralContainer")];
}

/** `<Kind> "<name>"` for messages, from a type token and props. */
export function describe(type: string, props: Props): string {
    const kind = type.split(":").pop() ?? type;
    const name = props.metadata?.name ?? props.name;
    return name ? `${kind} "${name}"` : kind;
}

export const namespaceOf = (props: Props): string => props.metadata?.namespace ?? "default";

/** Last path segment of an id or self link: `projects/p/topics/jobs` -> `jobs`. */
export const lastSegment = (ref: unknown): string => String(ref ?? "").split("/").pop() ?? "";

/** Every value of a label-selector's matchLabels is present in `labels`. */
export function selects(selector: Props | undefined, labels: Record<string, string>): boolean {
    const match = (selector?.matchLabels ?? {}) as Record<string, string>;
    const exprs = (selector?.matchExpressions ?? []) as Props[];
    if (Object.keys(match).length === 0 && exprs.length === 0) return false;
    const okLabels = Object.entries(match).every(([k, v]) => labels[k] === v);
    const okExprs = exprs.every((e) => {
        const v = labels[e.key];
        switch (e.operator) {
            case "In":
                return v !== undefined && (e.values ?? []).includes(v);
            case "NotIn":
                return v === undefined || !(e.values ?? []).includes(v);
            case "Exists":
                return v !== undefined;
            case "DoesNotExist":
                return v === undefined;
            default:
                return false;
        }
    });
    return okLabels && okExprs;
}
