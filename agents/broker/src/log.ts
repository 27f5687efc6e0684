import type { Logger as CommonLogger } from "@globalgrid/common";

/** What the broker logs through: the agents' JSON-lines logger (agents/common/src/logger.ts) or a test's. */
export type Logger = Pick<CommonLogger, "info" | "warn" | "error">;

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
