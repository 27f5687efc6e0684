import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { GridIdentity } from "../workloads/grid-identity";
import type { WorkloadIdentityArgs } from "./cluster";

/**
 * GKE: the project's own workload pool `<project>.svc.id.goog`, which exists once a Workload
 * Identity cluster does; the cluster itself is the pool's provider (`issuer`), so the STS audience
 * names it and each principal is `ns/<namespace>/sa/<name>` of that pool.
 */
export function gkeWorkloadIdentity(
    args: WorkloadIdentityArgs,
    cluster: { issuer: pulumi.Output<string>; cluster: gcp.container.Cluster; issuerUrl: string },
    opts: pulumi.InvokeOptions,
): GridIdentity {
    const { project, apis } = args;
    const pool = `${project}.svc.id.goog`;
    const projectNumber = gcp.organizations.getProjectOutput({ projectId: project }, { ...opts, dependsOn: apis.after("cloudresourcemanager") }).apply((p) => String(p.number));
    return {
        tokenAudience: pulumi.output(pool),
        stsAudience: pulumi.output(`identitynamespace:${pool}:${cluster.issuerUrl}`),
        principal: (ns, sa) => pulumi.interpolate`principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${pool}/subject/ns/${ns}/sa/${sa}`,
        ready: [cluster.cluster],
    };
}
