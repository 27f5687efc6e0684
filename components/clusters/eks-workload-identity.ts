import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { GridIdentity } from "../workloads/grid-identity";
import type { WorkloadIdentityArgs } from "./cluster";

/**
 * EKS: a Google workload identity pool whose OIDC provider trusts the EKS cluster's ServiceAccount
 * token issuer; each principal is `system:serviceaccount:<namespace>:<name>` of that pool.
 */
export function eksWorkloadIdentity(name: string, args: WorkloadIdentityArgs, issuer: pulumi.Output<string>, opts: pulumi.CustomResourceOptions): GridIdentity {
    const { project, names, region, apis } = args;
    const own = { ...opts, protect: region.protect, dependsOn: apis.after("iam", "sts") };
    const pool = new gcp.iam.WorkloadIdentityPool(
        `${name}-pool`,
        {
            project,
            workloadIdentityPoolId: names.workloadIdentityPool(region.name),
            displayName: `globalgrid ${region.name} EKS`,
            description: `Kubernetes service accounts of the ${names.regionCluster(region.name)} EKS cluster`,
        },
        own,
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
            oidc: { issuerUri: issuer },
        },
        own,
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
