import * as assert from "node:assert/strict";
import { availabilityReplicas, backlogReplicas, stabilize, type Recommendation } from "../src/scaling";

/** A small deterministic PRNG (mulberry32) so the property runs are reproducible. */
function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

describe("scaler: scaling arithmetic", () => {
    const policy = { backlogPerPod: 10, lookAheadSeconds: 60, startSlaSeconds: 120 };

    it("backlog: table", () => {
        const table: Array<[number, number, number]> = [
            // undelivered, oldest age (s), replicas
            [0, 0, 0],
            [0, 5000, 0],
            [1, 0, 1],
            [10, 0, 1],
            [11, 0, 2],
            [100, 30, 10], // (30+60)/120 < 1: no pressure
            [100, 60, 10], // exactly at the SLA horizon: factor 1
            [100, 180, 20], // (180+60)/120 = 2
            [100, 100000, 100], // capped at one pod per message
        ];
        for (const [undelivered, age, want] of table) {
            assert.equal(backlogReplicas({ undelivered, oldestUnackedAgeSeconds: age }, policy), want, `${undelivered} msgs, ${age}s`);
        }
    });

    it("availability: table", () => {
        const table: Array<[number, number, number]> = [
            // taken, threshold, replicas
            [0, 0.2, 0],
            [4, 0.2, 1],
            [5, 0.2, 2],
            [2, 0.5, 2],
            [3, 0.5, 3],
            [10, 0.75, 30],
        ];
        for (const [taken, threshold, want] of table) {
            const got = availabilityReplicas({ idle: 0, taken }, threshold);
            assert.equal(got, want, `${taken} taken at ${threshold}`);
            if (taken > 0) assert.ok(got / (got + taken) >= threshold - 1e-9, "meets the threshold");
            if (got > 0) assert.ok((got - 1) / (got - 1 + taken) < threshold, "and is the smallest that does");
        }
    });

    it("stabilize: table (scale up at once, down only after the window)", () => {
        const base = { minReplicas: 1, maxReplicas: 50, scaleDownStabilizationSeconds: 300 };
        const t0 = 1_000_000;
        let history: Recommendation[] = [];
        const step = (atS: number, current: number, recommended: number) => {
            const r = stabilize({ ...base, now: t0 + atS * 1000, current, recommended, history });
            history = r.history;
            return r;
        };
        assert.deepEqual([step(0, 2, 10).desired, step(0, 2, 10).reason], [6, "scale-up"]); // +100% / +4 limit
        assert.equal(step(15, 6, 10).desired, 10);
        assert.deepEqual([step(30, 10, 3).desired, step(30, 10, 3).reason], [10, "hold"]); // within 300 s of the 10s
        assert.equal(step(200, 10, 3).desired, 10);
        assert.equal(step(340, 10, 3).desired, 3); // the 10s are out of the window
        assert.equal(stabilize({ ...base, now: t0, current: 0, recommended: 0, history: [] }).desired, 1); // min
        assert.equal(stabilize({ ...base, now: t0, current: 80, recommended: 400, history: [] }).desired, 50); // max
    });

    it("property: never below min or above max, for any signal and state", () => {
        const r = rng(7);
        for (let i = 0; i < 2000; i++) {
            const minReplicas = int(r, 0, 10);
            const maxReplicas = minReplicas + int(r, 0, 40);
            const history = Array.from({ length: int(r, 0, 5) }, () => ({ at: int(r, 0, 1000) * 1000, replicas: int(r, 0, 100) }));
            const out = stabilize({ now: 1_000_000, current: int(r, 0, 100), recommended: int(r, 0, 500), minReplicas, maxReplicas, scaleDownStabilizationSeconds: int(r, 0, 600), history });
            assert.ok(out.desired >= minReplicas && out.desired <= maxReplicas, JSON.stringify({ minReplicas, maxReplicas, out }));
        }
    });

    it("property: monotone in the backlog, the age and the taken pods", () => {
        const r = rng(11);
        for (let i = 0; i < 2000; i++) {
            const p = { backlogPerPod: int(r, 1, 100), lookAheadSeconds: int(r, 0, 600), startSlaSeconds: int(r, 1, 900) };
            const u = int(r, 0, 10_000);
            const a = int(r, 0, 3600);
            const base = backlogReplicas({ undelivered: u, oldestUnackedAgeSeconds: a }, p);
            assert.ok(backlogReplicas({ undelivered: u + int(r, 0, 100), oldestUnackedAgeSeconds: a }, p) >= base);
            assert.ok(backlogReplicas({ undelivered: u, oldestUnackedAgeSeconds: a + int(r, 0, 100) }, p) >= base);
            const t = 0.05 + r() * 0.9;
            const taken = int(r, 0, 500);
            assert.ok(availabilityReplicas({ idle: 0, taken: taken + int(r, 0, 50) }, t) >= availabilityReplicas({ idle: 0, taken }, t));
        }
    });

    it("property: a steady signal settles on one size and never oscillates", () => {
        const r = rng(23);
        for (let i = 0; i < 300; i++) {
            const minReplicas = int(r, 0, 5);
            const maxReplicas = minReplicas + int(r, 1, 60);
            const recommended = int(r, 0, 80);
            let current = int(r, 0, 80);
            let history: Recommendation[] = [];
            const sizes: number[] = [];
            for (let k = 0; k < 60; k++) {
                const out = stabilize({ now: k * 15_000, current, recommended, minReplicas, maxReplicas, scaleDownStabilizationSeconds: 300, history });
                history = out.history;
                current = out.desired;
                sizes.push(current);
            }
            // moves in one direction only, then stays
            const diffs = sizes.slice(1).map((s, j) => Math.sign(s - sizes[j])).filter((d) => d !== 0);
            assert.ok(diffs.every((d) => d === diffs[0]), `direction changed: ${sizes.join(",")}`);
            assert.equal(sizes.at(-1), Math.min(maxReplicas, Math.max(minReplicas, recommended)));
        }
    });

    it("property: a flapping signal does not flap the size within the window", () => {
        const r = rng(5);
        for (let i = 0; i < 200; i++) {
            const hi = int(r, 5, 40);
            const lo = int(r, 0, hi - 1);
            let current = hi;
            let history: Recommendation[] = [];
            for (let k = 0; k < 40; k++) {
                const out = stabilize({ now: k * 15_000, current, recommended: k % 2 ? lo : hi, minReplicas: 0, maxReplicas: 100, scaleDownStabilizationSeconds: 300, history });
                history = out.history;
                current = out.desired;
                assert.equal(current, hi, `round ${k}`);
            }
        }
    });
});
