import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { CONSUL_MIN_SERVERS, consulQuorumProblem } from "./consul-quorum";
import { parseImage } from "./images";
import { clusterOf } from "./untrusted";
import { containers, describe, K8S_WORKLOADS, namespaceOf, ofType, podTemplate, selects, type Props } from "./util";

const STATEFUL_SET = K8S_WORKLOADS.statefulSet;
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

/** A StatefulSet that runs the Consul agent image (the servers; consul-dataplane is not Consul). */
export function isConsulServer(type: string, props: Props): boolean {
    const pod = podTemplate(type, props);
    if (type !== STATEFUL_SET || !pod) return false;
    return containers(pod.spec).some((c) => c.image !== undefined && /(^|\/)consul$/.test(parseImage(String(c.image)).repository));
}

const consulOnly = (validate: (props: Props, report: (m: string) => void, cfg: Props) => void) =>
    ofType(STATEFUL_SET, (props, args, report) => {
        if (!isConsulServer(STATEFUL_SET, props)) args.notApplicable("not a Consul server StatefulSet");
        validate(props, (m) => report(m), args.getConfig<Props>());
    });

export const consulReplicas: ResourceValidationPolicy = {
    name: "consul-replicas",
    description: "Consul servers run an odd number of replicas, at least three, so the Raft quorum survives a lost server.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set `consul.replicas` of the region in the stack file to 3, 5 or 7.",
    configSchema: { properties: { minReplicas: { type: "integer", minimum: 1, default: CONSUL_MIN_SERVERS.prod, description: "smallest allowed Consul server count (staging: CONSUL_MIN_SERVERS.staging)" } } },
    validateResource: consulOnly((props, report, cfg) => {
        const replicas = props.spec?.replicas ?? 1;
        if (consulQuorumProblem(replicas, cfg.minReplicas)) report(`Consul runs ${replicas} server replicas; use an odd number >= ${cfg.minReplicas}`);
    }),
};

export const consulAntiAffinity: ResourceValidationPolicy = {
    name: "consul-anti-affinity",
    description: "Consul server pods have required pod anti-affinity by host, so no node holds two servers.",
    enforcementLevel: "mandatory",
    remediationSteps: "Add a requiredDuringSchedulingIgnoredDuringExecution podAntiAffinity term with topologyKey kubernetes.io/hostname selecting the server pods.",
    validateResource: consulOnly((props, report) => {
        const pod = podTemplate(STATEFUL_SET, props)!;
        const terms = (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) as Props[];
        const ok = terms.some((t) => t.topologyKey === "kubernetes.io/hostname" && selects(t.labelSelector, pod.labels));
        if (!ok) report("Consul servers have no required pod anti-affinity on kubernetes.io/hostname selecting their own pods");
    }),
};

const GOSSIP_ENV = /GOSSIP|ENCRYPT/i;

export const consulGossipKey: ResourceValidationPolicy = {
    name: "consul-gossip-key-secret",
    description: "The Consul gossip encryption key comes from a Kubernetes Secret reference, never a literal in the manifest.",
    enforcementLevel: "mandatory",
    remediationSteps: "Keep the key (generated with @pulumi/random, a Pulumi secret) in a Kubernetes Secret and read it with env valueFrom.secretKeyRef or a Secret volume.",
    validateResource: consulOnly((props, report) => {
        const pod = podTemplate(STATEFUL_SET, props)!;
        const secretVolumes = ((pod.spec.volumes ?? []) as Props[]).filter(
            (v) => v.secret || ((v.projected?.sources ?? []) as Props[]).some((s) => s.secret),
        );
        let fromSecret = secretVolumes.some((v) => /gossip|encrypt/i.test(JSON.stringify(v)));
        for (const c of containers(pod.spec)) {
            for (const e of (c.spec.env ?? []) as Props[]) {
                if (!GOSSIP_ENV.test(String(e.name))) continue;
                if (e.valueFrom?.secretKeyRef) fromSecret = true;
                else if (e.value !== undefined) report(`${c.kind} "${c.name}" sets ${e.name} to a literal value`);
            }
            for (const a of [...((c.spec.args ?? []) as string[]), ...((c.spec.command ?? []) as string[])]) {
                const m = /-encrypt[= ]+(\S+)/.exec(String(a));
                if (m && !/^["']?\$\(/.test(m[1])) report(`${c.kind} "${c.name}" passes a literal -encrypt key`);
            }
        }
        if (!fromSecret) report("Consul servers read no gossip key from a Secret (env secretKeyRef or a Secret volume)");
    }),
};

export const consulPdb: StackValidationPolicy = {
    name: "consul-pdb",
    description: "Every Consul server StatefulSet has a PodDisruptionBudget in its namespace and cluster that selects its pods.",
    enforcementLevel: "mandatory",
    remediationSteps: "Add a policy/v1 PodDisruptionBudget (maxUnavailable: 1) whose selector matches the server pod labels.",
    validateStack: (args, report) => {
        const pdbs = args.resources.filter((r) => r.type === PDB);
        for (const sts of args.resources.filter((r) => isConsulServer(r.type, r.props))) {
            const labels = podTemplate(sts.type, sts.props)!.labels;
            const ok = pdbs.some(
                (p) => clusterOf(p) === clusterOf(sts) && namespaceOf(p.props) === namespaceOf(sts.props) && selects(p.props.spec?.selector, labels),
            );
            if (!ok) report(`${describe(sts.type, sts.props)} has no PodDisruptionBudget selecting its pods`, sts.urn);
        }
    },
};

/** Every piece of configuration text the Consul servers load: args, env, mounted ConfigMaps and Secrets. */
function consulConfigText(sts: PolicyResource, all: PolicyResource[]): string[] {
    const pod = podTemplate(sts.type, sts.props)!;
    const parts: string[] = [];
    for (const c of containers(pod.spec)) {
        parts.push(...((c.spec.args ?? []) as string[]), ...((c.spec.command ?? []) as string[]));
        for (const e of (c.spec.env ?? []) as Props[]) if (e.value !== undefined) parts.push(String(e.value));
    }
    const names = new Set<string>();
    for (const v of (pod.spec.volumes ?? []) as Props[]) {
        if (v.configMap) names.add(`ConfigMap/${v.configMap.name}`);
        if (v.secret) names.add(`Secret/${v.secret.secretName}`);
        for (const s of (v.projected?.sources ?? []) as Props[]) {
            if (s.configMap) names.add(`ConfigMap/${s.configMap.name}`);
            if (s.secret) names.add(`Secret/${s.secret.name}`);
        }
    }
    for (const r of all) {
        const kind = r.type === "kubernetes:core/v1:ConfigMap" ? "ConfigMap" : r.type === "kubernetes:core/v1:Secret" ? "Secret" : undefined;
        if (!kind || clusterOf(r) !== clusterOf(sts) || namespaceOf(r.props) !== namespaceOf(sts.props) || !names.has(`${kind}/${r.props.metadata?.name}`)) continue;
        parts.push(...Object.values((r.props.data ?? {}) as Record<string, string>).map((v) => (kind === "Secret" ? Buffer.from(String(v), "base64").toString("utf8") : String(v))));
        parts.push(...Object.values((r.props.stringData ?? {}) as Record<string, string>).map(String));
    }
    return parts;
}

/**
 * The TLS verification settings Consul ends up with, merging its JSON config files (later wins, like
 * Consul) and reading HCL `key = value` lines: the `tls.defaults` / `tls.internal_rpc` stanzas or the
 * legacy top-level keys. The HTTPS and gRPC listeners may relax verify_incoming (the mTLS load balancer
 * checks client certificates in front of them); server-to-server RPC may not.
 */
export function tlsVerification(texts: string[]): Record<"verify_incoming" | "verify_outgoing" | "verify_server_hostname", boolean> {
    const seen: Record<string, unknown> = {};
    const set = (k: string, v: unknown) => v !== undefined && (seen[k] = v);
    for (const t of texts) {
        let doc: Props | undefined;
        try {
            const parsed = JSON.parse(t) as unknown;
            if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) doc = parsed as Props;
        } catch {
            for (const m of t.matchAll(/\b(verify_incoming|verify_outgoing|verify_server_hostname)\s*=\s*(true|false)/g)) set(m[1], m[2] === "true");
        }
        if (!doc) continue;
        for (const k of ["verify_incoming", "verify_outgoing", "verify_server_hostname"]) set(k, doc[k]);
        set("verify_incoming", doc.tls?.defaults?.verify_incoming);
        set("verify_outgoing", doc.tls?.defaults?.verify_outgoing);
        set("rpc_verify_incoming", doc.tls?.internal_rpc?.verify_incoming);
        set("verify_server_hostname", doc.tls?.internal_rpc?.verify_server_hostname);
    }
    return {
        verify_incoming: (seen.rpc_verify_incoming ?? seen.verify_incoming) === true,
        verify_outgoing: seen.verify_outgoing === true,
        verify_server_hostname: seen.verify_server_hostname === true,
    };
}

export const consulTlsVerify: StackValidationPolicy = {
    name: "consul-tls-verify",
    description: "Consul servers verify TLS: incoming RPC needs a valid client certificate, outgoing connections and server hostnames are verified.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set tls.defaults.verify_incoming and verify_outgoing and tls.internal_rpc.verify_server_hostname to true in the server configuration (ConfigMap, Secret or -hcl args).",
    validateStack: (args, report) => {
        for (const sts of args.resources.filter((r) => isConsulServer(r.type, r.props))) {
            const on = tlsVerification(consulConfigText(sts, args.resources));
            const missing = Object.entries(on).filter(([, v]) => !v).map(([k]) => k);
            if (missing.length) report(`${describe(sts.type, sts.props)} does not turn on ${missing.join(", ")}`, sts.urn);
        }
    },
};

export const consulPolicies = [consulReplicas, consulAntiAffinity, consulGossipKey, consulPdb, consulTlsVerify];
