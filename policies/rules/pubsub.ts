import type { PolicyResource, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { lastSegment, type Props } from "./util";

export const TOPIC = "gcp:pubsub/topic:Topic";
export const SUBSCRIPTION = "gcp:pubsub/subscription:Subscription";
const TOPIC_IAM = ["gcp:pubsub/topicIAMMember:TopicIAMMember", "gcp:pubsub/topicIAMBinding:TopicIAMBinding"];
const SUBSCRIPTION_IAM = ["gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember", "gcp:pubsub/subscriptionIAMBinding:SubscriptionIAMBinding"];
const SERVICE_AGENT = /^serviceAccount:service-\d+@gcp-sa-pubsub\.iam\.gserviceaccount\.com$/;

/** The resource of `type` that property `prop` of `r` refers to: by property dependency, else by name. */
function resolve(r: PolicyResource, prop: string, ref: unknown, candidates: PolicyResource[]): PolicyResource | undefined {
    const dep = (r.propertyDependencies[prop] ?? []).find((d) => candidates.includes(d));
    if (dep) return dep;
    const name = lastSegment(ref);
    return name ? candidates.find((c) => lastSegment(c.props.name) === name) : undefined;
}

const label = (r: PolicyResource) => `${r.type.split(":").pop()} "${r.props.name ?? r.name}"`;

interface QueueGraph {
    topics: PolicyResource[];
    subscriptions: PolicyResource[];
    /** source subscription -> its dead-letter topic (resolved or by name) */
    deadLetter: Map<PolicyResource, { topic?: PolicyResource; ref: string }>;
    isSink(sub: PolicyResource): boolean;
}

function queueGraph(args: StackValidationArgs): QueueGraph {
    const topics = args.resources.filter((r) => r.type === TOPIC);
    const subscriptions = args.resources.filter((r) => r.type === SUBSCRIPTION);
    const deadLetter = new Map<PolicyResource, { topic?: PolicyResource; ref: string }>();
    for (const s of subscriptions) {
        const ref = s.props.deadLetterPolicy?.deadLetterTopic;
        if (ref) deadLetter.set(s, { topic: resolve(s, "deadLetterPolicy", ref, topics), ref: lastSegment(ref) });
    }
    const dlqTopics = new Set([...deadLetter.values()].map((d) => d.topic).filter((t): t is PolicyResource => !!t));
    const dlqNames = new Set([...deadLetter.values()].map((d) => d.ref));
    const isSink = (sub: PolicyResource) => {
        const t = resolve(sub, "topic", sub.props.topic, topics);
        return t ? dlqTopics.has(t) : dlqNames.has(lastSegment(sub.props.topic));
    };
    return { topics, subscriptions, deadLetter, isSink };
}

const attempts = { type: "integer" as const, minimum: 5, maximum: 100 };

export const pubsubDeadLetter: StackValidationPolicy = {
    name: "pubsub-dead-letter-policy",
    description: "Every Pub/Sub subscription that is not itself a dead-letter sink has a dead-letter policy with max delivery attempts in range.",
    enforcementLevel: "mandatory",
    remediationSteps: "Give the subscription deadLetterPolicy {deadLetterTopic, maxDeliveryAttempts} (the region's `jobs.maxDeliveryAttempts`).",
    configSchema: {
        properties: {
            minDeliveryAttempts: { ...attempts, default: 5, description: "fewest delivery attempts before dead-lettering" },
            maxDeliveryAttempts: { ...attempts, default: 100, description: "most delivery attempts before dead-lettering" },
        },
    },
    validateStack: (args, report) => {
        const cfg = args.getConfig<{ minDeliveryAttempts: number; maxDeliveryAttempts: number }>();
        const q = queueGraph(args);
        for (const s of q.subscriptions) {
            if (q.isSink(s)) continue;
            const dlp = s.props.deadLetterPolicy as Props | undefined;
            if (!dlp?.deadLetterTopic) {
                report(`${label(s)} has no dead-letter policy`, s.urn);
                continue;
            }
            const n = dlp.maxDeliveryAttempts ?? 5;
            if (n < cfg.minDeliveryAttempts || n > cfg.maxDeliveryAttempts) {
                report(`${label(s)} dead-letters after ${n} attempts; allowed ${cfg.minDeliveryAttempts}..${cfg.maxDeliveryAttempts}`, s.urn);
            }
        }
    },
};

export const pubsubRetry: StackValidationPolicy = {
    name: "pubsub-retry-policy",
    description: "Every Pub/Sub subscription that is not a dead-letter sink retries with exponential backoff (a retry policy with minimum and maximum backoff).",
    enforcementLevel: "mandatory",
    remediationSteps: "Give the subscription retryPolicy {minimumBackoff, maximumBackoff} from the region's `jobs` settings.",
    validateStack: (args, report) => {
        const q = queueGraph(args);
        for (const s of q.subscriptions) {
            if (q.isSink(s)) continue;
            const rp = s.props.retryPolicy as Props | undefined;
            if (!rp?.minimumBackoff || !rp?.maximumBackoff) report(`${label(s)} has no retry policy with minimum and maximum backoff`, s.urn);
        }
    },
};

const grants = (iam: PolicyResource, role: string) =>
    iam.props.role === role && [iam.props.member, ...((iam.props.members ?? []) as string[])].some((m) => SERVICE_AGENT.test(String(m ?? "")));

export const pubsubDeadLetterTopics: StackValidationPolicy = {
    name: "pubsub-dead-letter-topic",
    description:
        "Every dead-letter topic is in the stack and has a subscription (dead letters are kept, not lost); the Pub/Sub service agent may publish to it and subscribe to the source subscription.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Create a subscription on the dead-letter topic, grant the Pub/Sub service agent roles/pubsub.publisher on the topic and roles/pubsub.subscriber on the source subscription.",
    validateStack: (args, report) => {
        const q = queueGraph(args);
        const topicIam = args.resources.filter((r) => TOPIC_IAM.includes(r.type));
        const subIam = args.resources.filter((r) => SUBSCRIPTION_IAM.includes(r.type));
        for (const [source, dl] of q.deadLetter) {
            if (!dl.topic) {
                report(`${label(source)} dead-letters to topic "${dl.ref}", which is not in the stack`, source.urn);
                continue;
            }
            const topic = dl.topic;
            if (!q.subscriptions.some((s) => resolve(s, "topic", s.props.topic, q.topics) === topic)) report(`dead-letter ${label(topic)} has no subscription`, topic.urn);
            if (!topicIam.some((b) => resolve(b, "topic", b.props.topic, q.topics) === topic && grants(b, "roles/pubsub.publisher"))) {
                report(`the Pub/Sub service agent cannot publish to dead-letter ${label(topic)}`, topic.urn);
            }
            if (!subIam.some((b) => resolve(b, "subscription", b.props.subscription, q.subscriptions) === source && grants(b, "roles/pubsub.subscriber"))) {
                report(`the Pub/Sub service agent cannot subscribe to ${label(source)} to forward its dead letters`, source.urn);
            }
        }
    },
};

export const pubsubPolicies = [pubsubDeadLetter, pubsubRetry, pubsubDeadLetterTopics];
