import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import type { Props } from "./util";

export const REQUIRED_K8S_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "globalgrid.dev/tier"];
export const REQUIRED_GCP_LABELS = ["part-of", "managed-by", "component", "tier"];
export const REQUIRED_AWS_TAGS = ["app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "app.kubernetes.io/component", "globalgrid.dev/tier"];

/** Where each labelled cloud type keeps its labels; types not listed are checked when they carry `labels`/`tags`. */
const GCP_LABEL_FIELD: Record<string, string> = {
    "gcp:container/cluster:Cluster": "resourceLabels",
    "gcp:pubsub/topic:Topic": "labels",
    "gcp:pubsub/subscription:Subscription": "labels",
    "gcp:dns/managedZone:ManagedZone": "labels",
    "gcp:artifactregistry/repository:Repository": "labels",
    "gcp:storage/bucket:Bucket": "labels",
    "gcp:certificatemanager/trustConfig:TrustConfig": "labels",
    "gcp:networksecurity/serverTlsPolicy:ServerTlsPolicy": "labels",
    "gcp:monitoring/alertPolicy:AlertPolicy": "userLabels",
    // its `labels` are the channel's settings (email_address), not resource labels
    "gcp:monitoring/notificationChannel:NotificationChannel": "userLabels",
};
const AWS_TAGGED = new Set(["aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:ec2/vpc:Vpc", "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:kms/key:Key"]);

const isK8sObject = (type: string) => type.startsWith("kubernetes:") && !type.startsWith("kubernetes:yaml") && !type.startsWith("kubernetes:helm") && !type.includes("/v2:Chart");

function missingLabels(args: ResourceValidationArgs): { where: string; missing: string[] } | undefined {
    const { type, props } = args;
    const missing = (have: Props | undefined, keys: string[]) => keys.filter((k) => !have || have[k] === undefined);
    if (isK8sObject(type)) return { where: "metadata.labels", missing: missing(props.metadata?.labels, REQUIRED_K8S_LABELS) };
    if (type.startsWith("gcp:")) {
        const field = GCP_LABEL_FIELD[type] ?? (props.labels !== undefined ? "labels" : undefined);
        return field ? { where: field, missing: missing(props[field], REQUIRED_GCP_LABELS) } : undefined;
    }
    if (type.startsWith("aws:") && (AWS_TAGGED.has(type) || props.tags !== undefined)) return { where: "tags", missing: missing(props.tags, REQUIRED_AWS_TAGS) };
    return undefined;
}

export const requiredLabels: ResourceValidationPolicy = {
    name: "required-labels",
    description: "Kubernetes objects carry the app.kubernetes.io/* and globalgrid.dev/tier labels; cloud resources carry the same facts as labels or tags.",
    enforcementLevel: "advisory",
    remediationSteps: "Use k8sLabels, gcpLabels or awsTags from components/labels.ts.",
    validateResource: (args, report) => {
        const found = missingLabels(args);
        if (!found) return args.notApplicable("no labels or tags on this type");
        if (found.missing.length) report(`${found.where} lacks ${found.missing.join(", ")}`);
    },
};

export const hygienePolicies = [requiredLabels];
