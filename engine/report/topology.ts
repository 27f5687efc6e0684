/**
 * The topology picture: global > continents > regions > data centers as nested Graphviz clusters, with
 * each tier's Kubernetes clusters, the Consul datacenters, job queues with their dead-letter topics,
 * load balancers and the data centers they serve. Everything is derived from the resource types
 * present, so a graph without (say) load balancers still renders. SVG by Graphviz compiled to
 * WebAssembly (@viz-js/viz), PNG by resvg with a font shipped in node_modules (no system fonts).
 */
import * as path from "path";
import type { GraphIndex } from "../graph";
import type { RecordedResource } from "../recorder";
import { at } from "../values";

const TIER = {
    global: "globalgrid:tier:Global",
    continent: "globalgrid:tier:Continent",
    region: "globalgrid:tier:Region",
    dc: "globalgrid:tier:DataCenter",
};
const CLUSTERS: Record<string, string> = { "gcp:container/cluster:Cluster": "GKE", "aws:eks/cluster:Cluster": "EKS" };
const POOLS = ["gcp:container/nodePool:NodePool", "aws:eks/nodeGroup:NodeGroup"];
const TOPIC = "gcp:pubsub/topic:Topic";
const SUBSCRIPTION = "gcp:pubsub/subscription:Subscription";
/** The resource that is "the load balancer" people talk about, per cloud. */
const LOAD_BALANCERS = [
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:alb/loadBalancer:LoadBalancer",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule",
    "gcp:compute/forwardingRule:ForwardingRule",
];
const MTLS = ["gcp:networksecurity/serverTlsPolicy:ServerTlsPolicy", "aws:lb/trustStore:TrustStore"];
const SINGLETONS: Record<string, string> = {
    "tls:index/selfSignedCert:SelfSignedCert": "root CA",
    "gcp:dns/managedZone:ManagedZone": "DNS zone",
    "aws:route53/zone:Zone": "DNS zone",
    "gcp:artifactregistry/repository:Repository": "image registry",
};

const physical = (r: RecordedResource): string => {
    const n = r.inputs.name ?? r.inputs.dnsName;
    return typeof n === "string" ? n : r.name;
};
const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** The DOT source of the picture. */
export function topologyDot(g: GraphIndex): string {
    const ids = new Map<string, string>();
    const id = (urn: string) => {
        if (!ids.has(urn)) ids.set(urn, `n${ids.size}`);
        return ids.get(urn) as string;
    };
    const nearestTier = (r: RecordedResource) => g.tierPath(r).at(-1)?.urn;
    const own = new Map<string, RecordedResource[]>();
    for (const r of g.resources) {
        const t = nearestTier(r);
        if (t && t !== r.urn) own.set(t, [...(own.get(t) ?? []), r]);
    }
    const ownOf = (tier: RecordedResource, types: string[]) => (own.get(tier.urn) ?? []).filter((r) => types.includes(r.type));
    const lines: string[] = [];
    const edges: string[] = [];
    const mainCluster = new Map<string, string>();
    const node = (r: RecordedResource, label: string, style: string, indent: string) => lines.push(`${indent}${id(r.urn)} [label="${esc(label)}", ${style}];`);

    const clusterNodes = (tier: RecordedResource, role: string, indent: string) => {
        for (const c of ownOf(tier, Object.keys(CLUSTERS))) {
            const pools = ownOf(tier, POOLS).filter((p) => p.dependencies.includes(c.urn) || Object.values(p.propertyDependencies).flat().includes(c.urn));
            const poolText = pools.length ? `\n${pools.length} node pool${pools.length > 1 ? "s" : ""}` : "";
            node(c, `${role} cluster (${CLUSTERS[c.type]})\n${physical(c)}${poolText}`, 'shape=box3d, style=filled, fillcolor="#dbeafe"', indent);
            // invisible edges only order the layout: each tier's cluster left of the tier below
            const above = g.tierPath(tier).slice(0, -1).map((t) => mainCluster.get(t.urn)).filter(Boolean).at(-1);
            if (above) edges.push(`${id(above)} -> ${id(c.urn)} [style=invis];`);
            if (!mainCluster.has(tier.urn)) mainCluster.set(tier.urn, c.urn);
        }
    };

    const regionNodes = (region: RecordedResource, indent: string): RecordedResource[] => {
        const below = g.descendants(region.urn);
        const notInDc = below.filter((r) => g.tierPath(r).at(-1)?.urn === region.urn);
        clusterNodes(region, "data-plane", indent);
        // Consul datacenter: the Consul server StatefulSet(s) of the region
        for (const s of notInDc.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet" && /consul/i.test(JSON.stringify(at(r.inputs, "metadata") ?? r.name)))) {
            const replicas = at(s.inputs, "spec.replicas");
            node(s, `Consul datacenter ${region.name}\n${typeof replicas === "number" ? `${replicas} server${replicas === 1 ? "" : "s"}` : physical(s)}`, 'shape=cylinder, style=filled, fillcolor="#fce7f3"', indent);
            const host = s.provider && g.byUrn.get(s.provider);
            const hostCluster = host && [...host.dependencies].map((u) => g.byUrn.get(u)).find((d) => d && CLUSTERS[d.type]);
            if (hostCluster) edges.push(`${id(hostCluster.urn)} -> ${id(s.urn)} [style=dotted, arrowhead=none, label="hosts", fontsize=9];`);
        }
        // job queues: topic -> subscription -(dead letters)-> DLQ topic -> its subscription
        const subs = notInDc.filter((r) => r.type === SUBSCRIPTION);
        const topics = notInDc.filter((r) => r.type === TOPIC);
        const deps = (r: RecordedResource, key: string) => r.propertyDependencies[key] ?? [];
        const dlqTopics = new Set(subs.flatMap((s) => deps(s, "deadLetterPolicy")));
        for (const t of topics) {
            const isDlq = dlqTopics.has(t.urn);
            const tSubs = subs.filter((s) => deps(s, "topic").includes(t.urn));
            const subText = tSubs.map((s) => `sub ${physical(s)}`).join("\n");
            node(t, `${isDlq ? "dead-letter topic" : "job topic"}\n${physical(t)}${subText ? `\n${subText}` : ""}`, `shape=note, style=filled, fillcolor="${isDlq ? "#fee2e2" : "#fef9c3"}"`, indent);
        }
        for (const s of subs) {
            const from = topics.find((t) => deps(s, "topic").includes(t.urn));
            for (const d of deps(s, "deadLetterPolicy").filter((u) => topics.some((t) => t.urn === u))) {
                const attempts = at(s.inputs, "deadLetterPolicy.maxDeliveryAttempts");
                if (from) edges.push(`${id(from.urn)} -> ${id(d)} [label="dead letters${typeof attempts === "number" ? ` after ${attempts}` : ""}", color="#b91c1c", fontsize=9];`);
            }
        }
        const lbs = notInDc.filter((r) => LOAD_BALANCERS.includes(r.type));
        const mtls = below.some((r) => MTLS.includes(r.type));
        for (const lb of lbs) node(lb, `${mtls ? "mTLS " : ""}load balancer\n${physical(lb)}`, 'shape=invhouse, style=filled, fillcolor="#dcfce7"', indent);
        return lbs;
    };

    /** A data center is one node: its name, zone and sandboxed pools. */
    const dataCenterNode = (dc: RecordedResource, indent: string) => {
        const pools = (own.get(dc.urn) ?? []).filter((r) => POOLS.includes(r.type));
        const names = pools.map((p) => physical(p).replace(/^.*?-(warm-pool|job-grid)$/, "$1"));
        const zone = pools.map((p) => at(p.inputs, "nodeLocations")).find((z): z is string[] => Array.isArray(z))?.[0];
        const label = `data center ${dc.name}${zone ? `\nzone ${zone}` : ""}${names.length ? `\npools: ${names.join(", ")}` : ""}`;
        node(dc, label, 'shape=box, style="rounded,filled", fillcolor="#f1f5f9"', indent);
        const cluster = dc.parent && mainCluster.get(dc.parent);
        if (cluster) edges.push(`${id(cluster)} -> ${id(dc.urn)} [style=invis];`);
    };

    const walk = (tier: RecordedResource, indent: string) => {
        if (tier.type === TIER.dc) return dataCenterNode(tier, indent);
        const kind = tier.type === TIER.global ? "global" : tier.type === TIER.continent ? "continent" : "region";
        lines.push(`${indent}subgraph cluster_${id(tier.urn)} {`);
        const inner = indent + "  ";
        const title = kind === "global" && tier.name === "global" ? "global" : `${kind} ${tier.name}`;
        lines.push(`${inner}label="${esc(title)}"; style="rounded"; fontsize=${{ global: 20, continent: 17, region: 15 }[kind]};`);
        if (tier.type === TIER.global || tier.type === TIER.continent) {
            clusterNodes(tier, tier.type === TIER.global ? "global" : "control-plane", inner);
            for (const r of own.get(tier.urn) ?? []) if (SINGLETONS[r.type]) node(r, `${SINGLETONS[r.type]}\n${physical(r)}`, 'shape=component, style=filled, fillcolor="#ede9fe"', inner);
        }
        const lbs = tier.type === TIER.region ? regionNodes(tier, inner) : [];
        for (const c of g.children(tier.urn).filter((x) => Object.values(TIER).includes(x.type))) walk(c, inner);
        for (const lb of lbs) for (const dc of g.children(tier.urn).filter((x) => x.type === TIER.dc)) edges.push(`${id(lb.urn)} -> ${id(dc.urn)} [style=dashed, color="#15803d", label="serves", fontsize=9];`);
        lines.push(`${indent}}`);
    };

    const globals = g.ofType(TIER.global);
    for (const t of globals) walk(t, "  ");
    return [
        "digraph topology {",
        `  graph [fontname="Helvetica", rankdir=LR, compound=true, newrank=true, nodesep=0.25, ranksep=0.45, label="${esc(`globalgrid ${g.graph.stack}`)}", labelloc=t, fontsize=24];`,
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica"];',
        ...lines,
        ...edges.map((e) => `  ${e}`),
        "}",
    ].join("\n") + "\n";
}

interface Viz {
    renderString(dot: string, opts: { format: "svg" }): string;
}
let viz: Promise<Viz> | undefined;

export async function topologySvg(dot: string): Promise<string> {
    viz ??= (require("@viz-js/viz") as { instance(): Promise<Viz> }).instance();
    return (await viz).renderString(dot, { format: "svg" });
}

const FONT_DIR = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");

/** Rasterizes the SVG with the DejaVu fonts from node_modules only, so the PNG is the same on every machine. */
export function topologyPng(svg: string, zoom = 1.5): Buffer {
    const { Resvg } = require("@resvg/resvg-js") as typeof import("@resvg/resvg-js");
    const family = "DejaVu Sans Condensed";
    const r = new Resvg(svg, {
        background: "white",
        fitTo: { mode: "zoom", value: zoom },
        font: {
            loadSystemFonts: false,
            fontFiles: ["DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"].map((f) => path.join(FONT_DIR, f)),
            defaultFontFamily: family,
            sansSerifFamily: family,
            serifFamily: family,
        },
    });
    return r.render().asPng();
}
