/** Docker image references: parse, normalize the registry, decide whether they are pinned. */
export interface ImageRef {
    /** registry host and repository, normalized: `consul` -> `docker.io/library/consul` */
    repository: string;
    tag?: string;
    digest?: string;
}

export function parseImage(image: string): ImageRef {
    let rest = image.trim();
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    const parts = rest.split("/");
    const first = parts[0];
    const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
    if (!hasRegistry) rest = parts.length === 1 ? `docker.io/library/${rest}` : `docker.io/${rest}`;
    return { repository: rest, tag, digest };
}

/** Why an image is not pinned, or undefined when it is (a digest, or a tag other than `latest`). */
export function unpinnedReason(image: string): string | undefined {
    const ref = parseImage(image);
    if (ref.digest) return /^sha256:[a-f0-9]{64}$/.test(ref.digest) ? undefined : `has a malformed digest "${ref.digest}"`;
    if (!ref.tag) return "has no tag or digest";
    if (ref.tag === "latest") return "uses the `latest` tag";
    return undefined;
}

/** True when the normalized repository starts with one of the prefixes (normalized the same way). */
export function fromAllowedRegistry(image: string, allowed: string[]): boolean {
    const repo = parseImage(image).repository;
    return allowed.some((prefix) => {
        const p = prefix.endsWith("/") ? prefix : `${prefix}/`;
        return `${repo}/`.startsWith(p);
    });
}
