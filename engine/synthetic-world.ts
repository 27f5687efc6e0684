/**
 * Synthetic worlds for the benchmark: `regions` regions of two data centers each, dealt round-robin
 * over alternating gcp and aws continents (at least two, so every size mixes clouds; at most ten
 * regions each), built from the staging file's top level and defaults.
 */
import { loadWorldDocument } from "./stack-config";

const GCP = [
    { location: "europe-west3", pubsub: "europe-west3" },
    { location: "us-central1", pubsub: "us-central1" },
    { location: "asia-northeast1", pubsub: "asia-northeast1" },
];
const AWS = [
    { location: "us-east-1", pubsub: "us-east4" },
    { location: "eu-west-1", pubsub: "europe-west1" },
    { location: "ap-southeast-1", pubsub: "asia-southeast1" },
];
const PER_CONTINENT = 10;

export function syntheticWorld(regions: number): Record<string, unknown> {
    if (regions < 1 || regions > 200) throw new Error("a synthetic world has 1..200 regions");
    const base = loadWorldDocument("staging");
    const continents: Record<string, unknown> = {};
    const count = Math.max(2, Math.ceil(regions / PER_CONTINENT));
    for (let c = 0; c < count; c++) {
        const cloud = c % 2 === 0 ? "gcp" : "aws";
        const site = (cloud === "gcp" ? GCP : AWS)[Math.floor(c / 2) % 3];
        const regs: Record<string, unknown> = {};
        for (let i = c; i < regions; i += count) {
            const n = String(i).padStart(3, "0");
            const zone = (letter: string) => (cloud === "gcp" ? `${site.location}-${letter}` : `${site.location}${letter}`);
            // /16s: regions from 10.16.0.0 up, continents 172.16.0.0 up, so 200 regions fit
            const cidr = `${10 + Math.floor((16 + i) / 256)}.${(16 + i) % 256}.0.0/16`;
            regs[`r${n}`] = {
                location: site.location,
                cidr,
                ...(cloud === "aws" ? { zones: [zone("a"), zone("b")], pubsubLocation: site.pubsub } : {}),
                dataCenters: { [`d${n}a`]: { zone: zone("a") }, [`d${n}b`]: { zone: zone("b") } },
            };
        }
        continents[`c${String(c).padStart(2, "0")}`] = {
            cloud,
            location: site.location,
            cidr: `172.${16 + c}.0.0/16`,
            zones: cloud === "gcp" ? [`${site.location}-a`, `${site.location}-b`, `${site.location}-c`] : [`${site.location}a`, `${site.location}b`],
            regions: regs,
        };
    }
    return { ...base, continents };
}
