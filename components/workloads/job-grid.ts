import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { k8sLabels } from "../labels";
import { POOL_KEY } from "../clusters/pool-labels";
import type { GridArgs } from "./args";
import { googleCredentials, type GoogleCredentials, type GridIdentity } from "./grid-identity";
import { agentServiceAccount } from "./service-account";
import { allowPolicy, apiServerEgress, dnsEgress, internetEgress } from "./network-policy";
import { container, fieldEnv, KUBE_API_MOUNT, kubeApiVolume, memberLabel, customerContainer, tmpVolume } from "./pod-spec";
import { gridDeployment } from "./grid-deployment";
import { AGENT_METRICS_PORT, Scaler } from "./scaler";
import { runtimeSettings, withRuntimeConfig } from "./runtime-config";
import type { SupervisorConfig } from "../../agents/job-supervisor/src/config";
import { SITE_CODE_PREFIX, type SiteCodeBucket } from "../storage/site-code";

export const JOB_GRID = "job-grid";
/** the job grid's one Kubernetes service account: the supervisor's identity, in Kubernetes and in Google Cloud */
export const JOB_SUPERVISOR = "job-supervisor";
/** A pod waiting for a job carries `globalgrid.dev/pool: jobs`; the supervisor sets `running` when it takes one. */
export const JOB_MEMBER = "jobs";
export const JOB_DETACHED = "running";
export const APP_PORT = 8080;
/** Supervisor: read and relabel (detach) its pod, delete it once the job is done or out of time. */
export const SUPERVISOR_RULE = { apiGroups: [""], resources: ["pods"], verbs: ["get", "patch", "delete"] };
/**
 * The pod's site-code volume: the supervisor writes the verified code of the job's release here
 * and the app container reads it (read-only) through a `file://` URL.
 */
export const SITE_CODE_DIR = "/var/run/globalgrid/code";
const SITE_CODE_VOLUME = "site-code";

export interface JobGridArgs extends GridArgs {
    /** the region's keyless identity for Kubernetes service accounts */
    identity: GridIdentity;
    /** the region's jobs subscription */
    subscription: gcp.pubsub.Subscription;
    /** the region's site-code bucket: the supervisor downloads each job's release from it */
    siteCode: SiteCodeBucket;
}

/**
 * The supervisor's `supervisor.json` (agents/job-supervisor/src/config.ts is its type): the region's
 * subscription through its regional endpoint, one job at a time, and where the job's code comes from.
 */
function renderSupervisorConfig(subscription: string, region: JobGridArgs["region"], softTimeLimitSeconds: number, codeBucket: string): SupervisorConfig {
    return {
        subscription,
        // the regional endpoint: pulls are served where the region's messages are stored
        pubsubEndpoint: `${region.pubsubLocation}-pubsub.googleapis.com`,
        maxOutstandingMessages: 1,
        ackDeadlineSeconds: region.jobs.ackDeadlineSeconds,
        softTimeLimitSeconds,
        appUrl: `http://127.0.0.1:${APP_PORT}`,
        detach: { label: POOL_KEY, from: JOB_MEMBER, to: JOB_DETACHED },
        metricsPort: AGENT_METRICS_PORT,
        code: { bucket: codeBucket, objectPrefix: SITE_CODE_PREFIX, dir: SITE_CODE_DIR },
    };
}

/** The supervisor sidecar: the only container of the pod with a Kubernetes token and Google credentials; it writes the job's code. */
function supervisorContainer(image: pulumi.Input<string>, google: GoogleCredentials): k8s.types.input.core.v1.Container {
    return container({
        name: JOB_SUPERVISOR,
        image,
        args: ["--config=/etc/job-supervisor/supervisor.json"],
        ports: [{ name: "metrics", containerPort: AGENT_METRICS_PORT }],
        livenessProbe: { httpGet: { path: "/healthz", port: AGENT_METRICS_PORT }, periodSeconds: 20 },
        env: [...google.env, fieldEnv("POD_NAME", "metadata.name"), fieldEnv("POD_NAMESPACE", "metadata.namespace")],
        volumeMounts: [
            { name: "supervisor-config", mountPath: "/etc/job-supervisor", readOnly: true },
            ...google.volumeMounts,
            { name: "kube-api", mountPath: KUBE_API_MOUNT, readOnly: true },
            { name: SITE_CODE_VOLUME, mountPath: SITE_CODE_DIR },
        ],
    });
}

/** The app container reads the job's code from the site-code volume, never writes it. */
function withSiteCode(c: k8s.types.input.core.v1.Container): k8s.types.input.core.v1.Container {
    return { ...c, volumeMounts: [...((c.volumeMounts ?? []) as k8s.types.input.core.v1.VolumeMount[]), { name: SITE_CODE_VOLUME, mountPath: SITE_CODE_DIR, readOnly: true }] };
}

/**
 * The asynchronous grid on the data center's `job-grid` node pool. Each pod is the
 * app container (customer code, REST on localhost) and a job-supervisor sidecar that pulls one
 * message from the region's subscription, detaches its pod, calls the app and acks; the soft time
 * limit ends a job. The supervisor alone holds credentials: a Kubernetes API token and a projected
 * token it exchanges for Google credentials through workload identity federation.
 */
export class JobGrid extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly selector: Record<string, string>;
    readonly subscriber: gcp.pubsub.SubscriptionIAMMember;
    readonly scaler: Scaler;

    constructor(name: string, args: JobGridArgs, opts?: pulumi.ComponentResourceOptions) {
        super("globalgrid:workload:JobGrid", name, {}, opts);
        const { project, region, dataCenter: dc, namespace, placement, identity } = args;
        const settings = dc.jobGrid;
        const labels = k8sLabels(JOB_GRID, JOB_GRID, placement);
        const gridPods = { "app.kubernetes.io/name": JOB_GRID, "app.kubernetes.io/component": JOB_GRID };
        this.selector = { ...gridPods, ...memberLabel(JOB_MEMBER) };
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const supMeta = { name: JOB_SUPERVISOR, namespace, labels: k8sLabels(JOB_SUPERVISOR, JOB_GRID, placement) };
        const consulService = `${dc.name}-${JOB_GRID}`;

        const { serviceAccount: sa } = agentServiceAccount(`${name}-supervisor`, { metadata: supMeta, rules: [SUPERVISOR_RULE] }, o);

        // Subscriber on this region's subscription only, for this one Kubernetes service account.
        this.subscriber = new gcp.pubsub.SubscriptionIAMMember(
            `${name}-subscriber`,
            { project, subscription: args.subscription.name, role: "roles/pubsub.subscriber", member: identity.principal(namespace, JOB_SUPERVISOR) },
            { parent: this },
        );
        const codeReader = args.siteCode.grantRead(`${name}-site-code-reader`, identity.principal(namespace, JOB_SUPERVISOR), { parent: this, dependsOn: identity.ready });
        const supervisorSettings = args.subscription.id.apply((subscription) => JSON.stringify(renderSupervisorConfig(subscription, region, settings.softTimeLimitSeconds, args.siteCode.name), null, 2));
        const supervisorConfig = new k8s.core.v1.ConfigMap(`${name}-supervisor`, { metadata: supMeta, data: { "supervisor.json": supervisorSettings } }, o);
        const google = googleCredentials(`${name}-gcp-credentials`, { identity, configMapName: `${JOB_SUPERVISOR}-gcp-credentials`, namespace, labels: supMeta.labels }, o);

        const runtimeConfig = runtimeSettings(`${name}-runtime`, { name: `${JOB_GRID}-runtime`, namespace, labels, config: { port: APP_PORT, workDir: "/tmp", mode: "job", maxBodyBytes: 1024 * 1024 } }, o);
        this.deployment = gridDeployment(
            name,
            {
                metadata: { name: JOB_GRID, namespace, labels },
                replicas: settings.replicas,
                selector: this.selector,
                labels,
                consulService,
                serviceAccountName: JOB_SUPERVISOR,
                pool: "job-grid",
                dataCenter: dc.name,
                // a job may run to its soft limit after the pod is asked to stop
                terminationGracePeriodSeconds: settings.softTimeLimitSeconds + 30,
                containers: [
                    withSiteCode(withRuntimeConfig(customerContainer("app", args.images.runtime, APP_PORT, settings.resources))),
                    supervisorContainer(args.images.jobSupervisor, google),
                ],
                volumes: [
                    tmpVolume(),
                    runtimeConfig.volume,
                    { name: "supervisor-config", configMap: { name: JOB_SUPERVISOR } },
                    ...google.volumes,
                    kubeApiVolume(),
                    // one job's code at a time (the pod is deleted after its job)
                    { name: SITE_CODE_VOLUME, emptyDir: { sizeLimit: "64Mi" } },
                ],
            },
            { ...o, dependsOn: [...args.dependsOn, sa, supervisorConfig, google.configMap, runtimeConfig.configMap, codeReader] },
        );
        new k8s.policy.v1.PodDisruptionBudget(name, { metadata: { name: JOB_GRID, namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: this.selector } } }, o);
        allowPolicy(
            name,
            {
                policyName: JOB_GRID,
                namespace,
                labels,
                podSelector: gridPods,
                // jobs arrive by pull: nothing may connect in
                ingress: [],
                // the supervisor's API server (relabel, delete its pod) is the one private destination
                egress: [dnsEgress(), apiServerEgress(args.apiServer), internetEgress()],
            },
            o,
        );

        this.scaler = new Scaler(
            `${name}-scaler`,
            {
                namespace,
                target: JOB_GRID,
                minReplicas: settings.minReplicas,
                intervalSeconds: settings.scalerIntervalSeconds,
                maxReplicas: settings.maxReplicas,
                policy: { kind: "backlog", backlogPerPod: settings.backlogPerPod, lookAheadSeconds: settings.lookAheadSeconds, startSlaSeconds: region.jobs.startSlaSeconds, subscription: args.subscription.id },
                // reads the subscription's backlog metric from Cloud Monitoring
                google: { identity, project },
                consulService,
                consul: args.consul,
                image: args.images.scaler,
                apiServer: args.apiServer,
                placement,
                provider: args.provider,
                dependsOn: [this.deployment],
            },
            { parent: this },
        );
        this.registerOutputs({ deployment: JOB_GRID, subscription: args.subscription.id });
    }
}
