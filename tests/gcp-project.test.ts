import { strict as assert } from "assert";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions } from "../components/config/model";
import { Names } from "../components/naming";
import { NAT_MIN_PORTS_PER_VM, NAT_PORTS_PER_ADDRESS } from "../components/network/cloud-nat";
import type { GraphIndex } from "../engine/graph";
import type { RecordedResource } from "../engine/recorder";
import { at } from "../engine/values";
import { STACKS, stackGraph } from "./support/stacks";
import { worldOf } from "./support/world-variants";

const SERVICE = "gcp:projects/service:Service";
const POOL = "gcp:container/nodePool:NodePool";
const CLUSTER = "gcp:container/cluster:Cluster";

/** What a fresh project must have on, at least. */
const REQUIRED_APIS = [
    "container",
    "compute",
    "pubsub",
    "monitoring",
    "dns",
    "certificatemanager",
    "networksecurity",
    "artifactregistry",
    "iam",
    "iamcredentials",
    "sts",
    "cloudresourcemanager",
    "serviceusage",
    "binaryauthorization",
    "logging",
    "storage",
];

/** The API each gcp resource type of the program is served by (written independently of the policy). */
function apisOf(r: RecordedResource): string[] {
    const [, mod, kind] = /^gcp:([a-z]+)\/([^:]+):/i.exec(r.type) ?? [];
    if (r.type === CLUSTER) return ["container", "compute", "binaryauthorization", "logging", "monitoring"];
    if (r.type === POOL) return ["container", "compute"];
    if (r.type === "gcp:projects/iAMMember:IAMMember") return ["cloudresourcemanager"];
    if (r.type === "gcp:projects/serviceIdentity:ServiceIdentity") return ["serviceusage", "pubsub"];
    if (mod === "iam" && kind.startsWith("workloadIdentityPool")) return ["iam", "sts"];
    const byModule: Record<string, string> = {
        compute: "compute",
        pubsub: "pubsub",
        monitoring: "monitoring",
        dns: "dns",
        certificatemanager: "certificatemanager",
        networksecurity: "networksecurity",
        artifactregistry: "artifactregistry",
        serviceaccount: "iam",
        storage: "storage",
    };
    const api = byModule[mod];
    assert.ok(api, `the test knows no API for ${r.type}`);
    return [api];
}

/** Services r waits for: its own dependencies and its ancestors' (children register after their parent). */
function servicesBefore(g: GraphIndex, r: RecordedResource): Set<string> {
    const out = new Set<string>();
    for (const x of [r, ...g.ancestors(r)]) {
        for (const urn of x.dependencies) {
            const d = g.byUrn.get(urn);
            if (d?.type === SERVICE) out.add(String(d.inputs.service));
        }
    }
    return out;
}

describe("a fresh GCP project", () => {
    for (const stack of STACKS) {
        describe(stack, () => {
            const world = parseWorld(worldOf(stack));
            const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);

            it("enables every API the program calls, owned by the global tier, never disabled on destroy", async () => {
                const g = await stackGraph(stack);
                const global = g.ofType("globalgrid:tier:Global")[0];
                const services = g.ofType(SERVICE);
                for (const api of REQUIRED_APIS) {
                    const s = services.find((x) => x.inputs.service === `${api}.googleapis.com`);
                    assert.ok(s, `${api}.googleapis.com is declared`);
                    assert.equal(s.parent, global.urn, `${api} belongs to the global tier`);
                    assert.equal(s.inputs.project, world.gcpProject);
                    assert.equal(s.inputs.disableOnDestroy, false, `${api} disableOnDestroy`);
                    assert.equal(s.inputs.disableDependentServices, false, `${api} disableDependentServices`);
                }
            });

            it("creates every gcp resource after the services that serve it (directly or through a parent)", async () => {
                const g = await stackGraph(stack);
                const gcp = g.resources.filter((r) => r.type.startsWith("gcp:") && r.type !== SERVICE);
                assert.ok(gcp.length > 100, `${gcp.length} gcp resources`);
                const missing: string[] = [];
                for (const r of gcp) {
                    const before = servicesBefore(g, r);
                    for (const api of apisOf(r)) if (!before.has(`${api}.googleapis.com`)) missing.push(`${r.type} ${r.name} before ${api}`);
                }
                assert.deepEqual(missing, []);
            });

            it("grants GKE workload principals only after the region's cluster (which creates the project's workload pool)", async () => {
                const g = await stackGraph(stack);
                const principals = g.resources.filter((r) => /IAMMember$/.test(r.type) && String(r.inputs.member).includes(".svc.id.goog/"));
                assert.ok(principals.length > 0);
                for (const m of principals) {
                    const region = g.regionOf(m)!;
                    const cluster = g.get(CLUSTER, `${region}-dp`);
                    const waits = [m, ...g.ancestors(m)].some((x) => x.dependencies.includes(cluster.urn));
                    assert.ok(waits, `${m.name} waits for ${cluster.name}`);
                }
            });

            it("gives every GKE cluster its own node service account, used by all its pools, with least-privilege grants", async () => {
                const g = await stackGraph(stack);
                const registry = g.get("gcp:artifactregistry/repository:Repository", "registry");
                const clusters = g.ofType(CLUSTER);
                const accounts = new Set<string>();
                for (const c of clusters) {
                    const accountId = names.nodeServiceAccount(String(c.inputs.name));
                    const sa = g.ofType("gcp:serviceaccount/account:Account").find((a) => a.inputs.accountId === accountId);
                    assert.ok(sa, `${c.name}: node account ${accountId}`);
                    assert.equal(sa.parent, c.parent, `${sa.name} lives beside its cluster`);
                    assert.equal(sa.protect, c.protect, `${sa.name} is protected like its cluster (its pools cannot change account in place)`);
                    const email = String(sa.outputs.email);
                    accounts.add(email);
                    const member = `serviceAccount:${email}`;
                    const roles = g.ofType("gcp:projects/iAMMember:IAMMember").filter((m) => m.inputs.member === member);
                    assert.deepEqual(roles.map((m) => m.inputs.role), ["roles/container.defaultNodeServiceAccount"], `${c.name}: project roles of its nodes`);
                    const readers = g.ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").filter((m) => m.inputs.member === member);
                    assert.equal(readers.length, 1, `${c.name}: one repository grant`);
                    assert.equal(readers[0].inputs.role, "roles/artifactregistry.reader");
                    assert.equal(readers[0].inputs.repository, registry.inputs.repositoryId);
                    assert.equal(readers[0].inputs.location, registry.inputs.location);
                    assert.ok(readers[0].dependencies.includes(registry.urn), "the grant is on the world's repository");
                    // the temporary default pool too
                    assert.equal(at(c.inputs, "nodeConfig.serviceAccount"), email, `${c.name} default pool`);
                    assert.ok(c.ignoreChanges.includes("nodeConfig"), `${c.name} ignores the removed default pool's nodeConfig`);
                    const pools = g.ofType(POOL).filter((p) => p.inputs.cluster === c.inputs.name);
                    assert.ok(pools.length >= 1, `${c.name} has pools`);
                    for (const p of pools) {
                        assert.equal(at(p.inputs, "nodeConfig.serviceAccount"), email, `${p.name} runs as ${email}`);
                        for (const grant of [sa, roles[0], readers[0]]) assert.ok(p.dependencies.includes(grant.urn), `${p.name} waits for ${grant.name}`);
                    }
                }
                assert.equal(accounts.size, clusters.length, "one account per cluster");
                const projectReaders = g.ofType("gcp:projects/iAMMember:IAMMember").filter((m) => String(m.inputs.role).startsWith("roles/artifactregistry."));
                assert.deepEqual(projectReaders, [], "no project-level registry role");
            });

            it("starts every node pool at its minimum per zone and ignores later drift of initialNodeCount", async () => {
                const g = await stackGraph(stack);
                const pools = g.ofType(POOL);
                for (const p of pools) {
                    const min = at(p.inputs, "autoscaling.minNodeCount");
                    assert.equal(typeof min, "number", `${p.name} autoscales per zone`);
                    assert.equal(p.inputs.initialNodeCount, min, `${p.name} initialNodeCount`);
                    assert.ok(p.ignoreChanges.includes("initialNodeCount"), `${p.name} ignores initialNodeCount`);
                }
                for (const dc of allDataCenters(world).filter((d) => d.cloud === "gcp")) {
                    assert.equal(g.get(POOL, `${dc.name}-warm-pool`).inputs.initialNodeCount, dc.warmPool.nodes.minNodes);
                    assert.equal(g.get(POOL, `${dc.name}-job-grid`).inputs.initialNodeCount, dc.jobGrid.nodes.minNodes);
                }
                for (const r of allRegions(world).filter((x) => x.cloud === "gcp")) {
                    assert.equal(g.get(POOL, `${r.name}-dp-system`).inputs.initialNodeCount, r.systemPool.minNodes);
                }
            });

            it("runs grid pools on GKE Sandbox with the only type the provider accepts", async () => {
                const g = await stackGraph(stack);
                for (const dc of allDataCenters(world).filter((d) => d.cloud === "gcp")) {
                    for (const pool of ["warm-pool", "job-grid"]) {
                        const p = g.get(POOL, `${dc.name}-${pool}`);
                        assert.deepEqual(at(p.inputs, "nodeConfig.sandboxConfig"), { type: "GVISOR" }, p.name);
                    }
                }
            });

            it("sizes Cloud NAT for pods that all dial one destination, with addresses for the most nodes each cluster can reach", async () => {
                const g = await stackGraph(stack);
                // the node ceiling below holds only at 110 pods per node (a /24 of the /17 pod range each)
                for (const c of g.ofType(CLUSTER)) assert.equal(c.inputs.defaultMaxPodsPerNode, 110, c.name);
                const nats = g.ofType("gcp:compute/routerNat:RouterNat");
                assert.equal(nats.length, g.ofType(CLUSTER).length);
                for (const n of nats) {
                    assert.equal(n.inputs.enableDynamicPortAllocation, true, n.name);
                    assert.equal(n.inputs.enableEndpointIndependentMapping, false, n.name);
                    assert.equal(n.inputs.minPortsPerVm, NAT_MIN_PORTS_PER_VM);
                    assert.ok(Number(n.inputs.maxPortsPerVm) > NAT_MIN_PORTS_PER_VM && Number(n.inputs.maxPortsPerVm) <= 65536);
                    assert.ok(Number(n.inputs.tcpTimeWaitTimeoutSec) < 120, "TIME_WAIT shorter than the 120 s default");
                    assert.equal(n.inputs.natIpAllocateOption, "MANUAL_ONLY");
                    // every node the cluster can reach gets its minimum ports at once: a data plane may
                    // grow to what its pod range holds (/17, a /24 per node: 128 nodes); the global and
                    // continental clusters to their system pool per zone plus one surge node per zone
                    const cluster = g.get(CLUSTER, n.name.replace(/-nat$/, ""));
                    const system = g.get(POOL, `${cluster.name}-system`);
                    const zones = ((cluster.inputs.nodeLocations as string[] | undefined) ?? []).length || 3;
                    const most = cluster.name.endsWith("-dp") ? 128 : (Number(at(system.inputs, "autoscaling.maxNodeCount")) + 1) * zones;
                    const addresses = (n.inputs.natIps as string[]).length;
                    assert.ok(addresses >= 2, `${n.name}: at least two known egress addresses`);
                    assert.ok(addresses * NAT_PORTS_PER_ADDRESS >= most * NAT_MIN_PORTS_PER_VM, `${n.name}: ${addresses} addresses for ${most} nodes`);
                }
            });
        });
    }
});
