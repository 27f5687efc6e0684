import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { bindLoopback, shutdown } from "./grpc-loopback";
import * as protoLoader from "@grpc/proto-loader";

/**
 * An in-process gRPC server for `google.pubsub.v1.Subscriber` (the protos shipped in
 * @google-cloud/pubsub), serving the unary calls the job supervisor makes: Pull, Acknowledge,
 * ModifyAckDeadline. Every other method answers UNIMPLEMENTED. It models one pull subscription
 * with a dead-letter policy and reproduces these documented behaviours
 * (https://cloud.google.com/pubsub/docs/lease-management, /docs/handling-failures, /docs/pull):
 *
 * - a pulled message is leased for the ack deadline; when the lease runs out (`expireLeases()` in
 *   tests stands for the deadline passing) it is delivered again, to any subscriber;
 * - every delivery has its own ackId; an ack or modack with the ackId of an expired lease is
 *   accepted and does nothing (at-least-once delivery without exactly-once: the late ack is lost
 *   and the message is redelivered);
 * - ModifyAckDeadline sets the lease to the given seconds from now; 0 is a nack (the message is
 *   available again at once, subject to the retry policy's backoff, here `nackDelayMs`);
 *   `ack_deadline_seconds` outside 0..600 is INVALID_ARGUMENT;
 * - `delivery_attempt` counts deliveries (1 on the first) because a dead-letter policy is set;
 *   after `maxDeliveryAttempts` failed deliveries the message goes to the dead-letter topic
 *   (`deadLettered`) instead of being delivered again;
 * - Pull returns at most `max_messages` (must be > 0, else INVALID_ARGUMENT); with nothing
 *   available it waits up to `pullWaitMs` and may return an empty list, as a pull may;
 * - a subscription name other than the served one is NOT_FOUND.
 */

export interface FakeMessage {
    messageId: string;
    data: Buffer;
    attributes: Record<string, string>;
    publishTime: Date;
}

interface Lease {
    ackId: string;
    expiresAt: number;
}

interface Entry {
    message: FakeMessage;
    deliveries: number;
    /** when it may next be delivered (after a nack's backoff) */
    availableAt: number;
    lease?: Lease;
    acked: boolean;
}

export interface PubSubServerOptions {
    subscription: string;
    maxDeliveryAttempts?: number;
    /** retry-policy backoff after a nack or an expired lease */
    nackDelayMs?: number;
    /** how long an empty Pull waits for a message */
    pullWaitMs?: number;
}

/** One RPC as received, for assertions. */
export interface PubSubCall {
    method: "Pull" | "Acknowledge" | "ModifyAckDeadline";
    request: Record<string, unknown>;
}

const PROTO_ROOT = path.join(path.dirname(require.resolve("@google-cloud/pubsub/package.json")), "build", "protos");
/** google/api/*.proto (annotations, resources) ship with google-gax */
const GAX_PROTOS = path.join(path.dirname(require.resolve("google-gax")), "..", "protos");

export class PubSubServer {
    readonly calls: PubSubCall[] = [];
    readonly deadLettered: FakeMessage[] = [];
    /** acked message ids, in order (one entry per successful ack of a live lease) */
    readonly acked: string[] = [];
    /** runs before a call is applied; return a gRPC error to fail it, or a promise to hold it */
    intercept?: (call: PubSubCall) => Promise<grpc.ServiceError | void> | grpc.ServiceError | void;

    private entries: Entry[] = [];
    private server = new grpc.Server();
    private nextId = 1;
    private port = 0;
    private waiters: Array<() => void> = [];

    private constructor(private readonly options: PubSubServerOptions) {}

    static async start(options: PubSubServerOptions): Promise<PubSubServer> {
        const s = new PubSubServer(options);
        const def = protoLoader.loadSync("google/pubsub/v1/pubsub.proto", {
            includeDirs: [PROTO_ROOT, GAX_PROTOS],
            keepCase: false,
            longs: Number,
            defaults: true,
        });
        const pkg = grpc.loadPackageDefinition(def) as unknown as { google: { pubsub: { v1: { Subscriber: { service: grpc.ServiceDefinition } } } } };
        const service = pkg.google.pubsub.v1.Subscriber.service;
        const unimplemented: grpc.UntypedServiceImplementation = {};
        for (const name of Object.keys(service)) {
            unimplemented[name] = (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not served by this fake` } as grpc.ServiceError);
        }
        s.server.addService(service, {
            ...unimplemented,
            Pull: s.unary("Pull", (r) => s.pull(r)),
            Acknowledge: s.unary("Acknowledge", (r) => s.acknowledge(r)),
            ModifyAckDeadline: s.unary("ModifyAckDeadline", (r) => s.modifyAckDeadline(r)),
        });
        s.port = await bindLoopback(s.server);
        return s;
    }

    /** `127.0.0.1:<port>`: the value for PUBSUB_EMULATOR_HOST */
    get address(): string {
        return `127.0.0.1:${this.port}`;
    }

    close(): Promise<void> {
        return shutdown(this.server);
    }

    /** Publishes a message to the subscription's topic. */
    publish(data: unknown, attributes: Record<string, string> = {}): string {
        const messageId = String(this.nextId++);
        this.entries.push({
            message: { messageId, data: Buffer.from(typeof data === "string" ? data : JSON.stringify(data)), attributes, publishTime: new Date() },
            deliveries: 0,
            availableAt: 0,
            acked: false,
        });
        this.wake();
        return messageId;
    }

    /** Messages neither acked nor dead-lettered (num_undelivered_messages counts these). */
    get outstanding(): number {
        return this.entries.filter((e) => !e.acked).length;
    }

    /** Deliveries so far of a message. */
    deliveries(messageId: string): number {
        return this.entries.find((e) => e.message.messageId === messageId)?.deliveries ?? 0;
    }

    /** Whether a message is leased right now. */
    leased(messageId: string): boolean {
        const e = this.entries.find((x) => x.message.messageId === messageId);
        return !!e?.lease && e.lease.expiresAt > Date.now();
    }

    /** Lease expiry time of a message (epoch ms), if leased. */
    leaseExpiry(messageId: string): number | undefined {
        return this.entries.find((x) => x.message.messageId === messageId)?.lease?.expiresAt;
    }

    /** Stands for the ack deadline passing: every lease ends and its message may be redelivered. */
    expireLeases(): void {
        for (const e of this.entries) if (e.lease) this.release(e);
        this.wake();
    }

    // ---- the service ----

    private unary(method: PubSubCall["method"], impl: (req: Record<string, unknown>) => Promise<unknown> | unknown) {
        return (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
            const record: PubSubCall = { method, request: call.request };
            this.calls.push(record);
            void (async () => {
                try {
                    const injected = await this.intercept?.(record);
                    if (injected) return cb(injected);
                    cb(null, await impl(call.request));
                } catch (err) {
                    cb(err as grpc.ServiceError);
                }
            })();
        };
    }

    private checkSubscription(name: unknown): void {
        if (name !== this.options.subscription) {
            throw Object.assign(new Error(`Resource not found (resource=${String(name)}).`), { code: grpc.status.NOT_FOUND, details: `Resource not found (resource=${String(name)}).` });
        }
    }

    private invalid(details: string): Error {
        return Object.assign(new Error(details), { code: grpc.status.INVALID_ARGUMENT, details });
    }

    private release(e: Entry): void {
        e.lease = undefined;
        e.availableAt = Date.now() + (this.options.nackDelayMs ?? 0);
        const max = this.options.maxDeliveryAttempts;
        if (max !== undefined && e.deliveries >= max) {
            // dead-lettered: forwarded to the dead-letter topic and acked on this subscription
            e.acked = true;
            this.deadLettered.push(e.message);
        }
    }

    private wake(): void {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
    }

    private available(now: number): Entry[] {
        for (const e of this.entries) if (e.lease && e.lease.expiresAt <= now) this.release(e);
        return this.entries.filter((e) => !e.acked && !e.lease && e.availableAt <= now);
    }

    private async pull(req: Record<string, unknown>): Promise<unknown> {
        this.checkSubscription(req.subscription);
        const max = Number(req.maxMessages ?? 0);
        if (!(max > 0)) throw this.invalid("max_messages must be greater than 0");
        const deadline = Date.now() + (this.options.pullWaitMs ?? 200);
        let ready = this.available(Date.now());
        while (ready.length === 0 && Date.now() < deadline) {
            await new Promise<void>((resolve) => {
                const t = setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now())));
                this.waiters.push(() => {
                    clearTimeout(t);
                    resolve();
                });
            });
            ready = this.available(Date.now());
        }
        const ackDeadlineMs = 10_000;
        const receivedMessages = ready.slice(0, max).map((e) => {
            e.deliveries += 1;
            e.lease = { ackId: `${e.message.messageId}-${e.deliveries}-${Math.random().toString(36).slice(2, 8)}`, expiresAt: Date.now() + ackDeadlineMs };
            const seconds = Math.floor(e.message.publishTime.getTime() / 1000);
            return {
                ackId: e.lease.ackId,
                message: {
                    data: e.message.data,
                    attributes: e.message.attributes,
                    messageId: e.message.messageId,
                    publishTime: { seconds, nanos: (e.message.publishTime.getTime() % 1000) * 1e6 },
                },
                deliveryAttempt: e.deliveries,
            };
        });
        return { receivedMessages };
    }

    private byAckId(ackId: unknown): Entry | undefined {
        return this.entries.find((e) => e.lease?.ackId === ackId && e.lease !== undefined && e.lease.expiresAt > Date.now());
    }

    private acknowledge(req: Record<string, unknown>): unknown {
        this.checkSubscription(req.subscription);
        for (const ackId of (req.ackIds ?? []) as string[]) {
            const e = this.byAckId(ackId);
            if (!e) continue; // expired or unknown ackId: accepted, no effect
            e.lease = undefined;
            e.acked = true;
            this.acked.push(e.message.messageId);
        }
        return {};
    }

    private modifyAckDeadline(req: Record<string, unknown>): unknown {
        this.checkSubscription(req.subscription);
        const seconds = Number(req.ackDeadlineSeconds ?? 0);
        if (!(seconds >= 0 && seconds <= 600)) throw this.invalid(`Invalid ack deadline given: ${seconds}. The value must be between 0 and 600 seconds.`);
        for (const ackId of (req.ackIds ?? []) as string[]) {
            const e = this.byAckId(ackId);
            if (!e) continue;
            if (seconds === 0) this.release(e);
            else e.lease!.expiresAt = Date.now() + seconds * 1000;
        }
        this.wake();
        return {};
    }
}
