import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Storage } from "@google-cloud/storage";
import { codeObjectName, fetchVerifiedObject, sha256Of } from "../../common/src/site-catalog";
import type { CodeRef } from "../../runtime/src/contract";
import type { SupervisorConfig } from "./config";

/**
 * Stages a job's code for the app container: the release the message names
 * (`<objectPrefix><siteId>/<codeSha256>.js` in the region's bucket), downloaded with the
 * supervisor's Google credentials and checked against its sha256, is written to
 * `<dir>/<sha256>.js` in the volume the app mounts read-only. The write is atomic (a temporary file
 * in the same directory, then rename), so the app never reads a partial file; a file already there
 * with the right content is used as it is. The app gets a `file:` URL and checks the digest itself.
 *
 * A missing object or a digest mismatch is a CodeArtifactError (not retryable); other failures
 * (network, 5xx, credentials) are thrown as they are.
 */
export async function stageCode(storage: Storage, config: SupervisorConfig["code"], siteId: string, sha256: string, entry: string): Promise<CodeRef> {
    const file = path.join(config.dir, `${sha256}.js`);
    const ref = { url: pathToFileURL(file).href, sha256, entry };
    const present = await fs.readFile(file).catch(() => undefined);
    if (present && sha256Of(present) === sha256) return ref;

    const body = await fetchVerifiedObject(storage, config.bucket, codeObjectName(config.objectPrefix, siteId, sha256), sha256);
    await fs.mkdir(config.dir, { recursive: true });
    const temp = path.join(config.dir, `.${sha256}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    try {
        // readable by the app container's user, whatever its uid; nobody writes it again
        await fs.writeFile(temp, body, { mode: 0o444 });
        await fs.rename(temp, file);
    } catch (err) {
        await fs.rm(temp, { force: true });
        throw err;
    }
    return ref;
}
