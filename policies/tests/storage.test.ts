import { strict as assert } from "assert";
import { storageBucketPrivate, storageBucketReadOnlyGrants } from "../rules/storage";
import { res, violations } from "./support/fixtures";

const BUCKET = "gcp:storage/bucket:Bucket";
const MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember";
const BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding";
const READER = "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p.svc.id.goog/subject/ns/dc-fra1/sa/broker";

describe("policies: Cloud Storage", () => {
    it("storage-bucket-private: uniform bucket-level access and enforced public access prevention", async () => {
        const bucket = (inputs: Record<string, unknown>) => res(BUCKET, "fra-site-code", { name: "gg-stg-fra-code-p", location: "EUROPE-WEST3", ...inputs });
        assert.deepEqual(await violations(storageBucketPrivate, [bucket({})]), [
            ['bucket "gg-stg-fra-code-p" does not use uniform bucket-level access (object ACLs stay on)', "fra-site-code"],
            ['bucket "gg-stg-fra-code-p" does not enforce public access prevention (publicAccessPrevention is null)', "fra-site-code"],
        ]);
        assert.deepEqual(await violations(storageBucketPrivate, [bucket({ uniformBucketLevelAccess: true, publicAccessPrevention: "inherited" })]), [
            ['bucket "gg-stg-fra-code-p" does not enforce public access prevention (publicAccessPrevention is "inherited")', "fra-site-code"],
        ]);
        assert.deepEqual(await violations(storageBucketPrivate, [bucket({ uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" })]), []);
    });

    it("storage-bucket-read-only-grants: objectViewer to named principals only", async () => {
        const grant = (type: string, inputs: Record<string, unknown>) => res(type, "fra1-reader", { bucket: "gg-stg-fra-code-p", ...inputs });
        assert.deepEqual(await violations(storageBucketReadOnlyGrants, [grant(MEMBER, { role: "roles/storage.objectViewer", member: "allUsers" })]), [
            ['grants roles/storage.objectViewer on bucket "gg-stg-fra-code-p" to allUsers', "fra1-reader"],
        ]);
        assert.deepEqual(await violations(storageBucketReadOnlyGrants, [grant(BINDING, { role: "roles/storage.objectAdmin", members: [READER, "allAuthenticatedUsers"] })]), [
            ['grants roles/storage.objectAdmin on bucket "gg-stg-fra-code-p" to allAuthenticatedUsers', "fra1-reader"],
            ['grants roles/storage.objectAdmin on bucket "gg-stg-fra-code-p"; only roles/storage.objectViewer is granted here', "fra1-reader"],
        ]);
        assert.deepEqual(await violations(storageBucketReadOnlyGrants, [grant(MEMBER, { role: "roles/storage.objectViewer", member: READER })]), []);
    });
});
