import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ofType } from "./util";

export const GCS_BUCKET = "gcp:storage/bucket:Bucket";
const BUCKET_IAM = ["gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding"];
/** The members that make a bucket public: anyone on the internet, or any Google account. */
const PUBLIC_MEMBERS = new Set(["allUsers", "allAuthenticatedUsers"]);

/**
 * Cloud Storage buckets (the regions' site code) are private by construction: IAM only (uniform
 * bucket-level access switches object ACLs off) and public access prevention enforced, so neither
 * an ACL nor an IAM grant can ever open an object to the internet.
 */
export const storageBucketPrivate: ResourceValidationPolicy = {
    name: "storage-bucket-private",
    description: "Cloud Storage buckets use uniform bucket-level access and enforce public access prevention.",
    enforcementLevel: "mandatory",
    remediationSteps: "Create buckets like components/storage/site-code.ts: uniformBucketLevelAccess: true, publicAccessPrevention: \"enforced\".",
    validateResource: ofType(GCS_BUCKET, (props, _args, report) => {
        if (props.uniformBucketLevelAccess !== true) report(`bucket "${props.name}" does not use uniform bucket-level access (object ACLs stay on)`);
        if (props.publicAccessPrevention !== "enforced") report(`bucket "${props.name}" does not enforce public access prevention (publicAccessPrevention is ${JSON.stringify(props.publicAccessPrevention ?? null)})`);
    }),
};

/** No bucket IAM member or binding names allUsers or allAuthenticatedUsers, and nothing writes or administers a bucket. */
export const storageBucketReadOnlyGrants: ResourceValidationPolicy = {
    name: "storage-bucket-read-only-grants",
    description: "Bucket IAM grants are roles/storage.objectViewer to named principals: never public, never a write or admin role.",
    enforcementLevel: "mandatory",
    remediationSteps: "Grant readers with SiteCodeBucket.grantRead (components/storage/site-code.ts); releases are published by the deployer outside the program.",
    validateResource: BUCKET_IAM.map((type) =>
        ofType(type, (props, _args, report) => {
            const members = (props.members ?? [props.member]) as string[];
            for (const m of members.filter((x) => PUBLIC_MEMBERS.has(x))) report(`grants ${props.role} on bucket "${props.bucket}" to ${m}`);
            if (props.role !== "roles/storage.objectViewer") report(`grants ${props.role} on bucket "${props.bucket}"; only roles/storage.objectViewer is granted here`);
        }),
    ),
};

export const storagePolicies = [storageBucketPrivate, storageBucketReadOnlyGrants];
