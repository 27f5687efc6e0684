import { strict as assert } from "assert";
import { parseWorld, WorldConfigError } from "../components/config/load";
import { allRegions, type Region } from "../components/config/model";
import { ACK_GRACE_SECONDS } from "../components/config/rules";
import { JOB_SCHEMA } from "../components/messaging/job-schema";
import { Names } from "../components/naming";
import type { GraphIndex } from "../engine/graph";
import type { RecordedResource } from "../engine/recorder";
import { programResources, runStack } from "../engine/run";
import { loadWorldDocument } from "../engine/stack-config";
import { fixtureGraph, fixtureWorld } from "./support/stacks";
import { configProblems, setPath } from "./support/world-variants";

const T = {
    queue: "globalgrid:messaging:JobQueue",
    region: "globalgrid:tier:Region",
    topic: "gcp:pubsub/topic:Topic",
    sub: "gcp:pubsub/subscription:Subscription",
    schema: "gcp:pubsub/schema:Schema",
    topicMember: "gcp:pubsub/topicIAMMember:TopicIAMMember",
    subMember: "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
    agent: "gcp:projects/serviceIdentity:ServiceIdentity",
    alert: "gcp:monitoring/alertPolicy:AlertPolicy",
    channel: "gcp:monitoring/notificationChannel:NotificationChannel",
    account: "gcp:serviceaccount/account:Account",
};

type Inputs = Record<string, any>;
const inputs = (r: RecordedResource) => r.inputs as Inputs;
const id = (r: RecordedResource) => {
    assert.ok(r.id, `${r.urn} has an id`);
    return r.id;
};
const deps = (r: RecordedResource, prop: string) => r.propertyDependencies[prop] ?? [];

/** The job queue of one region, found by the physical names the region must use. */
function queueOf(g: GraphIndex, names: Names, region: string) {
    const byName = (type: string, physical: string) => {
        const found = g.ofType(type).filter((r) => inputs(r).name === physical);
        assert.equal(found.length, 1, `one ${type} named ${physical}`);
        return found[0];
    };
    return {
        component: g.get(T.queue, `${region}-jobs`),
        schema: byName(T.schema, names.jobSchema(region)),
        topic: byName(T.topic, names.jobsTopic(region)),
        sub: byName(T.sub, names.jobsSubscription(region)),
        dlTopic: byName(T.topic, names.deadLetterTopic(region)),
        dlSub: byName(T.sub, names.deadLetterSubscription(region)),
    };
}

/** Every IAM grant in the graph, whatever resource type carries it. */
const iamGrants = (g: GraphIndex) => g.resources.filter((r) => r.custom && /IAM(Member|Binding|Policy)/i.test(r.type));

describe("job queue", () => {
    // the fixture world (tests/fixtures/world-small.json): a gcp region with two data centers, an aws region with one
    const world = parseWorld(fixtureWorld());
    const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
    const regions = allRegions(world);

    it("builds one JobQueue per region, a child of its Region tier, holding both topics and subscriptions", async () => {
        const g = await fixtureGraph();
        assert.deepEqual(g.ofType(T.queue).map((q) => q.name).sort(), regions.map((r) => `${r.name}-jobs`).sort());
        for (const r of regions) {
            const q = queueOf(g, names, r.name);
            assert.equal(q.component.parent, g.get(T.region, r.name).urn, r.name);
            for (const res of [q.schema, q.topic, q.sub, q.dlTopic, q.dlSub]) {
                assert.equal(res.parent, q.component.urn, `${res.name} under ${q.component.name}`);
                assert.equal(inputs(res).project, world.gcpProject, `${res.name} lives in the world's GCP project`);
            }
        }
    });

    it("wires topic > subscription > dead-letter topic > dead-letter subscription", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const q = queueOf(g, names, r.name);
            assert.equal(inputs(q.sub).topic, id(q.topic), r.name);
            assert.deepEqual(deps(q.sub, "topic"), [q.topic.urn]);
            assert.equal(inputs(q.sub).deadLetterPolicy.deadLetterTopic, id(q.dlTopic), r.name);
            assert.deepEqual(deps(q.sub, "deadLetterPolicy"), [q.dlTopic.urn]);
            assert.equal(inputs(q.dlSub).topic, id(q.dlTopic), r.name);
            assert.deepEqual(deps(q.dlSub, "topic"), [q.dlTopic.urn]);
            // the dead-letter topic has its subscription before anything can be forwarded to it
            assert.ok(q.sub.dependencies.includes(q.dlSub.urn), `${r.name}: grid subscription waits for the dead-letter subscription`);
        }
    });

    it("sets each subscription's policy from the region's effective jobs config", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const { sub, dlSub } = queueOf(g, names, r.name);
            const j = r.jobs;
            const s = inputs(sub);
            assert.equal(s.ackDeadlineSeconds, j.ackDeadlineSeconds, r.name);
            assert.equal(s.messageRetentionDuration, `${j.messageRetentionSeconds}s`);
            assert.deepEqual(s.retryPolicy, { minimumBackoff: `${j.minBackoffSeconds}s`, maximumBackoff: `${j.maxBackoffSeconds}s` });
            assert.equal(s.deadLetterPolicy.maxDeliveryAttempts, j.maxDeliveryAttempts);
            assert.equal(s.enableExactlyOnceDelivery, j.exactlyOnceDelivery);
            assert.deepEqual(s.expirationPolicy, { ttl: "" }, `${r.name}: the grid subscription never expires`);
            assert.equal(s.pushConfig, undefined, "a pull subscription");
            assert.deepEqual(s.labels, { "part-of": "globalgrid", "managed-by": "pulumi", component: "jobs-subscription", tier: "region", continent: r.continent, region: r.name });

            const d = inputs(dlSub);
            assert.equal(d.messageRetentionDuration, `${j.deadLetterRetentionSeconds}s`, r.name);
            assert.equal(d.retainAckedMessages, true, `${r.name}: acked dead letters stay replayable`);
            assert.deepEqual(d.expirationPolicy, { ttl: "" }, `${r.name}: the dead-letter subscription never expires`);
            assert.equal(d.deadLetterPolicy, undefined);
            assert.equal(d.labels.region, r.name);
        }
    });

    it("validates jobs against an Avro schema set on the jobs topic, with retention and labels on both topics", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const q = queueOf(g, names, r.name);
            assert.equal(inputs(q.schema).type, "AVRO");
            assert.deepEqual(JSON.parse(inputs(q.schema).definition), JOB_SCHEMA);
            // messages are validated against the schema's current revision only, not any older one
            assert.deepEqual(inputs(q.topic).schemaSettings, { schema: id(q.schema), encoding: "JSON", firstRevisionId: q.schema.outputs.revisionId }, r.name);
            assert.match(String(q.schema.outputs.revisionId), /^[0-9a-f]{8}$/);
            assert.deepEqual(deps(q.topic, "schemaSettings"), [q.schema.urn]);
            assert.equal(inputs(q.topic).messageRetentionDuration, `${r.jobs.messageRetentionSeconds}s`);
            assert.equal(inputs(q.dlTopic).messageRetentionDuration, `${r.jobs.deadLetterRetentionSeconds}s`);
            assert.equal(inputs(q.dlTopic).schemaSettings, undefined, "nothing forwarded to the dead-letter topic may be refused");
            assert.equal(inputs(q.topic).labels.component, "jobs-topic");
            assert.equal(inputs(q.dlTopic).labels.component, "jobs-dead-letter-topic");
            for (const t of [q.topic, q.dlTopic]) assert.equal(inputs(t).labels.region, r.name);
        }
    });

    it("pins both topics' message storage to the region's Pub/Sub location (a GCP region, also for aws regions)", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            const q = queueOf(g, names, r.name);
            assert.match(r.pubsubLocation, /^[a-z]+-[a-z]+\d+$/);
            if (r.cloud === "gcp") assert.equal(r.pubsubLocation, r.location);
            for (const t of [q.topic, q.dlTopic]) assert.deepEqual(inputs(t).messageStoragePolicy, { allowedPersistenceRegions: [r.pubsubLocation] }, `${t.name}`);
        }
    });

    it("no subscription anywhere lacks a dead-letter policy except the dead-letter subscriptions", async () => {
        const g = await fixtureGraph();
        const without = g.ofType(T.sub).filter((s) => inputs(s).deadLetterPolicy === undefined).map((s) => inputs(s).name as string);
        assert.deepEqual(without.sort(), regions.map((r) => names.deadLetterSubscription(r.name)).sort());
        for (const s of g.ofType(T.sub)) {
            const dl = inputs(s).deadLetterPolicy;
            if (dl) assert.ok(dl.deadLetterTopic && dl.maxDeliveryAttempts >= 5, s.name);
        }
    });

    it("obtains the Pub/Sub service agent once, from the project's service identity, and grants it exactly what dead-lettering needs", async () => {
        const g = await fixtureGraph();
        const agents = g.ofType(T.agent);
        assert.equal(agents.length, 1);
        const agent = agents[0];
        assert.equal(inputs(agent).service, "pubsub.googleapis.com");
        assert.equal(inputs(agent).project, world.gcpProject);
        assert.equal(agent.parent, g.ofType("globalgrid:tier:Global")[0].urn);
        const member = (agent.outputs as Inputs).member as string;
        const grants = iamGrants(g).filter((b) => inputs(b).member === member);
        assert.equal(grants.length, 2 * regions.length);
        for (const b of grants) assert.deepEqual(deps(b, "member"), [agent.urn], `${b.name} takes the agent from the service identity`);
        for (const r of regions) {
            const q = queueOf(g, names, r.name);
            const pub = grants.filter((b) => b.type === T.topicMember && inputs(b).topic === id(q.dlTopic));
            assert.equal(pub.length, 1, r.name);
            assert.equal(inputs(pub[0]).role, "roles/pubsub.publisher");
            assert.equal(pub[0].parent, q.component.urn);
            const subr = grants.filter((b) => b.type === T.subMember && inputs(b).subscription === id(q.sub));
            assert.equal(subr.length, 1, r.name);
            assert.equal(inputs(subr[0]).role, "roles/pubsub.subscriber");
            assert.deepEqual(deps(subr[0], "subscription"), [q.sub.urn]);
            // forwarding works from the first message: the publisher grant exists before the dead-letter policy
            assert.ok(q.sub.dependencies.includes(pub[0].urn), r.name);
        }
    });

    it("lets the dispatcher publish to every region's jobs topic and nothing else", async () => {
        const g = await fixtureGraph();
        const dispatcher = g.get(T.account, "dispatcher");
        const member = (dispatcher.outputs as Inputs).member as string;
        assert.equal(member, `serviceAccount:${names.dispatcherServiceAccount()}@${world.gcpProject}.iam.gserviceaccount.com`);
        const grants = iamGrants(g).filter((b) => inputs(b).member === member || deps(b, "member").includes(dispatcher.urn));
        for (const b of grants) {
            assert.equal(b.type, T.topicMember, `${b.name}: only topic-level grants`);
            assert.equal(inputs(b).role, "roles/pubsub.publisher", b.name);
        }
        const topics = grants.map((b) => inputs(b).topic as string).sort();
        assert.deepEqual(topics, regions.map((r) => id(queueOf(g, names, r.name).topic)).sort());
    });

    it("alerts on any dead letter and on backlog age over the start SLA, routed to the stack's channels", async () => {
        const g = await fixtureGraph();
        const channels = g.ofType(T.channel).map(id);
        assert.equal(channels.length, world.alertEmails.length);
        for (const r of regions) {
            const q = queueOf(g, names, r.name);
            const alerts = g.children(q.component.urn).filter((c) => c.type === T.alert);
            assert.equal(alerts.length, 2, r.name);
            const [dl] = alerts.filter((a) => a.name === `${r.name}-jobs-dead-letter-alert`);
            const [sla] = alerts.filter((a) => a.name === `${r.name}-jobs-start-sla-alert`);
            const cond = (a: RecordedResource) => {
                assert.equal(inputs(a).conditions.length, 1);
                return inputs(a).conditions[0].conditionThreshold;
            };
            const subFilter = (s: RecordedResource, metric: string) =>
                `resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "${inputs(s).name}" AND metric.type = "pubsub.googleapis.com/subscription/${metric}"`;

            assert.equal(cond(dl).filter, subFilter(q.dlSub, "num_undelivered_messages"));
            assert.equal(cond(dl).comparison, "COMPARISON_GT");
            assert.equal(cond(dl).thresholdValue, 0, "one dead letter is enough");
            assert.ok(deps(dl, "conditions").includes(q.dlSub.urn));

            assert.equal(cond(sla).filter, subFilter(q.sub, "oldest_unacked_message_age"));
            assert.equal(cond(sla).comparison, "COMPARISON_GT");
            assert.equal(cond(sla).thresholdValue, r.jobs.startSlaSeconds, r.name);
            assert.ok(deps(sla, "conditions").includes(q.sub.urn));

            for (const a of [dl, sla]) {
                assert.equal(inputs(a).project, world.gcpProject);
                assert.deepEqual(inputs(a).notificationChannels, channels, a.name);
                const doc = inputs(a).documentation;
                assert.equal(doc.mimeType, "text/markdown");
                assert.match(doc.content, /What to do:\n1\. /, a.name);
                assert.ok((doc.content as string).includes(r.name));
            }
            assert.ok((inputs(dl).documentation.content as string).includes(inputs(q.dlSub).name));
        }
    });

    it("protects both topics and both subscriptions exactly in prod", async () => {
        const g = await fixtureGraph();
        for (const r of regions) {
            assert.equal(r.protect, world.environment === "prod");
            const q = queueOf(g, names, r.name);
            for (const res of [q.topic, q.sub, q.dlTopic, q.dlSub]) assert.equal(res.protect, world.environment === "prod", res.name);
        }
    });

    it("exports each region's topic, subscription and dead-letter subscription ids", async () => {
        const g = await fixtureGraph();
        const out = g.graph.outputs.regions as Record<string, Inputs>;
        for (const r of regions) {
            const q = queueOf(g, names, r.name);
            assert.equal(out[r.name].jobsTopic, id(q.topic));
            assert.equal(out[r.name].jobsSubscription, id(q.sub));
            assert.equal(out[r.name].deadLetterSubscription, id(q.dlSub));
            assert.equal(out[r.name].jobsTopic, `projects/${world.gcpProject}/topics/${names.jobsTopic(r.name)}`);
        }
    });

    it("lifts protection of a prod region marked for decommission, and only of that region", async () => {
        const raw = loadWorldDocument("prod") as Record<string, any>;
        raw.continents.eu.regions.par.decommission = true;
        const world = parseWorld(raw);
        const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
        const run = await runStack({ stack: "prod", world: raw });
        assert.equal(run.error, undefined);
        const { GraphIndex } = await import("../engine/graph");
        const g = new GraphIndex(run);
        for (const r of allRegions(world)) {
            const q = queueOf(g, names, r.name);
            for (const res of [q.topic, q.sub, q.dlTopic, q.dlSub]) assert.equal(res.protect, r.name !== "par", res.name);
        }
    });

    describe("config validation", () => {
        const staging = () => structuredClone(loadWorldDocument("staging")) as Record<string, any>;
        const issuesOf = configProblems;
        const DAY31 = 31 * 24 * 3600;

        const outOfRange: [string, number, string][] = [
            ["ackDeadlineSeconds", 9, "must be 10..600"],
            ["ackDeadlineSeconds", 601, "must be 10..600"],
            ["maxDeliveryAttempts", 4, "must be 5..100"],
            ["maxDeliveryAttempts", 101, "must be 5..100"],
            ["minBackoffSeconds", -1, "must be 0..600"],
            ["maxBackoffSeconds", 601, "must be 0..600"],
            ["messageRetentionSeconds", 599, `must be 600..${DAY31}`],
            ["messageRetentionSeconds", DAY31 + 1, `must be 600..${DAY31}`],
            ["deadLetterRetentionSeconds", 599, `must be 600..${DAY31}`],
            ["deadLetterRetentionSeconds", DAY31 + 1, `must be 600..${DAY31}`],
            ["startSlaSeconds", 0, "must be a positive number of seconds"],
            ["startSlaSeconds", -30, "must be a positive number of seconds"],
        ];
        for (const [field, value, message] of outOfRange) {
            for (const where of ["defaults.region.jobs", "continents.na.regions.was.jobs"]) {
                it(`rejects ${field} = ${value} at ${where}.${field}`, () => {
                    const raw = staging();
                    if (where.startsWith("defaults")) setPath(raw, `${where}.${field}`, value);
                    else raw.continents.na.regions.was.jobs = { [field]: value };
                    assert.deepEqual(issuesOf(raw), [{ path: `${where}.${field}`, message }]);
                });
            }
        }

        it("rejects a minimum backoff above the maximum, at the path that set it, with both values", () => {
            const raw = staging();
            raw.continents.eu.regions.fra.jobs = { minBackoffSeconds: 120, maxBackoffSeconds: 60 };
            assert.deepEqual(issuesOf(raw), [{ path: "continents.eu.regions.fra.jobs.minBackoffSeconds", message: "minBackoffSeconds 120 is greater than maxBackoffSeconds 60" }]);
        });

        it("rejects dead letters kept for less time than the jobs", () => {
            const raw = staging();
            setPath(raw, "defaults.region.jobs.deadLetterRetentionSeconds", 3600);
            const issues = issuesOf(raw);
            assert.equal(issues.length, 1);
            assert.equal(issues[0].path, "defaults.region.jobs.deadLetterRetentionSeconds");
            assert.match(issues[0].message, /deadLetterRetentionSeconds 3600 is shorter than messageRetentionSeconds 604800/);
        });

        it("rejects an ack deadline that cannot cover the soft job limit plus the supervisor's grace, naming both paths and values once", () => {
            const raw = staging();
            raw.continents.eu.regions.fra.jobs = { ackDeadlineSeconds: 300 };
            // fra has two data centers on the default soft limit: one issue, not one per data center
            assert.deepEqual(issuesOf(raw), [
                {
                    path: "defaults.dataCenter.jobGrid.softTimeLimitSeconds",
                    message: `softTimeLimitSeconds 300 needs ackDeadlineSeconds >= ${300 + ACK_GRACE_SECONDS} (soft limit + ${ACK_GRACE_SECONDS}s grace), but continents.eu.regions.fra.jobs.ackDeadlineSeconds is 300`,
                },
            ]);
        });

        it("accepts an ack deadline of exactly the soft limit plus the grace", () => {
            const raw = staging();
            setPath(raw, "defaults.region.jobs.ackDeadlineSeconds", 300 + ACK_GRACE_SECONDS);
            assert.deepEqual(issuesOf(raw), []);
            const fra = allRegions(parseWorld(raw)).find((r: Region) => r.name === "fra");
            assert.equal(fra?.jobs.ackDeadlineSeconds, 330);
        });

        it("registers nothing besides the stack root when a jobs value is invalid", async () => {
            const raw = staging();
            raw.continents.na.regions.was.jobs = { maxDeliveryAttempts: 200 };
            const g = await runStack({ stack: "staging", world: raw });
            assert.ok(g.error instanceof WorldConfigError, String(g.error));
            assert.match(g.error.message, /continents\.na\.regions\.was\.jobs\.maxDeliveryAttempts: must be 5\.\.100/);
            assert.deepEqual(programResources(g), []);
            assert.deepEqual(g.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
        });
    });
});
