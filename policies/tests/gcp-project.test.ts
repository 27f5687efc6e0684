import { strict as assert } from "assert";
import { cloudNatPorts, gcpApisEnabled, gkeNodeServiceAccount, gkePoolInitialSize } from "../rules/gcp-project";
import { res, violations } from "./support/fixtures";

const SERVICE = "gcp:projects/service:Service";
const POOL = "gcp:container/nodePool:NodePool";
const GKE = "gcp:container/cluster:Cluster";
const service = (api: string) => res(SERVICE, `api-${api}`, { service: `${api}.googleapis.com`, disableOnDestroy: false });

describe("policies: a fresh GCP project", () => {
    it("gcp-apis-enabled: direct or inherited (parent) dependency on each API's service; unknown types are reported", async () => {
        const [container, compute, pubsub, dns, logging, monitoring] = ["container", "compute", "pubsub", "dns", "logging", "monitoring"].map(service);
        const pool = (deps: string[]) => res(POOL, "fra1-warm-pool", { name: "fra1-warm-pool" }, { dependencies: deps });
        const component = res("globalgrid:network:MtlsLoadBalancer", "fra-cp-lb", {}, { dependencies: [dns.urn] });
        const record = res("gcp:dns/recordSet:RecordSet", "fra-cp", { name: "fra.cp.example.com." }, { parent: component.urn });
        const topic = res("gcp:pubsub/topic:Topic", "fra-jobs", { name: "fra-jobs" });
        const cluster = res(GKE, "fra-dp", { name: "fra-dp", binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" } }, { dependencies: [container.urn, compute.urn, logging.urn, monitoring.urn] });
        const odd = res("gcp:bigquery/dataset:Dataset", "ds", { datasetId: "ds" });
        assert.deepEqual(await violations(gcpApisEnabled, [container, compute, pubsub, dns, logging, monitoring, pool([container.urn]), component, record, topic, cluster, odd]), [
            ['NodePool "fra1-warm-pool" is not created after compute.googleapis.com', "fra1-warm-pool"],
            ['Topic "fra-jobs" is not created after pubsub.googleapis.com', "fra-jobs"],
            ['Cluster "fra-dp" is not created after binaryauthorization.googleapis.com', "fra-dp"],
            ['gcp:bigquery/dataset:Dataset "ds": no rule says which API it needs', "ds"],
        ]);
        const binauthz = service("binaryauthorization");
        const okCluster = { ...cluster, dependencies: [...cluster.dependencies, binauthz.urn] };
        const okTopic = { ...topic, dependencies: [pubsub.urn] };
        assert.deepEqual(await violations(gcpApisEnabled, [container, compute, pubsub, dns, logging, monitoring, binauthz, pool([container.urn, compute.urn]), component, record, okTopic, okCluster]), []);
    });

    it("gke-node-service-account: pools and the cluster's default pool run as a dedicated account", async () => {
        const own = "gg-stg-fra-dp-nodes@p.iam.gserviceaccount.com";
        const pool = (nodeConfig: Record<string, unknown>) => res(POOL, "fra-dp-system", { name: "system", nodeConfig });
        assert.deepEqual(
            await violations(gkeNodeServiceAccount, [pool({}), res(GKE, "fra-dp", { name: "gg-fra-dp", nodeConfig: { serviceAccount: "123456789-compute@developer.gserviceaccount.com" } })]),
            [
                ['node pool "system" runs its nodes as the Compute Engine default service account', "fra-dp-system"],
                ['cluster "gg-fra-dp" runs its nodes as the Compute Engine default service account', "fra-dp"],
            ],
        );
        assert.deepEqual(await violations(gkeNodeServiceAccount, [pool({ serviceAccount: own }), res(GKE, "fra-dp", { name: "gg-fra-dp", nodeConfig: { serviceAccount: own } })]), []);
    });

    it("gke-pool-initial-size: initialNodeCount is the per-zone minimum and is ignored afterwards", async () => {
        const pool = (inputs: Record<string, unknown>, ignoreChanges: string[]) => res(POOL, "fra1-job-grid", { name: "fra1-job-grid", autoscaling: { minNodeCount: 2, maxNodeCount: 10 }, ...inputs }, { ignoreChanges });
        assert.deepEqual(await violations(gkePoolInitialSize, [pool({}, [])]), [
            ['node pool "fra1-job-grid" starts with 0 nodes per zone, not its minimum 2', "fra1-job-grid"],
            ['node pool "fra1-job-grid" does not ignore changes to initialNodeCount (the autoscaler\'s resizes would recreate it)', "fra1-job-grid"],
        ]);
        assert.deepEqual(await violations(gkePoolInitialSize, [pool({ initialNodeCount: 2 }, ["initialNodeCount"])]), []);
    });

    it("cloud-nat-ports: dynamic allocation, no endpoint-independent mapping, the minimum ports per node", async () => {
        const nat = (inputs: Record<string, unknown>) => res("gcp:compute/routerNat:RouterNat", "fra-dp-nat", { name: "gg-fra-dp-nat", ...inputs });
        assert.deepEqual(await violations(cloudNatPorts, [nat({ minPortsPerVm: 64 })]), [
            ['Cloud NAT "gg-fra-dp-nat" does not use dynamic port allocation', "fra-dp-nat"],
            ['Cloud NAT "gg-fra-dp-nat" leaves endpoint-independent mapping on (or unset)', "fra-dp-nat"],
            ['Cloud NAT "gg-fra-dp-nat" reserves 64 ports per node; at least 1024 are needed', "fra-dp-nat"],
        ]);
        const good = { enableDynamicPortAllocation: true, enableEndpointIndependentMapping: false, minPortsPerVm: 1024, maxPortsPerVm: 16384 };
        assert.deepEqual(await violations(cloudNatPorts, [nat(good)]), []);
        assert.equal((await violations(cloudNatPorts, [nat(good)], { "cloud-nat-ports": { minPortsPerVm: 2048 } })).length, 1, "the minimum is configurable");
    });
});
