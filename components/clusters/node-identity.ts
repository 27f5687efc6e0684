import type * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { ProjectApis } from "../project/services";

/** What every node of a GKE cluster runs as, and what a node pool must be created after. */
export interface NodeIdentity {
    account: gcp.serviceaccount.Account;
    email: pulumi.Output<string>;
    /** the account and its grants: a pool created before them boots nodes that cannot log or pull */
    grants: pulumi.Resource[];
}

export interface NodeIdentityArgs {
    /** the service account id (see naming.ts `nodeServiceAccount`) */
    accountId: string;
    project: string;
    /** physical cluster name, for the display name */
    clusterName: string;
    /** the world's image repository: nodes may read it and nothing else */
    registry: gcp.artifactregistry.Repository;
    apis: ProjectApis;
    /** prod: a replaced account would recreate every pool of the cluster (the pools' account is immutable) */
    protect: boolean;
}

/**
 * A cluster's own node service account instead of the Compute Engine default one (which has Editor
 * on the project where the automatic grant is still on, and nothing at all where an org policy
 * turned that grant off). It gets `roles/container.defaultNodeServiceAccount` (logs, metrics,
 * autoscaler metadata: what GKE documents as the minimum for nodes) on the project and
 * `roles/artifactregistry.reader` on the world's repository only, so kubelet can pull our images.
 */
export function createNodeIdentity(name: string, args: NodeIdentityArgs, opts: pulumi.CustomResourceOptions): NodeIdentity {
    const { project, apis } = args;
    const account = new gcp.serviceaccount.Account(
        `${name}-nodes`,
        { accountId: args.accountId, project, displayName: `${args.clusterName} nodes`, description: `Node service account of GKE cluster ${args.clusterName}` },
        { ...opts, protect: args.protect, dependsOn: apis.after("iam") },
    );
    const nodeRole = new gcp.projects.IAMMember(
        `${name}-nodes-default-node-role`,
        { project, role: "roles/container.defaultNodeServiceAccount", member: account.member },
        { ...opts, dependsOn: apis.after("cloudresourcemanager") },
    );
    const imageReader = new gcp.artifactregistry.RepositoryIamMember(
        `${name}-nodes-image-reader`,
        { project, location: args.registry.location, repository: args.registry.repositoryId, role: "roles/artifactregistry.reader", member: account.member },
        { ...opts, dependsOn: apis.after("artifactregistry") },
    );
    return { account, email: account.email, grants: [account, nodeRole, imageReader] };
}
