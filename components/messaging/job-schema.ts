/**
 * The Avro schema every message on a region's jobs topic must match. Pub/Sub validates it at
 * publish time, so a malformed job is refused to the dispatcher instead of failing in a pod.
 * Messages are JSON-encoded (readable when inspecting dead letters); no unions, so the Avro JSON
 * encoding is plain JSON.
 *
 * Changing the definition commits a new schema revision (the provider's update; at most 20
 * revisions per schema). Pub/Sub accepts an Avro revision only if it resolves against the current
 * one as both reader and writer schema, so a field added later needs a default; `codeSha256` has
 * none because it is in the schema's first revision (no job could run without it). A later
 * required field means a new schema. A topic without `firstRevisionId` accepts a message matching
 * ANY revision: job-queue.ts pins the topic to the schema's current revision.
 */
export const JOB_SCHEMA_ENCODING = "JSON";

export const JOB_SCHEMA = {
    type: "record",
    name: "Job",
    namespace: "dev.globalgrid.jobs",
    doc: "One asynchronous job for the job grid",
    fields: [
        { name: "jobId", type: "string", doc: "unique per job; the supervisor's idempotency key across redeliveries" },
        { name: "siteId", type: "string", doc: "the site whose backend code runs the job" },
        { name: "handler", type: "string", doc: "the exported function the runtime invokes" },
        {
            name: "codeSha256",
            type: "string",
            doc: "the release the job runs: sha256 (64 lowercase hex) of the site's code object <objectPrefix><siteId>/<codeSha256>.js in the region's site-code bucket",
        },
        { name: "scheduledAt", type: { type: "long", logicalType: "timestamp-millis" }, doc: "when the job was due; the start SLA counts from here" },
        { name: "payload", type: "string", doc: "the job's arguments, a JSON document" },
    ],
} as const;

/** The schema definition as Pub/Sub stores it. */
export const jobSchemaDefinition = (): string => JSON.stringify(JOB_SCHEMA);
