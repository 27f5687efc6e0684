import * as grpc from "@grpc/grpc-js";
import { MetricServiceClient } from "@google-cloud/monitoring";
import type { BacklogSignal } from "./scaling";

export const UNDELIVERED = "pubsub.googleapis.com/subscription/num_undelivered_messages";
export const OLDEST_UNACKED_AGE = "pubsub.googleapis.com/subscription/oldest_unacked_message_age";
/**
 * Pub/Sub subscription metrics are sampled every 60 s and appear up to 120 s later
 * (https://cloud.google.com/monitoring/api/metrics_gcp_p_z#gcp-pubsub), so the scaler reads the
 * newest point of the last LOOKBACK_SECONDS.
 */
export const LOOKBACK_SECONDS = 300;

/** Cloud Monitoring's client; a non-googleapis endpoint (a test server) is reached without TLS. */
export function metricClient(endpoint?: string): MetricServiceClient {
    if (!endpoint) return new MetricServiceClient();
    const [host, port] = endpoint.split(":");
    return new MetricServiceClient({ apiEndpoint: host, port: Number(port), sslCreds: grpc.credentials.createInsecure() });
}

/** The newest value of one subscription metric, or undefined when Monitoring has no point yet. */
async function latest(client: MetricServiceClient, project: string, metricType: string, subscriptionId: string, now: number): Promise<number | undefined> {
    const [series] = await client.listTimeSeries(
        {
            name: `projects/${project}`,
            filter: `metric.type = "${metricType}" AND resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "${subscriptionId}"`,
            interval: { startTime: { seconds: Math.floor(now / 1000) - LOOKBACK_SECONDS }, endTime: { seconds: Math.ceil(now / 1000) } },
            view: "FULL",
        },
        { autoPaginate: true },
    );
    const points = series.flatMap((s) => s.points ?? []);
    // points come newest first
    const v = points[0]?.value;
    if (!v) return undefined;
    return Number(v.int64Value ?? v.doubleValue ?? 0);
}

/** The backlog of `projects/<p>/subscriptions/<id>`; undefined when either metric has no data. */
export async function readBacklog(client: MetricServiceClient, project: string, subscription: string, now = Date.now()): Promise<BacklogSignal | undefined> {
    const id = subscription.split("/").pop()!;
    const [undelivered, age] = await Promise.all([latest(client, project, UNDELIVERED, id, now), latest(client, project, OLDEST_UNACKED_AGE, id, now)]);
    if (undelivered === undefined) return undefined;
    return { undelivered, oldestUnackedAgeSeconds: age ?? 0 };
}
