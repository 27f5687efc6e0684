import * as http from "node:http";
import { isIP } from "node:net";
import type { Storage } from "@google-cloud/storage";
import { CodeArtifactError, codeObjectName, fetchVerifiedObject } from "@globalgrid/common";
import type { CodeRef } from "@globalgrid/runtime/src/contract";
import type { BrokerConfig } from "./config";
import type { Metrics } from "./metrics";
import { closeGracefully, listenOn } from "./servers";

/**
 * The broker's copy of site code. The warm pods next to it run untrusted customer code and hold no
 * cloud credential, so the broker downloads a release's object (`<objectPrefix><siteId>/<sha256>.js`
 * in the region's bucket) with its own credentials, checks its sha256, keeps it in memory (a small
 * LRU keyed by sha256) and serves it to the runtimes on its code port at
 * `GET /v1/code/<siteId>/<sha256>.js`. Only artifacts it fetched and verified itself for that site
 * are served; anything else is 404. The runtime checks the sha256 again after its download.
 */

const CODE_ROUTE = /^\/v1\/code\/([a-z0-9-]{1,63})\/([0-9a-f]{64})\.js$/;

/** The code port's path of one release of a site. */
export function codePath(siteId: string, sha256: string): string {
    return `/v1/code/${siteId}/${sha256}.js`;
}

/**
 * The broker pod's IP, which the runtimes reach its code port on: env `POD_IP`, set by the downward
 * API (`fieldRef: status.podIP`). Required: without it no runtime could fetch a site's code.
 */
export function podIpFromEnv(env: NodeJS.ProcessEnv = process.env): string {
    const ip = env.POD_IP;
    if (!ip) throw new Error("POD_IP is not set: the broker needs its pod IP (downward API fieldRef status.podIP) to give runtimes its code port's URL");
    if (isIP(ip) === 0) throw new Error(`POD_IP is ${JSON.stringify(ip)}, not an IP address (downward API fieldRef status.podIP)`);
    return ip;
}

interface Artifact {
    body: Buffer;
    /** the sites whose object with this digest the broker downloaded and verified */
    sites: Set<string>;
}

export class CodeStore {
    /** sha256 -> artifact; Map order is recency (least recently used first) */
    private readonly cache = new Map<string, Artifact>();
    private readonly downloading = new Map<string, Promise<void>>();
    private server?: http.Server;
    private baseUrl?: string;

    constructor(
        private readonly storage: Storage,
        private readonly config: Pick<BrokerConfig["code"], "bucket" | "objectPrefix" | "cacheEntries">,
        private readonly podIp: string,
        private readonly metrics: Metrics,
    ) {}

    /** Listens on the code port; the URLs handed to runtimes name `podIp` and the port listened on. */
    async start(host: string, port: number): Promise<number> {
        this.server = http.createServer((req, res) => this.serve(req, res));
        const bound = await listenOn(this.server, port, host);
        this.baseUrl = `http://${isIP(this.podIp) === 6 ? `[${this.podIp}]` : this.podIp}:${bound}`;
        return bound;
    }

    close(): Promise<void> {
        return closeGracefully(this.server);
    }

    /**
     * The code reference of a site's release for its runtime: downloaded and verified (once per
     * site and digest while cached), then served here. A missing object or a wrong digest is a
     * CodeArtifactError; other storage failures are thrown as they are.
     */
    async codeRef(siteId: string, code: { sha256: string; entry: string }): Promise<CodeRef> {
        if (!this.baseUrl) throw new Error("the code port is not listening");
        await this.ensure(siteId, code.sha256);
        return { url: `${this.baseUrl}${codePath(siteId, code.sha256)}`, sha256: code.sha256, entry: code.entry };
    }

    /** The artifact of this site and digest, if this broker verified it and still holds it. */
    get(siteId: string, sha256: string): Buffer | undefined {
        const a = this.cache.get(sha256);
        if (!a?.sites.has(siteId)) return undefined;
        this.touch(sha256, a);
        return a.body;
    }

    private ensure(siteId: string, sha256: string): Promise<void> {
        if (this.get(siteId, sha256)) return Promise.resolve();
        const key = `${siteId}/${sha256}`;
        let p = this.downloading.get(key);
        if (!p) {
            p = this.download(siteId, sha256).finally(() => this.downloading.delete(key));
            this.downloading.set(key, p);
        }
        return p;
    }

    private async download(siteId: string, sha256: string): Promise<void> {
        let body: Buffer;
        try {
            body = await fetchVerifiedObject(this.storage, this.config.bucket, codeObjectName(this.config.objectPrefix, siteId, sha256), sha256);
        } catch (e) {
            this.metrics.codeDownloads.inc({ result: e instanceof CodeArtifactError ? e.reason : "error" });
            throw e;
        }
        this.metrics.codeDownloads.inc({ result: "verified" });
        // the same bytes published under another site share the entry; each site's object was checked
        const a = this.cache.get(sha256) ?? { body, sites: new Set<string>() };
        a.sites.add(siteId);
        this.touch(sha256, a);
        while (this.cache.size > this.config.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
    }

    private touch(sha256: string, a: Artifact): void {
        this.cache.delete(sha256);
        this.cache.set(sha256, a);
    }

    private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
        const m = req.method === "GET" ? CODE_ROUTE.exec(req.url ?? "") : null;
        const body = m ? this.get(m[1], m[2]) : undefined;
        if (!body) {
            res.writeHead(404, { "content-type": "application/json" });
            return void res.end(JSON.stringify({ error: "no such code artifact on this broker" }));
        }
        res.writeHead(200, { "content-type": "application/javascript", "content-length": body.length, "cache-control": "private, max-age=31536000, immutable" });
        res.end(body);
    }
}
