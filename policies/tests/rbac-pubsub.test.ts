import { strict as assert } from "assert";
import { pubsubDeadLetter, pubsubDeadLetterTopics, pubsubRetry } from "../rules/pubsub";
import { rbacNoClusterAdmin, rbacNoWildcards, scalerRoleScoped, scalerTargetIgnoresReplicas } from "../rules/rbac-scalers";
import { deployment, K8S, res, violations } from "./support/fixtures";

const scaleRule = (names?: string[]) => ({ apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update", "patch"], ...(names ? { resourceNames: names } : {}) });
const role = (name: string, rules: unknown[], ns = "dc-fra1") => res(K8S.role, name, { metadata: { name, namespace: ns }, rules });

describe("policies: RBAC and scalers", () => {
    it("rbac-no-wildcards", async () => {
        assert.deepEqual(await violations(rbacNoWildcards, [role("admin", [{ apiGroups: ["*"], resources: ["pods"], verbs: ["*"] }])]), [
            ['Role "admin" rule 0 uses a wildcard in verbs', "admin"],
            ['Role "admin" rule 0 uses a wildcard in apiGroups', "admin"],
        ]);
        assert.deepEqual(await violations(rbacNoWildcards, [role("scaler", [scaleRule(["warm-pool"])])]), []);
    });

    it("rbac-no-cluster-admin", async () => {
        const binding = (name: string, roleName: string) => res(K8S.roleBinding, name, { metadata: { name }, roleRef: { kind: "ClusterRole", name: roleName }, subjects: [] });
        assert.deepEqual(await violations(rbacNoClusterAdmin, [binding("god", "cluster-admin")]), [['RoleBinding "god" binds cluster-admin', "god"]]);
        assert.deepEqual(await violations(rbacNoClusterAdmin, [binding("scaler", "scaler")]), []);
    });

    it("scaler-role-resource-names: scale rights only on named targets", async () => {
        const bad = role("scaler", [scaleRule(), { apiGroups: ["apps"], resources: ["deployments", "deployments/scale"], verbs: ["update"], resourceNames: ["x"] }, { apiGroups: [""], resources: ["pods"], verbs: ["delete"] }]);
        assert.deepEqual(await violations(scalerRoleScoped, [bad]), [
            ['Role "scaler" rule 0 is not limited by resourceNames', "scaler"],
            ['Role "scaler" rule 1 also writes deployments', "scaler"],
            ['Role "scaler" rule 2 is not limited by resourceNames', "scaler"],
            ['Role "scaler" rule 2 also writes pods', "scaler"],
        ]);
        assert.deepEqual(await violations(scalerRoleScoped, [role("scaler", [scaleRule(["warm-pool"]), { apiGroups: [""], resources: ["pods"], verbs: ["list"] }])]), []);
        assert.deepEqual(await violations(scalerRoleScoped, [role("reader", [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }])]), []);
        assert.deepEqual(await violations(scalerRoleScoped, [role("scaler", [scaleRule(["warm-pool"]), { apiGroups: [""], resources: ["secrets", "pods"], verbs: ["get", "list"] }])]), [
            ['Role "scaler" rule 1 reads secrets; a scaler reads only pods', "scaler"],
        ]);
    });

    it("scaler-target-ignore-replicas: the target Deployment lets the scaler own spec.replicas", async () => {
        const target = (ignoreChanges: string[]) => res(K8S.deployment, "fra1-warm", deployment("warm-pool", { namespace: "dc-fra1" }), { ignoreChanges });
        const scaler = role("fra1-scaler", [scaleRule(["warm-pool", "gone"])]);
        assert.deepEqual(await violations(scalerTargetIgnoresReplicas, [scaler, target([])]), [
            ['Deployment "warm-pool" is scaled by Role "fra1-scaler" but does not ignore changes to spec.replicas', "fra1-warm"],
            ['Role "fra1-scaler" scales Deployment "gone", which is not in namespace "dc-fra1" of its cluster', "fra1-scaler"],
        ]);
        assert.deepEqual(await violations(scalerTargetIgnoresReplicas, [role("fra1-scaler", [scaleRule(["warm-pool"])]), target(["spec.replicas"])]), []);
    });
});

const T = "gcp:pubsub/topic:Topic";
const S = "gcp:pubsub/subscription:Subscription";
const AGENT = "serviceAccount:service-418203395521@gcp-sa-pubsub.iam.gserviceaccount.com";
const urn = (type: string, name: string) => `urn:pulumi:test::globalgrid::${type}::${name}`;

/** jobs topic + subscription dead-lettering to jobs-dlq, which has its own subscription and the agent's IAM. */
function queue(opts: { deadLetter?: Record<string, unknown> | null; retry?: boolean; dlqSubscription?: boolean; iam?: boolean } = {}) {
    const dlp = opts.deadLetter === null ? {} : { deadLetterPolicy: opts.deadLetter ?? { deadLetterTopic: "projects/p/topics/jobs-dlq", maxDeliveryAttempts: 10 } };
    const out = [
        res(T, "jobs", { name: "jobs" }),
        res(T, "jobs-dlq", { name: "jobs-dlq" }),
        res(S, "jobs", { name: "jobs", topic: "projects/p/topics/jobs", ...dlp, ...(opts.retry === false ? {} : { retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" } }) }, {
            propertyDependencies: { topic: [urn(T, "jobs")], ...(opts.deadLetter === null ? {} : { deadLetterPolicy: [urn(T, "jobs-dlq")] }) },
        }),
    ];
    if (opts.dlqSubscription !== false) out.push(res(S, "jobs-dlq", { name: "jobs-dlq", topic: "projects/p/topics/jobs-dlq" }, { propertyDependencies: { topic: [urn(T, "jobs-dlq")] } }));
    if (opts.iam !== false) {
        out.push(res("gcp:pubsub/topicIAMMember:TopicIAMMember", "dlq-pub", { topic: "projects/p/topics/jobs-dlq", role: "roles/pubsub.publisher", member: AGENT }));
        out.push(res("gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember", "jobs-sub", { subscription: "jobs", role: "roles/pubsub.subscriber", member: AGENT }));
    }
    return out;
}

describe("policies: Pub/Sub", () => {
    it("pubsub-dead-letter-policy: every non-sink subscription dead-letters, attempts in range", async () => {
        // without the dead-letter relationship, jobs-dlq is an ordinary topic and its subscription needs one too
        assert.deepEqual(await violations(pubsubDeadLetter, queue({ deadLetter: null })), [
            ['Subscription "jobs" has no dead-letter policy', "jobs"],
            ['Subscription "jobs-dlq" has no dead-letter policy', "jobs-dlq"],
        ]);
        assert.deepEqual(await violations(pubsubDeadLetter, queue({ deadLetter: { deadLetterTopic: "projects/p/topics/jobs-dlq", maxDeliveryAttempts: 200 } })), [
            ['Subscription "jobs" dead-letters after 200 attempts; allowed 5..100', "jobs"],
        ]);
        const config = { "pubsub-dead-letter-policy": { maxDeliveryAttempts: 8 } };
        assert.deepEqual(await violations(pubsubDeadLetter, queue(), config), [['Subscription "jobs" dead-letters after 10 attempts; allowed 5..8', "jobs"]]);
        // the dead-letter sink's own subscription needs no dead-letter policy
        assert.deepEqual(await violations(pubsubDeadLetter, queue()), []);
    });

    it("pubsub-retry-policy: exponential backoff on non-sink subscriptions", async () => {
        assert.deepEqual(await violations(pubsubRetry, queue({ retry: false })), [['Subscription "jobs" has no retry policy with minimum and maximum backoff', "jobs"]]);
        assert.deepEqual(await violations(pubsubRetry, queue()), []);
    });

    it("pubsub-dead-letter-topic: dead letters are kept and the service agent can move them", async () => {
        assert.deepEqual(await violations(pubsubDeadLetterTopics, queue({ dlqSubscription: false, iam: false })), [
            ['dead-letter Topic "jobs-dlq" has no subscription', "jobs-dlq"],
            ['the Pub/Sub service agent cannot publish to dead-letter Topic "jobs-dlq"', "jobs-dlq"],
            ['the Pub/Sub service agent cannot subscribe to Subscription "jobs" to forward its dead letters', "jobs"],
        ]);
        const missingTopic = queue({ deadLetter: { deadLetterTopic: "projects/p/topics/nowhere", maxDeliveryAttempts: 10 } });
        missingTopic[2].propertyDependencies = {};
        assert.deepEqual(await violations(pubsubDeadLetterTopics, missingTopic), [['Subscription "jobs" dead-letters to topic "nowhere", which is not in the stack', "jobs"]]);
        assert.deepEqual(await violations(pubsubDeadLetterTopics, queue()), []);
    });
});
