import type { ResourceValidationPolicy } from "@pulumi/policy";
import { fromAllowedRegistry, unpinnedReason } from "./images";
import { containers, ofWorkloads, type Props } from "./util";

export const DEFAULT_ALLOWED_REGISTRIES = ["docker.io/hashicorp/", "europe-docker.pkg.dev/"];

export const imagePinned: ResourceValidationPolicy = {
    name: "container-image-pinned",
    description: "Container images are pinned by tag or digest; no `latest` and no tagless references.",
    enforcementLevel: "mandatory",
    remediationSteps: "Pin the image in `globalgrid:world.images` of the stack file (a version tag or an @sha256 digest).",
    validateResource: ofWorkloads((pod, _props, _args, report) => {
        for (const c of containers(pod.spec)) {
            const why = c.image ? unpinnedReason(String(c.image)) : "has no image";
            if (why) report(`${c.kind} "${c.name}" image "${c.image ?? ""}" ${why}`);
        }
    }),
};

export const imageRegistry: ResourceValidationPolicy = {
    name: "container-image-registry",
    description: "Container images come from an allowed registry.",
    enforcementLevel: "mandatory",
    remediationSteps: "Mirror the image into the project's Artifact Registry, or add its registry to `allowedRegistries` in policies/config/<stack>.json.",
    configSchema: {
        properties: {
            allowedRegistries: {
                type: "array",
                items: { type: "string" },
                minItems: 1,
                default: DEFAULT_ALLOWED_REGISTRIES,
                description: "registry/repository prefixes; Docker Hub short names are normalized (consul -> docker.io/library/consul)",
            },
        },
    },
    validateResource: ofWorkloads((pod, _props, args, report) => {
        const { allowedRegistries } = args.getConfig<{ allowedRegistries: string[] }>();
        for (const c of containers(pod.spec)) {
            if (c.image && !fromAllowedRegistry(String(c.image), allowedRegistries)) {
                report(`${c.kind} "${c.name}" image "${c.image}" is not from an allowed registry (${allowedRegistries.join(", ")})`);
            }
        }
    }),
};

export const resourceRequests: ResourceValidationPolicy = {
    name: "container-resources",
    description: "Every container requests CPU and memory and has a memory limit.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory (from the stack's `resources` settings).",
    validateResource: ofWorkloads((pod, _props, _args, report) => {
        for (const c of containers(pod.spec)) {
            if (c.kind === "ephemeralContainer") continue;
            const r = (c.spec.resources ?? {}) as Props;
            const missing = [
                r.requests?.cpu === undefined && "requests.cpu",
                r.requests?.memory === undefined && "requests.memory",
                r.limits?.memory === undefined && "limits.memory",
            ].filter((x): x is string => !!x);
            if (missing.length) report(`${c.kind} "${c.name}" has no resources.${missing.join(", resources.")}`);
        }
    }),
};

/** Kubernetes Pod Security "restricted" profile, as far as the manifest shows it. */
export const restrictedSecurityContext: ResourceValidationPolicy = {
    name: "container-security-context",
    description: "Pods follow the Pod Security `restricted` profile: non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set securityContext.runAsNonRoot: true and seccompProfile.type: RuntimeDefault on the pod, and allowPrivilegeEscalation: false and capabilities.drop: [ALL] on every container.",
    validateResource: ofWorkloads((pod, _props, _args, report) => {
        const podSc = (pod.spec.securityContext ?? {}) as Props;
        for (const c of containers(pod.spec)) {
            const sc = (c.spec.securityContext ?? {}) as Props;
            const problems: string[] = [];
            const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
            const uid = sc.runAsUser ?? podSc.runAsUser;
            if (nonRoot !== true || uid === 0) problems.push("runAsNonRoot is not true");
            if (sc.allowPrivilegeEscalation !== false) problems.push("allowPrivilegeEscalation is not false");
            const drop = ((sc.capabilities?.drop ?? []) as string[]).map((x) => x.toUpperCase());
            if (!drop.includes("ALL")) problems.push("capabilities.drop does not include ALL");
            const added = ((sc.capabilities?.add ?? []) as string[]).filter((x) => x.toUpperCase() !== "NET_BIND_SERVICE");
            if (added.length) problems.push(`adds capabilities ${added.join(", ")}`);
            const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
            if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") problems.push("seccompProfile is not RuntimeDefault or Localhost");
            if (problems.length) report(`${c.kind} "${c.name}": ${problems.join("; ")}`);
        }
    }),
};

export const noHostAccess: ResourceValidationPolicy = {
    name: "no-host-access",
    description: "No privileged containers, host network, host PID/IPC, host ports or hostPath volumes.",
    enforcementLevel: "mandatory",
    remediationSteps: "Remove privileged, hostNetwork, hostPID, hostIPC, hostPort and hostPath; expose ports through a Service instead of the node.",
    validateResource: ofWorkloads((pod, _props, _args, report) => {
        for (const key of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (pod.spec[key] === true) report(`pod uses ${key}`);
        }
        for (const v of (pod.spec.volumes ?? []) as Props[]) {
            if (v.hostPath) report(`volume "${v.name}" mounts hostPath ${v.hostPath.path}`);
        }
        for (const c of containers(pod.spec)) {
            if (c.spec.securityContext?.privileged === true) report(`${c.kind} "${c.name}" is privileged`);
            const hostPorts = ((c.spec.ports ?? []) as Props[]).filter((p) => p.hostPort !== undefined && p.hostPort !== 0).map((p) => p.hostPort);
            if (hostPorts.length) report(`${c.kind} "${c.name}" binds host ports ${hostPorts.join(", ")}`);
        }
    }),
};

export const containerPolicies = [imagePinned, imageRegistry, resourceRequests, restrictedSecurityContext, noHostAccess];
