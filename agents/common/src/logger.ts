/**
 * A JSON-lines logger: one JSON object per line on stdout (stderr for errors), the format that
 * Cloud Logging and CloudWatch parse into structured entries (`severity`, `message`, `time`).
 */

export type Severity = "DEBUG" | "INFO" | "WARNING" | "ERROR";

export type LogFields = Record<string, unknown>;

export interface Logger {
    debug(event: string, fields?: LogFields): void;
    info(event: string, fields?: LogFields): void;
    warn(event: string, fields?: LogFields): void;
    error(event: string, fields?: LogFields): void;
    /** A logger that adds `fields` to every line it writes. */
    child(fields: LogFields): Logger;
}

export type LogSink = (line: string, severity: Severity) => void;

const RANK: Record<Severity, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3 };

/** Writes to stdout, errors to stderr. */
export const stdSink: LogSink = (line, severity) => {
    (severity === "ERROR" ? process.stderr : process.stdout).write(line + "\n");
};

/** Errors become `{ name, message, stack }`; everything else is left to JSON.stringify. */
function serializable(value: unknown): unknown {
    if (value instanceof Error) {
        return { name: value.name, message: value.message, stack: value.stack };
    }
    return value;
}

export interface LoggerOptions {
    /** the agent's name, written as `agent` on every line */
    agent: string;
    /** lines below this severity are dropped; default INFO */
    level?: Severity;
    sink?: LogSink;
    /** clock, for tests */
    now?: () => Date;
}

export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
    const level = options.level ?? "INFO";
    const sink = options.sink ?? stdSink;
    const now = options.now ?? (() => new Date());
    const write = (severity: Severity, event: string, fields: LogFields = {}) => {
        if (RANK[severity] < RANK[level]) return;
        const entry: Record<string, unknown> = {
            time: now().toISOString(),
            severity,
            agent: options.agent,
            message: event,
        };
        for (const [k, v] of Object.entries({ ...base, ...fields })) {
            if (v !== undefined) entry[k] = serializable(v);
        }
        sink(JSON.stringify(entry), severity);
    };
    return {
        debug: (e, f) => write("DEBUG", e, f),
        info: (e, f) => write("INFO", e, f),
        warn: (e, f) => write("WARNING", e, f),
        error: (e, f) => write("ERROR", e, f),
        child: (fields) => createLogger(options, { ...base, ...fields }),
    };
}

/** A sink that keeps the parsed lines, for tests. */
export function memorySink(): { sink: LogSink; lines: Array<Record<string, unknown>> } {
    const lines: Array<Record<string, unknown>> = [];
    return { sink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>), lines };
}
