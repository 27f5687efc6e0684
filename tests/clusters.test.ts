import { strict as assert } from "assert";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions } from "../components/config/model";
import { Names } from "../components/naming";
import type { RecordedResource } from "../engine/recorder";
import { at, isSecret } from "../engine/values";
import { fixtureGraph, fixtureWorld } from "./support/stacks";

describe("clusters", () => {
    // the fixture world (tests/fixtures/world-small.json): a gcp region with two data centers, an aws region with one
    const world = parseWorld(fixtureWorld());
    const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
    const prod = world.environment === "prod";

    it("hardens every GKE cluster: private nodes, Workload Identity, Dataplane V2, shielded nodes, release channel", async () => {
        const g = await fixtureGraph();
        const clusters = g.ofType("gcp:container/cluster:Cluster");
        const expected = 1 + world.continents.filter((c) => c.cloud === "gcp").length + allRegions(world).filter((r) => r.cloud === "gcp").length;
        assert.equal(clusters.length, expected);
        for (const c of clusters) {
            assert.equal(at(c.inputs, "privateClusterConfig.enablePrivateNodes"), true, c.name);
            assert.equal(at(c.inputs, "workloadIdentityConfig.workloadPool"), `${world.gcpProject}.svc.id.goog`);
            assert.equal(c.inputs.datapathProvider, "ADVANCED_DATAPATH");
            assert.equal(c.inputs.enableShieldedNodes, true);
            assert.equal(at(c.inputs, "releaseChannel.channel"), "REGULAR");
            assert.equal(c.inputs.removeDefaultNodePool, true);
            assert.deepEqual((at(c.inputs, "masterAuthorizedNetworksConfig.cidrBlocks") as { cidrBlock: string }[]).map((b) => b.cidrBlock), world.adminCidrs);
            assert.equal(c.protect, prod, `${c.name} protect`);
            assert.equal(c.inputs.deletionProtection, prod);
        }
    });

    it("hardens every EKS cluster: private subnets, restricted API CIDRs, all control-plane logs, KMS secrets encryption", async () => {
        const g = await fixtureGraph();
        const clusters = g.ofType("aws:eks/cluster:Cluster");
        assert.equal(clusters.length, world.continents.filter((c) => c.cloud === "aws").length + allRegions(world).filter((r) => r.cloud === "aws").length);
        for (const c of clusters) {
            assert.equal(at(c.inputs, "vpcConfig.endpointPrivateAccess"), true);
            assert.deepEqual(at(c.inputs, "vpcConfig.publicAccessCidrs"), world.adminCidrs);
            assert.deepEqual(c.inputs.enabledClusterLogTypes, ["api", "audit", "authenticator", "controllerManager", "scheduler"]);
            assert.deepEqual(at(c.inputs, "encryptionConfig.resources"), ["secrets"]);
            const kms = g.resources.find((r) => r.type === "aws:kms/key:Key" && c.dependencies.includes(r.urn));
            assert.ok(kms && kms.inputs.enableKeyRotation === true, `${c.name} has a rotating KMS key`);
            assert.equal(c.protect, prod);
            const oidc = g.children(c.parent!).find((r) => r.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider" && r.dependencies.includes(c.urn));
            assert.ok(oidc, `${c.name} has its OIDC provider`);
            assert.deepEqual(oidc.inputs.clientIdLists, ["sts.amazonaws.com"]);
        }
    });

    it("gives every data center sandboxed warm-pool and job-grid pools pinned to its zone, tainted and labelled", async () => {
        const g = await fixtureGraph();
        for (const dc of allDataCenters(world)) {
            const tier = g.get("globalgrid:tier:DataCenter", dc.name);
            for (const pool of ["warm-pool", "job-grid"] as const) {
                const label = { "globalgrid.dev/pool": pool, "globalgrid.dev/datacenter": dc.name, "globalgrid.dev/sandbox": "gvisor" };
                const taint = { key: "globalgrid.dev/pool", value: pool, effect: "NO_SCHEDULE" };
                let r: RecordedResource;
                if (dc.cloud === "gcp") {
                    r = g.get("gcp:container/nodePool:NodePool", `${dc.name}-${pool}`);
                    assert.deepEqual(r.inputs.nodeLocations, [dc.zone]);
                    assert.equal(r.inputs.name, names.dataCenterPool(dc.name, pool));
                    assert.equal(at(r.inputs, "nodeConfig.sandboxConfig.type"), "GVISOR");
                    assert.equal(at(r.inputs, "nodeConfig.workloadMetadataConfig.mode"), "GKE_METADATA");
                    assert.deepEqual(at(r.inputs, "nodeConfig.labels"), label);
                    assert.deepEqual(at(r.inputs, "nodeConfig.taints"), [taint]);
                    assert.equal(at(r.inputs, "autoscaling.maxNodeCount"), (pool === "warm-pool" ? dc.warmPool : dc.jobGrid).nodes.maxNodes);
                } else {
                    r = g.get("aws:eks/nodeGroup:NodeGroup", `${dc.name}-${pool}`);
                    const subnet = g.get("aws:ec2/subnet:Subnet", `${dc.name}-subnet`);
                    assert.equal(subnet.inputs.availabilityZone, dc.zone);
                    assert.ok(r.dependencies.includes(subnet.urn), `${r.name} uses the ${dc.zone} subnet`);
                    assert.equal(subnet.parent, tier.urn, `${dc.name} owns its subnet`);
                    assert.equal((r.inputs.subnetIds as unknown[]).length, 1);
                    assert.deepEqual(r.inputs.labels, label);
                    assert.deepEqual(r.inputs.taints, [taint]);
                    const lt = g.get("aws:ec2/launchTemplate:LaunchTemplate", `${dc.name}-${pool}`);
                    assert.equal(at(lt.inputs, "metadataOptions.httpTokens"), "required");
                    assert.equal(at(lt.inputs, "metadataOptions.httpPutResponseHopLimit"), 1);
                    assert.match(Buffer.from(String(lt.inputs.userData), "base64").toString(), /runsc/);
                }
                assert.equal(r.parent, tier.urn, `${r.name} lives in its data center tier`);
            }
        }
    });

    it("exports cluster names and endpoints per continent and region, kubeconfigs as secrets, node pools per data center", async () => {
        const g = await fixtureGraph();
        const out = g.graph.outputs as Record<string, Record<string, Record<string, unknown>>>;
        for (const c of world.continents) {
            assert.equal(out.continents[c.name].clusterName, names.continentCluster(c.name));
            assert.ok(isSecret(out.continents[c.name].kubeconfig), `${c.name} kubeconfig is secret`);
        }
        for (const r of allRegions(world)) {
            assert.equal(out.regions[r.name].clusterName, names.regionCluster(r.name));
            assert.ok(String(out.regions[r.name].endpoint).length > 0);
            assert.ok(isSecret(out.regions[r.name].kubeconfig), `${r.name} kubeconfig is secret`);
        }
        for (const dc of allDataCenters(world)) {
            const pools = out.dataCenters[dc.name].nodePools as Record<string, string>;
            assert.deepEqual(Object.keys(pools).sort(), ["job-grid", "warm-pool"]);
        }
        assert.ok(isSecret((out.globalCluster as unknown as Record<string, unknown>).kubeconfig));
    });

    it("creates one Kubernetes provider per cluster and uses each region's own for its data centers", async () => {
        const g = await fixtureGraph();
        for (const dc of allDataCenters(world)) {
            const ns = g.get("kubernetes:core/v1:Namespace", `${dc.name}-ns`);
            assert.equal(ns.provider, g.get("pulumi:providers:kubernetes", `${dc.region}-dp-k8s`).urn);
        }
        for (const r of allRegions(world)) {
            const ns = g.get("kubernetes:core/v1:Namespace", `${r.name}-cp`);
            assert.equal(ns.provider, g.get("pulumi:providers:kubernetes", `${r.continent}-cp-k8s`).urn);
            assert.equal((ns.inputs.metadata as { name: string }).name, names.controlPlaneNamespace(r.name));
        }
    });
});
