import { strict as assert } from "assert";
import { GraphIndex } from "../engine/graph";
import { topologyDot, topologyPng, topologySvg } from "../engine/report/topology";
import { loadWorldDocument } from "../engine/stack-config";
import { parseWorld } from "../components/config/load";
import { allDataCenters, allRegions } from "../components/config/model";
import { stackGraph } from "./support/stacks";

/** The text of every <text> element of an SVG, entities decoded. */
const svgTexts = (svg: string): string[] =>
    [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&#45;/g, "-").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"));

describe("plan: topology picture", () => {
    const world = parseWorld(loadWorldDocument("prod"));

    it("shows every continent, region and data center of prod, with each tier's clusters", async () => {
        const g = await stackGraph("prod");
        const svg = await topologySvg(topologyDot(g));
        const texts = svgTexts(svg);
        for (const c of world.continents) assert.ok(texts.includes(`continent ${c.name}`), `continent ${c.name}`);
        for (const r of allRegions(world)) assert.ok(texts.includes(`region ${r.name}`), `region ${r.name}`);
        for (const dc of allDataCenters(world)) assert.ok(texts.includes(`data center ${dc.name}`), `data center ${dc.name}`);
        for (const c of [...g.ofType("gcp:container/cluster:Cluster"), ...g.ofType("aws:eks/cluster:Cluster")]) assert.ok(texts.includes(String(c.inputs.name)), `cluster ${c.inputs.name}`);
    });

    it("shows per region the Consul datacenter, the job topic with its dead-letter topic, and what the load balancer serves", async () => {
        const g = await stackGraph("prod");
        const dot = topologyDot(g);
        const texts = svgTexts(await topologySvg(dot));
        for (const r of allRegions(world)) assert.ok(texts.includes(`Consul datacenter ${r.name}`), `Consul ${r.name}`);
        const topics = g.ofType("gcp:pubsub/topic:Topic").map((t) => String(t.inputs.name));
        assert.ok(topics.length >= 2 * allRegions(world).length);
        for (const t of topics) assert.ok(texts.includes(t), `topic ${t}`);
        assert.equal(texts.filter((t) => t.startsWith("dead letters after")).length, allRegions(world).length);
        assert.equal(texts.filter((t) => t === "serves").length, allDataCenters(world).length, "one load balancer edge per data center");
    });

    it("still renders when load balancers, queues and Consul are absent, and rasterizes to PNG without system fonts", async () => {
        const g = await stackGraph("staging");
        const dropped = /(pubsub|lb\/|forwardingRule|StatefulSet)/i;
        const bare = new GraphIndex({ ...g.graph, resources: g.resources.filter((r) => !dropped.test(r.type)) });
        const svg = await topologySvg(topologyDot(bare));
        const texts = svgTexts(svg);
        assert.ok(texts.includes("region fra") && texts.includes("data center was2"));
        assert.ok(!texts.some((t) => t.includes("load balancer") || t.includes("topic") || t.startsWith("Consul")));
        const png = topologyPng(svg);
        assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
        assert.ok(png.readUInt32BE(16) > 500 && png.readUInt32BE(20) > 500, "PNG is large enough to read");
    });
});
