import { strict as assert } from "assert";
import { parseWorld, WorldConfigError } from "../components/config/load";
import { allDataCenters, allRegions } from "../components/config/model";
import { worldSchema } from "../components/config/schema";
import { programResources, runStack } from "../engine/run";
import { configProblems, setPath, worldOf } from "./support/world-variants";

const problems = configProblems;

function rejectsAt(world: unknown, path: string, pattern: RegExp) {
    const found = problems(world);
    const hit = found.find((p) => p.path === path);
    assert.ok(hit, `expected a problem at ${path}, got: ${JSON.stringify(found)}`);
    assert.match(hit.message, pattern);
}

describe("world config", () => {
    it("accepts both stack files", () => {
        for (const stack of ["staging", "prod"] as const) assert.deepEqual(problems(worldOf(stack)), []);
    });

    // What each stack file is for; values that are only settings (sizes, timeouts) are not asserted here.
    it("staging: eu on gcp and na on aws, >= 3 regions with 1-2 data centers each, nothing protected", () => {
        const w = parseWorld(worldOf("staging"));
        assert.equal(w.environment, "staging");
        assert.deepEqual(w.continents.map((c) => [c.name, c.cloud]), [["eu", "gcp"], ["na", "aws"]]);
        assert.ok(allRegions(w).length >= 3);
        for (const r of allRegions(w)) assert.ok(r.dataCenters.length >= 1 && r.dataCenters.length <= 2, r.name);
        assert.ok(allRegions(w).every((r) => !r.protect));
    });

    it("prod: six regions on >= 3 continents across both clouds, 2-3 data centers each, every region protected", () => {
        const w = parseWorld(worldOf("prod"));
        assert.equal(w.environment, "prod");
        assert.ok(w.continents.length >= 3);
        assert.deepEqual([...new Set(w.continents.map((c) => c.cloud))].sort(), ["aws", "gcp"]);
        assert.deepEqual(allRegions(w).map((r) => r.name).sort(), ["fra", "par", "sfo", "sin", "tyo", "was"]);
        for (const r of allRegions(w)) assert.ok(r.dataCenters.length >= 2 && r.dataCenters.length <= 3, r.name);
        assert.ok(allRegions(w).every((r) => r.protect));
    });

    it("deep-merges schema defaults < defaults < region < data center", () => {
        const w = worldOf("staging");
        setPath(w, "defaults.region.consul", { volumeSize: "30Gi" });
        setPath(w, "continents.eu.regions.fra.consul", { replicas: 5 });
        setPath(w, "continents.eu.regions.fra.jobs", { startSlaSeconds: 90 });
        setPath(w, "defaults.dataCenter.warmPool", { replicas: 6 });
        setPath(w, "continents.na.regions.was.warmPool", { recycleMinutes: 45 });
        setPath(w, "continents.na.regions.was.dataCenters.was2.warmPool", { replicas: 12 });
        const parsed = parseWorld(w);
        const region = (n: string) => allRegions(parsed).find((r) => r.name === n)!;
        const dc = (n: string) => allDataCenters(parsed).find((d) => d.name === n)!;
        const schema = worldSchema.parse({ ...w, defaults: undefined }).defaults;
        // a region override of one field keeps the stack's and the schema's values of the same block
        assert.deepEqual([region("fra").consul.replicas, region("fra").consul.volumeSize, region("fra").consul.storageClass], [5, "30Gi", schema.region.consul.storageClass]);
        assert.deepEqual([region("was").consul.replicas, region("was").consul.volumeSize], [schema.region.consul.replicas, "30Gi"]);
        assert.deepEqual([region("fra").jobs.startSlaSeconds, region("fra").jobs.ackDeadlineSeconds], [90, schema.region.jobs.ackDeadlineSeconds]);
        // a region's grid override reaches all its data centers; a data center's own override wins
        assert.deepEqual([dc("was1").warmPool.recycleMinutes, dc("was2").warmPool.recycleMinutes, dc("fra1").warmPool.recycleMinutes], [45, 45, schema.dataCenter.warmPool.recycleMinutes]);
        assert.deepEqual([dc("was1").warmPool.replicas, dc("was2").warmPool.replicas], [6, 12]);
        // machine types come from the region's cloud
        assert.equal(dc("was1").warmPool.machineType, schema.machineTypes.aws.warmPool);
        assert.equal(dc("fra1").jobGrid.machineType, schema.machineTypes.gcp.jobGrid);
        // the Pub/Sub location defaults to the region's location on gcp; aws names it
        assert.equal(region("fra").pubsubLocation, region("fra").location);
        assert.equal(region("was").pubsubLocation, w.continents.na.regions.was.pubsubLocation);
    });

    it("fills every key a stack file leaves out from the schema's defaults", () => {
        const w = worldOf("staging");
        delete w.defaults;
        const was = allRegions(parseWorld(w)).find((r) => r.name === "was")!;
        assert.deepEqual(was.consul, { replicas: 3, volumeSize: "20Gi", storageClass: "consul-retain", resources: { cpu: "500m", memory: "512Mi", cpuLimit: "1", memoryLimit: "1Gi" } });
        assert.deepEqual(allDataCenters(parseWorld(w)).find((d) => d.name === "was1")!.jobGrid.nodes, { minNodes: 1, maxNodes: 10 });
    });

    it("merges a nested override over the stack's defaults, not over the schema's", () => {
        const w = worldOf("staging");
        setPath(w, "defaults.region.consul.resources", { memory: "768Mi" });
        setPath(w, "continents.eu.regions.fra.consul", { resources: { cpu: "1" } });
        setPath(w, "defaults.dataCenter.jobGrid.nodes", { maxNodes: 6 });
        setPath(w, "continents.eu.regions.fra.dataCenters.fra1.jobGrid", { nodes: { minNodes: 2 } });
        const parsed = parseWorld(w);
        const region = (n: string) => allRegions(parsed).find((r) => r.name === n)!;
        assert.deepEqual(region("fra").consul.resources, { cpu: "1", memory: "768Mi", cpuLimit: "1", memoryLimit: "1Gi" });
        assert.deepEqual(region("par").consul.resources, { cpu: "500m", memory: "768Mi", cpuLimit: "1", memoryLimit: "1Gi" });
        assert.deepEqual(allDataCenters(parsed).find((d) => d.name === "fra1")!.jobGrid.nodes, { minNodes: 2, maxNodes: 6 });
        assert.deepEqual(allDataCenters(parsed).find((d) => d.name === "fra2")!.jobGrid.nodes, { minNodes: 1, maxNodes: 6 });
    });

    it("sorts entries by name so YAML order does not matter", () => {
        const w = worldOf("prod");
        const reversed = { ...w, continents: Object.fromEntries(Object.entries(w.continents).reverse()) };
        assert.deepEqual(parseWorld(reversed), parseWorld(w));
    });

    describe("rejects, naming the path", () => {
        const cases: [string, (w: Record<string, any>) => void, string, RegExp][] = [
            ["a zone outside its region", (w) => setPath(w, "continents.eu.regions.fra.dataCenters.fra1.zone", "europe-west1-b"), "continents.eu.regions.fra.dataCenters.fra1.zone", /not a zone of europe-west3/],
            ["a duplicate name across continents", (w) => setPath(w, "continents.na.regions.fra", w.continents.na.regions.was), "continents.na.regions.fra", /already used at continents\.eu\.regions\.fra/],
            ["an even Consul replica count", (w) => setPath(w, "continents.eu.regions.fra.consul", { replicas: 4 }), "continents.eu.regions.fra.consul.replicas", /even/],
            ["a `latest` image", (w) => setPath(w, "images.consul", "hashicorp/consul:latest"), "images.consul", /latest/],
            ["an untagged image", (w) => setPath(w, "images.consul", "hashicorp/consul"), "images.consul", /pinned/],
            ["a prebuilt agent image pinned by tag, not digest", (w) => setPath(w, "images.agents", { broker: { prebuilt: "ghcr.io/acme/broker:1.2.0" } }), "images.agents.broker.prebuilt", /pinned by digest/],
            ["an unknown cloud", (w) => setPath(w, "continents.na.cloud", "azure"), "continents.na.cloud", /gcp.*aws|Invalid enum/i],
            ["an unknown key (typo)", (w) => setPath(w, "continents.eu.regions.fra.consull", { replicas: 3 }), "continents.eu.regions.fra.consull", /unknown key/],
            ["an out-of-range ack deadline", (w) => setPath(w, "defaults.region.jobs.ackDeadlineSeconds", 700), "defaults.region.jobs.ackDeadlineSeconds", /600/],
            ["overlapping network ranges", (w) => setPath(w, "continents.eu.regions.par.cidr", "10.16.0.0/16"), "continents.eu.regions.par.cidr", /overlaps continents\.eu\.regions\.fra\.cidr/],
            ["a region without data centers", (w) => setPath(w, "continents.eu.regions.par.dataCenters", {}), "continents.eu.regions.par.dataCenters", /at least one data center/],
            ["an aws region without pubsubLocation", (w) => setPath(w, "continents.na.regions.was.pubsubLocation", undefined), "continents.na.regions.was.pubsubLocation", /required on aws/],
            ["a missing field", (w) => setPath(w, "dns", undefined), "dns", /Required/],
            ["a wrong type", (w) => setPath(w, "defaults.region.consul.replicas", "three"), "defaults.region.consul.replicas", /number/],
            ["a soft job limit the ack deadline cannot cover", (w) => setPath(w, "continents.eu.regions.fra.dataCenters.fra1.jobGrid", { softTimeLimitSeconds: 340 }), "continents.eu.regions.fra.dataCenters.fra1.jobGrid.softTimeLimitSeconds", /340.*370.*360/],
            ["a name too long for the physical names", (w) => setPath(w, "continents.eu.regions.fra.dataCenters.frankfurt01", { zone: "europe-west3-c" }), "continents.eu.regions.fra.dataCenters.frankfurt01", /2\.\.10 characters/],
            ["a name with characters clouds refuse", (w) => setPath(w, "continents.eu.regions.Fra_1", w.continents.eu.regions.fra), "continents.eu.regions.Fra_1", /a-z and 0-9/],
        ];
        for (const [what, mutate, path, pattern] of cases) {
            it(what, () => {
                const w = worldOf("staging");
                mutate(w);
                rejectsAt(w, path, pattern);
            });
        }

        it("lists every problem of a config in one error", () => {
            const w = worldOf("staging");
            setPath(w, "images.consul", "consul:latest");
            setPath(w, "continents.eu.regions.fra.consul", { replicas: 2 });
            setPath(w, "continents.eu.regions.fra.dataCenters.fra1.zone", "us-east-1a");
            const paths = problems(w).map((p) => p.path);
            assert.ok(paths.includes("images.consul"));
            // shape errors stop before cross-field rules; fix the shape and the rules all report together
            setPath(w, "images.consul", "hashicorp/consul:1.20.2");
            const after = problems(w).map((p) => p.path);
            assert.ok(after.includes("continents.eu.regions.fra.consul.replicas") && after.includes("continents.eu.regions.fra.dataCenters.fra1.zone"), after.join(", "));
        });
    });

    it("registers nothing when the config is invalid", async () => {
        const w = worldOf("staging");
        setPath(w, "continents.eu.regions.fra.consul", { replicas: 4 });
        const g = await runStack({ stack: "staging", world: w });
        assert.ok(g.error instanceof WorldConfigError);
        assert.match(g.error.message, /continents\.eu\.regions\.fra\.consul\.replicas: 4 is even/);
        assert.deepEqual(programResources(g), []);
    });
});
