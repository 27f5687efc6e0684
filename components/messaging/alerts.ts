import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

/** What both job-queue alert policies need. */
export interface QueueAlertArgs {
    /** GCP project holding the subscriptions and the policies */
    project: string;
    /** region name, for titles and documentation */
    region: string;
    /** notification channel ids (the stack's on-call channels from the global tier) */
    channels: pulumi.Input<string>[];
    userLabels: Record<string, string>;
}

/** Cloud Monitoring filter for one Pub/Sub subscription metric; the id is the subscription's short name. */
export const subscriptionMetricFilter = (metric: string, subscriptionName: pulumi.Input<string>): pulumi.Output<string> =>
    pulumi.interpolate`resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "${subscriptionName}" AND metric.type = "pubsub.googleapis.com/subscription/${metric}"`;

/** A condition that fires on the first minute a subscription metric's maximum exceeds `threshold`. */
const above = (metric: string, subscriptionName: pulumi.Input<string>, threshold: number): gcp.types.input.monitoring.AlertPolicyConditionConditionThreshold => ({
    filter: subscriptionMetricFilter(metric, subscriptionName),
    comparison: "COMPARISON_GT",
    thresholdValue: threshold,
    duration: "0s",
    aggregations: [{ alignmentPeriod: "60s", perSeriesAligner: "ALIGN_MAX" }],
    trigger: { count: 1 },
});

/** Fires as soon as one message sits unacked in the dead-letter subscription. */
export function deadLetterAlert(
    name: string,
    args: QueueAlertArgs & { deadLetterSubscription: gcp.pubsub.Subscription; jobsSubscriptionName: pulumi.Input<string>; maxDeliveryAttempts: number },
    opts: pulumi.CustomResourceOptions,
): gcp.monitoring.AlertPolicy {
    const dl = args.deadLetterSubscription;
    return new gcp.monitoring.AlertPolicy(
        name,
        {
            project: args.project,
            displayName: `globalgrid ${args.region}: jobs in the dead-letter queue`,
            combiner: "OR",
            severity: "ERROR",
            conditions: [
                {
                    displayName: pulumi.interpolate`${dl.name} holds undelivered messages`,
                    conditionThreshold: above("num_undelivered_messages", dl.name, 0),
                },
            ],
            notificationChannels: args.channels,
            alertStrategy: { autoClose: "86400s" },
            documentation: {
                mimeType: "text/markdown",
                subject: `[globalgrid ${args.region}] jobs dead-lettered`,
                content: pulumi.interpolate`Jobs of region **${args.region}** failed ${args.maxDeliveryAttempts} delivery attempts on \`${args.jobsSubscriptionName}\` and were moved to \`${dl.name}\`, which keeps them (nothing is dropped).

What to do:
1. Pull a few messages from \`${dl.name}\` **without acking** (\`gcloud pubsub subscriptions pull ${dl.name} --project ${args.project} --limit 5\`) and read the \`CloudPubSubDeadLetterSourceDeliveryCount\` attribute and the payload.
2. Check the job-grid pods' supervisor logs in the region's data centers for those job ids (timeouts past the soft limit, crashes, a bad deploy of the site's code).
3. Fix the cause, then replay: republish the messages to the jobs topic (jobs are idempotent by \`jobId\`) and only then ack them here. The alert closes when the subscription is empty.`,
            },
            userLabels: args.userLabels,
        },
        opts,
    );
}

/** Fires when the grid subscription's oldest unacked job has waited longer than the start SLA. */
export function backlogAgeAlert(
    name: string,
    args: QueueAlertArgs & { jobsSubscription: gcp.pubsub.Subscription; startSlaSeconds: number },
    opts: pulumi.CustomResourceOptions,
): gcp.monitoring.AlertPolicy {
    const sub = args.jobsSubscription;
    return new gcp.monitoring.AlertPolicy(
        name,
        {
            project: args.project,
            displayName: `globalgrid ${args.region}: jobs start later than the ${args.startSlaSeconds}s SLA`,
            combiner: "OR",
            severity: "WARNING",
            conditions: [
                {
                    displayName: pulumi.interpolate`oldest unacked message on ${sub.name} older than ${args.startSlaSeconds}s`,
                    conditionThreshold: above("oldest_unacked_message_age", sub.name, args.startSlaSeconds),
                },
            ],
            notificationChannels: args.channels,
            alertStrategy: { autoClose: "3600s" },
            documentation: {
                mimeType: "text/markdown",
                subject: `[globalgrid ${args.region}] job backlog older than the start SLA`,
                content: pulumi.interpolate`Jobs in region **${args.region}** wait more than ${args.startSlaSeconds}s before a job-grid pod picks them up (subscription \`${sub.name}\`).

What to do:
1. Check the job-grid scalers and Deployments of the region's data centers: are replicas at \`maxReplicas\`, are pods Pending (node pool \`job-grid\` at its max nodes, quota)?
2. If the grid is at its limits, raise \`jobGrid.maxReplicas\` / \`jobGrid.nodes.maxNodes\` for the region in the stack config and \`pulumi up\`.
3. If pods run but do not pull, check the supervisors' logs and their Pub/Sub permissions. The alert closes once the oldest job is younger than the SLA.`,
            },
            userLabels: args.userLabels,
        },
        opts,
    );
}
