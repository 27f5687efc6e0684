/**
 * Progress of a plan on stderr (one line per step; on a terminal the resource count ticks in place)
 * and the one summary line per stack that ends it.
 */
export interface Summary {
    stack: string;
    ok: boolean;
    resources: number;
    clusters: number;
    regions: number;
    dataCenters: number;
    /** mandatory policy violations + Kubernetes schema errors + unexcepted third-party findings */
    violations: number;
    seconds: number;
}

export class Progress {
    private readonly started = process.hrtime.bigint();
    private live = false;

    constructor(
        readonly stack: string,
        private readonly out: NodeJS.WriteStream = process.stderr,
    ) {}

    elapsed(): number {
        return Number(process.hrtime.bigint() - this.started) / 1e9;
    }

    /** A count that changes often: rewritten in place on a terminal, not printed otherwise. */
    tick(text: string): void {
        if (!this.out.isTTY) return;
        this.out.write(`\r\x1b[K[${this.stack} ${this.elapsed().toFixed(1)}s] ${text}`);
        this.live = true;
    }

    step(text: string): void {
        if (this.live) this.out.write("\r\x1b[K");
        this.live = false;
        this.out.write(`[${this.stack} ${this.elapsed().toFixed(1)}s] ${text}\n`);
    }
}

export function summaryLine(s: Summary): string {
    const n = (k: number, word: string) => `${k} ${word}${k === 1 ? "" : "s"}`;
    return `${s.ok ? "ok  " : "FAIL"} ${s.stack}: ${n(s.resources, "resource")}, ${n(s.clusters, "cluster")}, ${n(s.regions, "region")}, ${n(s.dataCenters, "data center")}, ${n(s.violations, "violation")}, ${s.seconds.toFixed(1)}s`;
}
