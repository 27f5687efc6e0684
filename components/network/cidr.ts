/** IPv4 CIDR arithmetic: enough to carve a region's /16 into node, pod, service and subnet ranges. */

export interface Cidr {
    base: number;
    prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const base = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
    return { base, prefix };
}

export const isAligned = (c: Cidr): boolean => c.prefix === 0 || c.base % 2 ** (32 - c.prefix) === 0;

export function formatCidr(c: Cidr): string {
    const b = c.base;
    return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
    const aEnd = a.base + 2 ** (32 - a.prefix);
    const bEnd = b.base + 2 ** (32 - b.prefix);
    return a.base < bEnd && b.base < aEnd;
}

/** The `index`-th block of size /newPrefix inside `text`. */
export function subnet(text: string, newPrefix: number, index: number): string {
    const c = parseCidr(text);
    if (!c || newPrefix < c.prefix) throw new Error(`cannot carve /${newPrefix} #${index} out of ${text}`);
    const size = 2 ** (32 - newPrefix);
    if ((index + 1) * size > 2 ** (32 - c.prefix)) throw new Error(`${text} has no /${newPrefix} #${index}`);
    return formatCidr({ base: c.base + index * size, prefix: newPrefix });
}

/** Zone letters a..f index AWS subnets, so a subnet's range depends only on its own zone. */
export const AWS_ZONE_LETTERS = "abcdef";
export const zoneIndex = (zone: string): number => {
    const i = AWS_ZONE_LETTERS.indexOf(zone.slice(-1));
    if (i < 0) throw new Error(`availability zone ${zone} does not end in one of ${AWS_ZONE_LETTERS}`);
    return i;
};

/**
 * The fixed layout of every /16 a tier owns (a tier may own a larger block; only its first /16 is carved):
 * GKE: nodes = /20 #0, services = /20 #1, pods = /17 #1 (upper half), control plane /28 at x.x.32.0.
 * AWS, by zone letter i: cluster private subnet = /20 #i, data-center subnet = /20 #(6+i),
 * public subnet = /22 #(48+i). Adding a zone or data center never moves an existing range.
 */
export const layout = {
    gkeNodes: (c: string) => subnet(c, 20, 0),
    gkeServices: (c: string) => subnet(c, 20, 1),
    gkePods: (c: string) => subnet(c, 17, 1),
    gkeMasterIpv4: (c: string) => subnet(c, 28, 2 * 256),
    awsPrivate: (c: string, zone: string) => subnet(c, 20, zoneIndex(zone)),
    awsDataCenter: (c: string, zone: string) => subnet(c, 20, 6 + zoneIndex(zone)),
    awsPublic: (c: string, zone: string) => subnet(c, 22, 48 + zoneIndex(zone)),
};
