import { strict as assert } from "assert";
import { at } from "../../engine/values";
import { stackGraph } from "../support/stacks";

/** Every stateful resource type: losing one loses data or identity, so prod protects each of them. */
const STATEFUL = [
    "gcp:container/cluster:Cluster",
    "aws:eks/cluster:Cluster",
    "aws:kms/key:Key",
    "kubernetes:apps/v1:StatefulSet",
    "gcp:pubsub/topic:Topic",
    "gcp:pubsub/subscription:Subscription",
    "gcp:pubsub/schema:Schema",
    "gcp:compute/network:Network",
    "gcp:dns/managedZone:ManagedZone",
    "gcp:artifactregistry/repository:Repository",
    "aws:ecr/repository:Repository",
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
    "tls:index/selfSignedCert:SelfSignedCert",
];

describe("prod safety", () => {
    it("protects every stateful resource in prod", async () => {
        const g = await stackGraph("prod");
        for (const type of STATEFUL) {
            const list = g.ofType(type);
            assert.ok(list.length > 0, `prod has ${type}`);
            for (const r of list) assert.equal(r.protect, true, `${r.urn} is protected`);
        }
        const rootKey = g.get("tls:index/privateKey:PrivateKey", "root-ca-key");
        assert.equal(rootKey.protect, true, "the root CA key is protected");
    });

    it("protects none of them in staging, so test worlds can be torn down", async () => {
        const g = await stackGraph("staging");
        for (const type of STATEFUL) for (const r of g.ofType(type)) assert.equal(r.protect, false, r.urn);
    });

    it("retains Consul's volumes: Retain storage class and PVC retention on delete and scale-down", async () => {
        for (const stack of ["staging", "prod"] as const) {
            const g = await stackGraph(stack);
            const classes = new Map(g.ofType("kubernetes:storage.k8s.io/v1:StorageClass").map((c) => [`${c.provider}/${String(at(c.inputs, "metadata.name"))}`, c]));
            for (const sts of g.ofType("kubernetes:apps/v1:StatefulSet")) {
                assert.deepEqual(at(sts.inputs, "spec.persistentVolumeClaimRetentionPolicy"), { whenDeleted: "Retain", whenScaled: "Retain" }, sts.urn);
                const templates = at(sts.inputs, "spec.volumeClaimTemplates") as { spec: { storageClassName: string } }[];
                assert.ok(templates.length > 0, `${sts.urn} has volume claim templates`);
                for (const t of templates) {
                    const sc = classes.get(`${sts.provider}/${t.spec.storageClassName}`);
                    assert.ok(sc, `${sts.urn} uses a storage class created in its own cluster`);
                    assert.equal(sc.inputs.reclaimPolicy, "Retain", `${sc.urn} retains volumes`);
                }
            }
        }
    });

    it("keeps GKE deletion protection on in prod", async () => {
        const g = await stackGraph("prod");
        for (const c of g.ofType("gcp:container/cluster:Cluster")) assert.equal(c.inputs.deletionProtection, true, c.urn);
    });
});
