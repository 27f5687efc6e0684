import * as grpc from "@grpc/grpc-js";
import { v1 } from "@google-cloud/pubsub";

export type Subscriber = InstanceType<typeof v1.SubscriberClient>;

/**
 * The generated google.pubsub.v1.Subscriber client on the regional endpoint
 * (`<pubsubLocation>-pubsub.googleapis.com`, https://cloud.google.com/pubsub/docs/reference/service_apis_overview#pubsub_endpoints),
 * so pulls are served in the region that stores the messages. Credentials are Application Default
 * Credentials: GOOGLE_APPLICATION_CREDENTIALS names the external-account config the pod mounts
 * (workload identity federation with the projected ServiceAccount token), no key.
 *
 * Like @google-cloud/pubsub's own emulator rule (PubSub.determineBaseUrl_), an endpoint that is not
 * a `*.googleapis.com` host is an emulator or test server and is reached without TLS or credentials.
 */
export function subscriberClient(endpoint: string): Subscriber {
    const [host, port] = endpoint.split(":");
    if (host.endsWith(".googleapis.com")) {
        return new v1.SubscriberClient({ apiEndpoint: host, port: port ? Number(port) : 443 });
    }
    return new v1.SubscriberClient({ apiEndpoint: host, port: Number(port ?? 8085), sslCreds: grpc.credentials.createInsecure() });
}
