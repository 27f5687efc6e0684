import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import type { Region } from "../config/model";
import { gcpLabels, type Placement } from "../labels";
import type { Names } from "../naming";
import type { ProjectApis } from "../project/services";

/** Where a site's code objects live in the bucket: `<prefix><siteId>/<sha256>.js`. */
export const SITE_CODE_PREFIX = "sites/";

export interface SiteCodeBucketArgs {
    project: string;
    names: Names;
    region: Pick<Region, "name" | "cloud" | "location" | "pubsubLocation" | "protect">;
    placement: Placement;
    apis: ProjectApis;
}

/**
 * The region's site-code bucket: every release of every site's code as an immutable,
 * content-addressed object. The brokers (sync path) and job supervisors (job path) of the region's
 * data centers read it with their own keyless Google identities; nothing else can. Cloud Storage on
 * both clouds: the agents of aws regions already hold Google credentials for Pub/Sub.
 */
export class SiteCodeBucket {
    readonly bucket: gcp.storage.Bucket;
    /** the bucket's name (derived, so known before the bucket exists: the agents' configs carry it) */
    readonly name: string;
    private readonly apis: ProjectApis;

    constructor(name: string, args: SiteCodeBucketArgs, opts: { parent: pulumi.Resource }) {
        const { parent } = opts;
        const { region } = args;
        this.apis = args.apis;
        this.name = args.names.siteCodeBucket(region.name);
        this.bucket = new gcp.storage.Bucket(
            name,
            {
                name: this.name,
                project: args.project,
                // next to the region's job messages: a GCP region on gcp continents, the region's
                // Pub/Sub location on aws ones. The provider stores the location upper-cased, so it
                // is given that way (no diff on refresh).
                location: (region.cloud === "gcp" ? region.location : region.pubsubLocation).toUpperCase(),
                storageClass: "STANDARD",
                // IAM only (no object ACLs), and no allUsers / allAuthenticatedUsers member can ever be added
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                // a released object is never rewritten (content-addressed); versions would only keep deleted ones
                versioning: { enabled: false },
                // a bucket holding releases is never emptied by a destroy
                forceDestroy: false,
                labels: gcpLabels("site-code", args.placement),
            },
            { parent, protect: region.protect, dependsOn: args.apis.after("storage") },
        );
    }

    /**
     * `roles/storage.objectViewer` (objects.get and objects.list) on this bucket alone for one
     * principal: read, never write, and nothing outside this region's bucket.
     */
    grantRead(name: string, member: pulumi.Input<string>, opts: { parent: pulumi.Resource; dependsOn?: pulumi.Resource[] }): gcp.storage.BucketIAMMember {
        return new gcp.storage.BucketIAMMember(
            name,
            { bucket: this.bucket.name, role: "roles/storage.objectViewer", member },
            { parent: opts.parent, dependsOn: [...this.apis.after("storage"), ...(opts.dependsOn ?? [])] },
        );
    }
}
