/**
 * Settings that used to be constants in tier and workload code reach the resources from the world
 * config: staging with each changed from its default, against the resources the program registers.
 */
import { strict as assert } from "assert";
import { GraphIndex } from "../engine/graph";
import { runStack } from "../engine/run";
import { setPath, worldOf } from "./support/world-variants";

const CM = "kubernetes:core/v1:ConfigMap";
const QUOTA = "kubernetes:core/v1:ResourceQuota";
const SSC = "tls:index/selfSignedCert:SelfSignedCert";
const LSC = "tls:index/locallySignedCert:LocallySignedCert";

/** A resource's inputs, for reading nested Kubernetes fields. */
const inputs = (g: GraphIndex, type: string, name: string) => g.get(type, name).inputs as Record<string, any>;

describe("operator settings from the world config", () => {
    let g: GraphIndex;
    before(async () => {
        const w = worldOf("staging");
        setPath(w, "pki", { rootCa: { validityHours: 30000, earlyRenewalHours: 2000 }, regionCa: { validityHours: 10000 } });
        setPath(w, "global.systemPool", { maxNodes: 4 });
        setPath(w, "continents.eu.regions.fra.dataCenters.fra1.warmPool", { brokerReplicas: 3, scalerIntervalSeconds: 20 });
        setPath(w, "continents.eu.regions.fra.jobGrid", { scalerIntervalSeconds: 45 });
        setPath(w, "continents.eu.regions.fra.dataCenters.fra1.namespaceQuota", { pods: 1500 });
        setPath(w, "continents.eu.regions.fra.controlPlaneQuota", { requestsCpu: "12" });
        const graph = await runStack({ stack: "staging", world: w });
        if (graph.error) throw graph.error;
        g = new GraphIndex(graph);
    });

    it("pki: the root CA's and each region's CAs' lifetimes", () => {
        const root = g.get(SSC, "root-ca");
        assert.deepEqual([root.inputs.validityPeriodHours, root.inputs.earlyRenewalHours], [30000, 2000]);
        for (const r of ["fra", "par", "was"]) {
            const intermediate = g.get(LSC, `${r}-intermediate-ca`);
            const client = g.get(SSC, `${r}-client-ca`);
            // regionCa overrides only validityHours: early renewal keeps its default of 60 days
            assert.deepEqual([intermediate.inputs.validityPeriodHours, intermediate.inputs.earlyRenewalHours], [10000, 24 * 60], r);
            assert.deepEqual([client.inputs.validityPeriodHours, client.inputs.earlyRenewalHours], [10000, 24 * 60], r);
        }
    });

    it("global.systemPool: the global cluster's system node pool", () => {
        const pool = g.get("gcp:container/nodePool:NodePool", "global-system");
        assert.deepEqual(pool.inputs.autoscaling, { minNodeCount: 1, maxNodeCount: 4 });
    });

    it("warmPool.brokerReplicas: the data center's broker Deployment, only where set", () => {
        assert.equal(inputs(g, "kubernetes:apps/v1:Deployment", "fra1-warm-pool-broker").spec.replicas, 3);
        assert.equal(inputs(g, "kubernetes:apps/v1:Deployment", "fra2-warm-pool-broker").spec.replicas, 2);
    });

    it("scalerIntervalSeconds: each grid scaler's rendered config", () => {
        const interval = (name: string) => JSON.parse(String(inputs(g, CM, name).data["scaler.json"])).intervalSeconds;
        assert.deepEqual(
            ["fra1-warm-pool-scaler", "fra2-warm-pool-scaler", "fra1-job-grid-scaler", "fra2-job-grid-scaler", "was1-job-grid-scaler"].map(interval),
            [20, 15, 45, 45, 15],
        );
    });

    it("namespaceQuota and controlPlaneQuota: the namespaces' ResourceQuotas", () => {
        const hard = (name: string) => inputs(g, QUOTA, name).spec.hard;
        assert.deepEqual(hard("fra1-ns-quota"), { "requests.cpu": "200", "requests.memory": "400Gi", "limits.memory": "800Gi", pods: "1500" });
        assert.deepEqual(hard("fra2-ns-quota"), { "requests.cpu": "200", "requests.memory": "400Gi", "limits.memory": "800Gi", pods: "2000" });
        assert.deepEqual(hard("fra-cp-quota"), { "requests.cpu": "12", "requests.memory": "32Gi", "limits.memory": "64Gi", persistentvolumeclaims: "20", "requests.storage": "500Gi" });
    });
});
