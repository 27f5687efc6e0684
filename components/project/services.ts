import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

/**
 * Every Google API the program's resources call, by short name. A fresh project has almost none of
 * them enabled; a create against a disabled API fails with 403 "API has not been used in project".
 * - container: GKE clusters and node pools; compute: network, subnetworks, router, NAT, addresses,
 *   load balancer pieces; dns: the zone and records; certificatemanager / networksecurity: the
 *   load balancers' TrustConfig and ServerTlsPolicy; pubsub: topics, subscriptions, schemas, IAM;
 *   monitoring: alert policies, notification channels (and GKE system metrics); logging: GKE and
 *   NAT/flow logs; artifactregistry: the image repository; binaryauthorization: the clusters'
 *   PROJECT_SINGLETON_POLICY_ENFORCE evaluation mode;
 * - iam: service accounts, workload identity pools and providers; iamcredentials and sts: the
 *   agents' keyless credentials (STS token exchange, access tokens);
 * - cloudresourcemanager: project IAM members and the project-number lookup; serviceusage: the
 *   services themselves and the Pub/Sub service identity; storage: the regions' site-code buckets
 *   and their IAM members.
 */
export const GCP_APIS = [
    "artifactregistry",
    "binaryauthorization",
    "certificatemanager",
    "cloudresourcemanager",
    "compute",
    "container",
    "dns",
    "iam",
    "iamcredentials",
    "logging",
    "monitoring",
    "networksecurity",
    "pubsub",
    "serviceusage",
    "storage",
    "sts",
] as const;
export type GcpApi = (typeof GCP_APIS)[number];

export const apiService = (api: GcpApi): string => `${api}.googleapis.com`;

/**
 * The project's enabled APIs as `gcp.projects.Service` resources (owned by the global tier), and the
 * `dependsOn` a resource needs for the APIs it calls: `apis.after("container", "compute")`.
 *
 * `disableOnDestroy: false`: removing the stack (or this resource) never disables an API that other
 * workloads of the project, or the destroy of our own resources, still need. With it false the
 * provider never disables anything, so `disableDependentServices` has no effect; it is set false
 * explicitly so that flipping `disableOnDestroy` later fails loudly on dependent services instead of
 * silently disabling them.
 */
export class ProjectApis {
    readonly services: Record<GcpApi, gcp.projects.Service>;

    constructor(project: string, opts: { parent: pulumi.Resource }) {
        const { parent } = opts;
        this.services = Object.fromEntries(
            GCP_APIS.map((api) => [
                api,
                new gcp.projects.Service(`api-${api}`, { project, service: apiService(api), disableOnDestroy: false, disableDependentServices: false }, { parent }),
            ]),
        ) as Record<GcpApi, gcp.projects.Service>;
    }

    /** The services a resource calling these APIs must be created after. */
    after(...apis: GcpApi[]): gcp.projects.Service[] {
        return [...new Set(apis)].map((api) => this.services[api]);
    }
}
