import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { Region } from "../config/model";
import { gcpLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import type { ProjectApis } from "../project/services";
import { backlogAgeAlert, deadLetterAlert } from "./alerts";
import { JOB_SCHEMA_ENCODING, jobSchemaDefinition } from "./job-schema";

export interface JobQueueArgs {
    /** the GCP project the topics, subscriptions and alerts live in (also for aws regions) */
    project: string;
    /** physical names of the topics and subscriptions */
    names: Names;
    /** the effective region; its `jobs` settings are already validated (config/rules.ts) */
    region: Region;
    /** where the queue sits in the world (labels) */
    placement: Placement;
    /** the project's Pub/Sub service agent (created once in the global tier) */
    pubsubAgent: gcp.projects.ServiceIdentity;
    /** the job dispatcher's service account (global tier); gets publish on the jobs topic only */
    dispatcher: gcp.serviceaccount.Account;
    /** notification channel ids the alerts are routed to */
    notificationChannels: pulumi.Input<string>[];
    /** the project's enabled APIs (global tier) */
    apis: ProjectApis;
}

const seconds = (n: number) => `${n}s`;
/** `ttl: ""` means never: a pull subscription idle for 31 days would otherwise be deleted with its backlog. */
const NEVER_EXPIRE = { ttl: "" };
/** dead letters are pulled by an operator, never by a grid: give them time to be read before redelivery */
const DEAD_LETTER_ACK_DEADLINE_SECONDS = 600;

/**
 * A region's job queue: jobs topic (Avro schema, storage pinned to the region) > grid pull
 * subscription (retry with exponential backoff, dead-letter policy) > dead-letter topic > dead-letter
 * subscription that keeps every dead letter for inspection and replay; the Pub/Sub service agent's
 * IAM for dead-lettering; the dispatcher's publish right; alerts on dead letters and on the start SLA.
 * All Pub/Sub lives in the world's GCP project, also for aws regions (stored in `pubsubLocation`).
 *
 * Ack design (supervisor): the job supervisor pulls one message, runs the job up to the soft time
 * limit, and acks when it ends; it also extends the lease while the job runs, but a lost extension must not cost the job. So the ack deadline must cover the soft
 * limit plus ACK_GRACE_SECONDS to stop the job and ack, otherwise Pub/Sub redelivers a job that is
 * still running and counts it as a failed attempt toward the dead-letter queue. config/rules.ts
 * rejects `ackDeadlineSeconds < softTimeLimitSeconds + ACK_GRACE_SECONDS` for every data center,
 * naming both paths and values. A nack or a missed deadline retries with exponential backoff
 * (minBackoffSeconds..maxBackoffSeconds); after maxDeliveryAttempts the message is dead-lettered.
 */
export class JobQueue extends pulumi.ComponentResource {
    readonly schema: gcp.pubsub.Schema;
    readonly topic: gcp.pubsub.Topic;
    /** the job grid's pull subscription (the grid grants its own subscriber right on it) */
    readonly subscription: gcp.pubsub.Subscription;
    readonly deadLetterTopic: gcp.pubsub.Topic;
    readonly deadLetterSubscription: gcp.pubsub.Subscription;
    readonly alerts: { deadLetters: gcp.monitoring.AlertPolicy; startSla: gcp.monitoring.AlertPolicy };

    constructor(name: string, args: JobQueueArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:messaging:JobQueue", name, {}, opts);
        const { project, names, region, placement } = args;
        const jobs = region.jobs;
        const r = region.name;
        const pubsub = { parent: this, dependsOn: args.apis.after("pubsub") };
        const stateful = { ...pubsub, protect: region.protect };
        // Storage only: transit is not enforced because the dispatcher publishes from the global
        // tier and aws grids pull through the global endpoint.
        const messageStoragePolicy = { allowedPersistenceRegions: [region.pubsubLocation] };

        this.schema = new gcp.pubsub.Schema(
            `${r}-job-schema`,
            { name: names.jobSchema(r), project, type: "AVRO", definition: jobSchemaDefinition() },
            stateful,
        );
        this.topic = new gcp.pubsub.Topic(
            `${r}-jobs`,
            {
                name: names.jobsTopic(r),
                project,
                labels: gcpLabels("jobs-topic", placement),
                messageStoragePolicy,
                messageRetentionDuration: seconds(jobs.messageRetentionSeconds),
                // validated against the current revision only (job-schema.ts): never an older, laxer one
                schemaSettings: { schema: this.schema.id, encoding: JOB_SCHEMA_ENCODING, firstRevisionId: this.schema.revisionId },
            },
            stateful,
        );

        // No schema on the dead-letter topic: nothing the service agent forwards may be refused.
        this.deadLetterTopic = new gcp.pubsub.Topic(
            `${r}-jobs-dead-letter`,
            {
                name: names.deadLetterTopic(r),
                project,
                labels: gcpLabels("jobs-dead-letter-topic", placement),
                messageStoragePolicy,
                messageRetentionDuration: seconds(jobs.deadLetterRetentionSeconds),
            },
            stateful,
        );
        // Exists before the grid subscription points at the topic: a topic without subscriptions drops messages.
        this.deadLetterSubscription = new gcp.pubsub.Subscription(
            `${r}-jobs-dead-letter-keep`,
            {
                name: names.deadLetterSubscription(r),
                project,
                topic: this.deadLetterTopic.id,
                labels: gcpLabels("jobs-dead-letter-subscription", placement),
                ackDeadlineSeconds: DEAD_LETTER_ACK_DEADLINE_SECONDS,
                messageRetentionDuration: seconds(jobs.deadLetterRetentionSeconds),
                // acked dead letters stay seekable for replay until retention ends
                retainAckedMessages: true,
                expirationPolicy: NEVER_EXPIRE,
            },
            stateful,
        );
        const agentPublishesDeadLetters = new gcp.pubsub.TopicIAMMember(
            `${r}-dead-letter-agent-publisher`,
            { project, topic: this.deadLetterTopic.id, role: "roles/pubsub.publisher", member: args.pubsubAgent.member },
            pubsub,
        );

        this.subscription = new gcp.pubsub.Subscription(
            `${r}-jobs-grid`,
            {
                name: names.jobsSubscription(r),
                project,
                topic: this.topic.id,
                labels: gcpLabels("jobs-subscription", placement),
                ackDeadlineSeconds: jobs.ackDeadlineSeconds,
                messageRetentionDuration: seconds(jobs.messageRetentionSeconds),
                retryPolicy: { minimumBackoff: seconds(jobs.minBackoffSeconds), maximumBackoff: seconds(jobs.maxBackoffSeconds) },
                deadLetterPolicy: { deadLetterTopic: this.deadLetterTopic.id, maxDeliveryAttempts: jobs.maxDeliveryAttempts },
                enableExactlyOnceDelivery: jobs.exactlyOnceDelivery,
                expirationPolicy: NEVER_EXPIRE,
            },
            { ...stateful, dependsOn: [...pubsub.dependsOn, this.deadLetterSubscription, agentPublishesDeadLetters] },
        );
        // The agent acks the original message after forwarding it to the dead-letter topic.
        new gcp.pubsub.SubscriptionIAMMember(
            `${r}-jobs-grid-agent-subscriber`,
            { project, subscription: this.subscription.id, role: "roles/pubsub.subscriber", member: args.pubsubAgent.member },
            pubsub,
        );
        new gcp.pubsub.TopicIAMMember(
            `${r}-jobs-dispatcher-publisher`,
            { project, topic: this.topic.id, role: "roles/pubsub.publisher", member: args.dispatcher.member },
            pubsub,
        );

        const monitoring = { parent: this, dependsOn: args.apis.after("monitoring") };
        const alertArgs = { project, region: r, channels: args.notificationChannels, userLabels: gcpLabels("jobs-alert", placement) };
        this.alerts = {
            deadLetters: deadLetterAlert(
                `${r}-jobs-dead-letter-alert`,
                { ...alertArgs, deadLetterSubscription: this.deadLetterSubscription, jobsSubscriptionName: this.subscription.name, maxDeliveryAttempts: jobs.maxDeliveryAttempts },
                monitoring,
            ),
            startSla: backlogAgeAlert(`${r}-jobs-start-sla-alert`, { ...alertArgs, jobsSubscription: this.subscription, startSlaSeconds: jobs.startSlaSeconds }, monitoring),
        };

        this.registerOutputs({ topic: this.topic.id, subscription: this.subscription.id, deadLetterTopic: this.deadLetterTopic.id, deadLetterSubscription: this.deadLetterSubscription.id });
    }
}

/** The per-region stack outputs of a job queue: full resource ids. */
export const jobQueueOutputs = (q: JobQueue) => ({
    jobsTopic: q.topic.id,
    jobsSubscription: q.subscription.id,
    deadLetterSubscription: q.deadLetterSubscription.id,
});
