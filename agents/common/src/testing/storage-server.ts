import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { CRC32C } from "@google-cloud/storage";

/**
 * An in-process Cloud Storage JSON API server, speaking exactly the calls @google-cloud/storage
 * makes for what the agents and publishSite do (https://cloud.google.com/storage/docs/json_api/v1):
 *
 * - `GET /storage/v1/b/:bucket/o/:object?alt=media` (File.download / createReadStream): the object's
 *   bytes, with `x-goog-hash: crc32c=<b64>,md5=<b64>` and `x-goog-stored-content-encoding: identity`
 *   as the real API sends them (the client validates the download against them only when the stored
 *   encoding is identity);
 * - `GET /storage/v1/b/:bucket/o/:object` (File.getMetadata / exists): the object resource;
 * - `POST /upload/storage/v1/b/:bucket/o?uploadType=multipart&name=...` (File.save with
 *   `resumable: false`: a multipart/related body, JSON metadata part then media part) and
 *   `uploadType=media` (raw body): stores the object and answers its resource, whose `crc32c` and
 *   `md5Hash` the client checks against what it sent (it deletes the object and fails otherwise);
 * - `DELETE /storage/v1/b/:bucket/o/:object` (the client's clean-up after a failed validation);
 * - an absent bucket or object: 404 with the API's JSON error shape
 *   `{"error":{"code":404,"message":"No such object: b/o","errors":[{"message":...,"domain":"global","reason":"notFound"}]}}`.
 *
 * Object names arrive percent-encoded in the path (`sites%2Fabc%2F<sha>.js`). `fault` answers chosen
 * requests with an error status instead (a 5xx is what the client retries), or leaves them unanswered.
 */
export interface StoredObject {
    data: Buffer;
    contentType: string;
    generation: number;
}

export interface StorageServer {
    /** `http://127.0.0.1:<port>`: the client's `apiEndpoint` */
    endpoint: string;
    /** bucket -> object name -> object; create a bucket with `buckets.set(name, new Map())` */
    buckets: Map<string, Map<string, StoredObject>>;
    /** requests answered, as `METHOD path status` */
    log: string[];
    /**
     * fault injection: a status (e.g. 503) answers the request instead of the model, with the API's
     * JSON error; `"stall"` never answers (a backend that accepted the connection and hangs)
     */
    fault?: (req: { method: string; path: string }) => number | "stall" | undefined;
    close(): Promise<void>;
}

function notFound(message: string) {
    return { error: { code: 404, message, errors: [{ message, domain: "global", reason: "notFound" }] } };
}

/** base64 of the big-endian CRC32C, as the API reports `crc32c` (the client's own implementation) */
function crc32cOf(data: Buffer): string {
    const crc = new CRC32C();
    crc.update(data);
    return crc.toString();
}

function resource(bucket: string, name: string, o: StoredObject) {
    return {
        kind: "storage#object",
        id: `${bucket}/${name}/${o.generation}`,
        name,
        bucket,
        generation: String(o.generation),
        metageneration: "1",
        contentType: o.contentType,
        size: String(o.data.length),
        md5Hash: createHash("md5").update(o.data).digest("base64"),
        crc32c: crc32cOf(o.data),
        storageClass: "STANDARD",
    };
}

/** The parts of a multipart/related body (RFC 2387), as the client's upload writes it. */
function multipartParts(body: Buffer, contentType: string): Array<{ headers: string; data: Buffer }> {
    const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
    if (!boundary) throw new Error("multipart upload without a boundary");
    const delimiter = Buffer.from(`--${boundary}`);
    const parts: Array<{ headers: string; data: Buffer }> = [];
    let at = body.indexOf(delimiter);
    while (at >= 0) {
        const start = at + delimiter.length;
        if (body.subarray(start, start + 2).toString() === "--") break;
        const next = body.indexOf(delimiter, start);
        if (next < 0) break;
        const part = body.subarray(start + 2, next - 2); // drop the CRLF after the delimiter and before the next
        const split = part.indexOf("\r\n\r\n");
        parts.push({ headers: part.subarray(0, split).toString("utf8"), data: part.subarray(split + 4) });
        at = next;
    }
    return parts;
}

export async function startStorageServer(): Promise<StorageServer> {
    const buckets = new Map<string, Map<string, StoredObject>>();
    const log: string[] = [];
    let generation = 1_700_000_000_000_000;
    const api: StorageServer = {
        endpoint: "",
        buckets,
        log,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://storage");
            const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
                log.push(`${req.method} ${url.pathname} ${status}`);
                if (Buffer.isBuffer(body)) return void res.writeHead(status, headers).end(body);
                res.writeHead(status, { "content-type": "application/json; charset=UTF-8", ...headers }).end(JSON.stringify(body));
            };
            const injected = api.fault?.({ method: req.method ?? "GET", path: url.pathname });
            if (injected === "stall") return void log.push(`${req.method} ${url.pathname} stalled`);
            if (injected) return answer(injected, { error: { code: injected, message: `injected ${injected}`, errors: [{ message: `injected ${injected}`, domain: "global", reason: "backendError" }] } });
            let m: RegExpMatchArray | null;
            if ((m = url.pathname.match(/^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/))) {
                const bucketName = decodeURIComponent(m[1]);
                const name = decodeURIComponent(m[2]);
                const bucket = buckets.get(bucketName);
                if (!bucket) return answer(404, notFound("The specified bucket does not exist."));
                const o = bucket.get(name);
                if (!o) return answer(404, notFound(`No such object: ${bucketName}/${name}`));
                if (req.method === "DELETE") {
                    bucket.delete(name);
                    log.push(`DELETE ${url.pathname} 204`);
                    return void res.writeHead(204).end();
                }
                if (req.method !== "GET") return answer(405, { error: { code: 405, message: "method not allowed" } });
                if (url.searchParams.get("alt") === "media") {
                    const r = resource(bucketName, name, o);
                    return answer(200, o.data, {
                        "content-type": o.contentType,
                        "content-length": String(o.data.length),
                        "x-goog-hash": `crc32c=${r.crc32c},md5=${r.md5Hash}`,
                        "x-goog-stored-content-encoding": "identity",
                        "x-goog-generation": r.generation,
                    });
                }
                return answer(200, resource(bucketName, name, o));
            }
            if (req.method === "POST" && (m = url.pathname.match(/^\/upload\/storage\/v1\/b\/([^/]+)\/o$/))) {
                const bucketName = decodeURIComponent(m[1]);
                const bucket = buckets.get(bucketName);
                if (!bucket) return answer(404, notFound("The specified bucket does not exist."));
                const body = Buffer.concat(chunks);
                let name = url.searchParams.get("name") ?? undefined;
                let data: Buffer;
                let contentType = "application/octet-stream";
                const uploadType = url.searchParams.get("uploadType");
                if (uploadType === "multipart") {
                    const [meta, media] = multipartParts(body, String(req.headers["content-type"] ?? ""));
                    if (!meta || !media) return answer(400, { error: { code: 400, message: "multipart upload needs a metadata and a media part" } });
                    const metadata = JSON.parse(meta.data.toString("utf8")) as { name?: string; contentType?: string };
                    name = name ?? metadata.name;
                    contentType = metadata.contentType ?? /content-type:\s*([^\r\n]+)/i.exec(media.headers)?.[1] ?? contentType;
                    data = media.data;
                } else if (uploadType === "media") {
                    data = body;
                    contentType = String(req.headers["content-type"] ?? contentType);
                } else {
                    return answer(400, { error: { code: 400, message: `unsupported uploadType ${uploadType}` } });
                }
                if (!name) return answer(400, { error: { code: 400, message: "Required: name" } });
                const o = { data, contentType, generation: ++generation };
                bucket.set(name, o);
                return answer(200, resource(bucketName, name, o));
            }
            return answer(404, notFound(`unsupported endpoint ${req.method} ${url.pathname}`));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    api.endpoint = `http://127.0.0.1:${port}`;
    return api;
}
