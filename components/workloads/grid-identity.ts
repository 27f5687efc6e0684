import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { audienceTokenVolume } from "./pod-spec";

/**
 * Keyless Google Cloud identity for a region's Kubernetes service accounts: a projected token of
 * the service account is exchanged at Google STS (workload identity federation) for a federated
 * token whose principal is that one Kubernetes service account. Nothing goes through the metadata
 * server (it stays blocked for every grid pod), and no service-account key exists.
 *
 * Each cluster makes its own (`Cluster.workloadIdentity`): GKE's own workload pool
 * `<project>.svc.id.goog` with the cluster as provider (clusters/gke-workload-identity.ts), or, for
 * EKS, a workload identity pool whose OIDC provider trusts the cluster's issuer (clusters/eks-workload-identity.ts).
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
