import type * as pulumi from "@pulumi/pulumi";

/**
 * The platform's own agents: the key each has in `globalgrid:world.images.agents` and in the
 * per-region image references, and its directory under `agents/` (where its Dockerfile lives).
 */
export const AGENTS = {
    runtime: "runtime",
    jobSupervisor: "job-supervisor",
    scaler: "scaler",
    broker: "broker",
} as const;

export type AgentKey = keyof typeof AGENTS;
export const AGENT_KEYS = Object.keys(AGENTS) as AgentKey[];

/** The image reference (`<repository>@sha256:<digest>`) each agent's containers run, in one region. */
export type AgentImageRefs = Record<AgentKey, pulumi.Output<string>>;
