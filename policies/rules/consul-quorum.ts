/**
 * The Consul quorum rule, in one place for the config validation (components/config/rules.ts) and
 * the `consul-replicas` policy. It lives in the pack, which imports nothing from the program, so
 * the pack stays self-contained.
 *
 * Raft commits a write once a majority of the servers has it: n servers tolerate floor((n - 1) / 2)
 * lost ones, so an even count tolerates no more than the odd count below it and only adds a voter
 * that must answer. Prod runs at least three servers (one may be lost); staging may run one.
 */
export const CONSUL_MIN_SERVERS = { prod: 3, staging: 1 } as const;

export type ConsulQuorumProblem = "even" | "too few";

/** What is wrong with running `replicas` Consul servers where at least `minServers` are required, if anything. */
export function consulQuorumProblem(replicas: number, minServers: number): ConsulQuorumProblem | undefined {
    if (replicas % 2 === 0) return "even";
    if (replicas < minServers) return "too few";
    return undefined;
}
