import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import type { Region } from "../config/model";
import type { Names } from "../naming";
import type { ProjectApis } from "../project/services";
import type { DataPlaneCluster } from "../clusters/cloud-cluster";
import { audienceTokenVolume } from "./pod-spec";

/**
 * Keyless Google Cloud identity for a region's Kubernetes service accounts: a projected token of
 * the service account is exchanged at Google STS (workload identity federation) for a federated
 * token whose principal is that one Kubernetes service account. Nothing goes through the metadata
 * server (it stays blocked for every grid pod), and no service-account key exists.
 *
 * - GKE: the cluster's own workload pool `<project>.svc.id.goog`, the cluster as provider.
 * - EKS: a workload identity pool with an OIDC provider that trusts the region cluster's issuer.
 */
export interface GridIdentity {
    /** audience of the projected Kubernetes token */
    tokenAudience: pulumi.Output<string>;
    /** audience of the STS exchange, as written in the external-account credential configuration */
    stsAudience: pulumi.Output<string>;
    /** the IAM principal of one Kubernetes service account */
    principal(namespace: string, serviceAccount: string): pulumi.Output<string>;
    /**
     * What must exist before an IAM member can name a principal: GKE's `<project>.svc.id.goog`
     * pool exists once a Workload Identity cluster does; the EKS pool and provider are ours.
     */
    ready: pulumi.Resource[];
    pool?: gcp.iam.WorkloadIdentityPool;
    provider?: gcp.iam.WorkloadIdentityPoolProvider;
}

export interface GridIdentityArgs {
    /** the GCP project of the workload identity pool and of the principals' IAM bindings */
    project: string;
    names: Names;
    region: Region;
    /** the region's data-plane cluster: GKE's own workload pool, or the EKS issuer a pool trusts */
    dataPlane: DataPlaneCluster;
    /** the project's enabled APIs (global tier) */
    apis: ProjectApis;
}

export function createGridIdentity(name: string, args: GridIdentityArgs, parent: pulumi.Resource): GridIdentity {
    const { project, names, region, dataPlane, apis } = args;
    if (dataPlane.cloud === "gcp") {
        const pool = `${project}.svc.id.goog`;
        const projectNumber = gcp.organizations.getProjectOutput({ projectId: project }, { parent, dependsOn: apis.after("cloudresourcemanager") }).apply((p) => String(p.number));
        const cluster = `https://container.googleapis.com/v1/projects/${project}/locations/${region.location}/clusters/${names.regionCluster(region.name)}`;
        return {
            tokenAudience: pulumi.output(pool),
            stsAudience: pulumi.output(`identitynamespace:${pool}:${cluster}`),
            principal: (ns, sa) => pulumi.interpolate`principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${pool}/subject/ns/${ns}/sa/${sa}`,
            ready: [dataPlane.cluster],
        };
    }
    const opts = { parent, protect: region.protect, dependsOn: apis.after("iam", "sts") };
    const pool = new gcp.iam.WorkloadIdentityPool(
        `${name}-pool`,
        {
            project,
            workloadIdentityPoolId: names.workloadIdentityPool(region.name),
            displayName: `globalgrid ${region.name} EKS`,
            description: `Kubernetes service accounts of the ${names.regionCluster(region.name)} EKS cluster`,
        },
        opts,
    );
    const provider = new gcp.iam.WorkloadIdentityPoolProvider(
        `${name}-provider`,
        {
            project,
            workloadIdentityPoolId: pool.workloadIdentityPoolId,
            workloadIdentityPoolProviderId: names.workloadIdentityProvider(region.name),
            displayName: `${region.name} EKS issuer`,
            attributeMapping: {
                "google.subject": "assertion.sub",
                "attribute.namespace": "assertion['kubernetes.io']['namespace']",
                "attribute.service_account": "assertion['kubernetes.io']['serviceaccount']['name']",
            },
            // Only the data centers' namespaces may federate; system workloads never do.
            attributeCondition: `assertion['kubernetes.io']['namespace'].startsWith('${names.dataCenterNamespace("")}')`,
            oidc: { issuerUri: dataPlane.cluster.identities.apply((ids) => ids[0].oidcs[0].issuer) },
        },
        opts,
    );
    // With no allowedAudiences the provider accepts its own canonical name as the token audience.
    const audience = pulumi.interpolate`//iam.googleapis.com/${provider.name}`;
    return {
        tokenAudience: audience,
        stsAudience: audience,
        principal: (ns, sa) => pulumi.interpolate`principal://iam.googleapis.com/${pool.name}/subject/system:serviceaccount:${ns}:${sa}`,
        ready: [pool, provider],
        pool,
        provider,
    };
}

/** The external-account credential configuration (ADC file) reading the projected token at `tokenPath`. */
export function externalAccountConfig(identity: GridIdentity, tokenPath: string): pulumi.Output<string> {
    return identity.stsAudience.apply((audience) =>
        JSON.stringify(
            {
                type: "external_account",
                audience,
                subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
                token_url: "https://sts.googleapis.com/v1/token",
                credential_source: { file: tokenPath, format: { type: "text" } },
            },
            null,
            2,
        ),
    );
}

/** Where a container finds its Google credentials: the projected token and the ADC file beside it. */
export const GCP_TOKEN_DIR = "/var/run/secrets/gcp";
export const GCP_CREDENTIALS_DIR = "/etc/gcp";

export interface GoogleCredentials {
    /** the ConfigMap holding the external-account credential configuration */
    configMap: k8s.core.v1.ConfigMap;
    /** pod volumes: the projected token (audience = the identity provider) and the ConfigMap */
    volumes: k8s.types.input.core.v1.Volume[];
    /** mounts and env for the ONE container that may call Google APIs */
    volumeMounts: k8s.types.input.core.v1.VolumeMount[];
    env: k8s.types.input.core.v1.EnvVar[];
}

/**
 * Keyless Google credentials for one container: an external-account configuration in a ConfigMap
 * and a projected service-account token whose audience is the identity provider. Only the container
 * that receives `volumeMounts` can read them.
 */
export function googleCredentials(
    name: string,
    args: { identity: GridIdentity; configMapName: string; namespace: string; labels: Record<string, string> },
    opts: pulumi.CustomResourceOptions,
): GoogleCredentials {
    const configMap = new k8s.core.v1.ConfigMap(
        name,
        {
            metadata: { name: args.configMapName, namespace: args.namespace, labels: args.labels },
            data: { "credentials.json": externalAccountConfig(args.identity, `${GCP_TOKEN_DIR}/token`) },
        },
        opts,
    );
    return {
        configMap,
        volumes: [audienceTokenVolume("gcp-token", args.identity.tokenAudience), { name: "gcp-credentials", configMap: { name: args.configMapName } }],
        volumeMounts: [
            { name: "gcp-token", mountPath: GCP_TOKEN_DIR, readOnly: true },
            { name: "gcp-credentials", mountPath: GCP_CREDENTIALS_DIR, readOnly: true },
        ],
        env: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: `${GCP_CREDENTIALS_DIR}/credentials.json` }],
    };
}
