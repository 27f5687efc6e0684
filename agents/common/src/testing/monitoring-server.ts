import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { bindLoopback, shutdown } from "./grpc-loopback";
import * as protoLoader from "@grpc/proto-loader";

/**
 * An in-process gRPC server for `google.monitoring.v3.MetricService` (protos shipped in
 * @google-cloud/monitoring) serving ListTimeSeries, the one call the scaler makes; every other
 * method is UNIMPLEMENTED. Documented behaviours it reproduces
 * (https://cloud.google.com/monitoring/api/ref_v3/rpc/google.monitoring.v3#google.monitoring.v3.MetricService.ListTimeSeries,
 * https://cloud.google.com/monitoring/api/v3/filters):
 * - `name` must be `projects/<id>` (else INVALID_ARGUMENT), `interval.endTime` is required;
 * - the filter selects on `metric.type` and `resource.labels.subscription_id` (the only clauses
 *   the scaler writes; anything else in a filter is INVALID_ARGUMENT here rather than ignored);
 * - points are returned newest first, only those inside the interval; a series without points
 *   in the interval is omitted (so "no data" is an empty list, not zeros);
 * - Pub/Sub's metrics are GAUGE INT64 values (`int64Value`, a string on the wire).
 */

export interface MetricPoint {
    /** epoch ms */
    at: number;
    value: number;
}

const PROTO_ROOT = path.join(path.dirname(require.resolve("@google-cloud/monitoring")), "..", "protos");
const GAX_PROTOS = path.join(path.dirname(require.resolve("google-gax")), "..", "protos");

export class MonitoringServer {
    readonly requests: Array<Record<string, unknown>> = [];
    private series = new Map<string, MetricPoint[]>();
    private server = new grpc.Server();
    private port = 0;

    constructor(private readonly project: string) {}

    static async start(project: string): Promise<MonitoringServer> {
        const s = new MonitoringServer(project);
        const def = protoLoader.loadSync("google/monitoring/v3/metric_service.proto", { includeDirs: [PROTO_ROOT, GAX_PROTOS], longs: String, defaults: true });
        const pkg = grpc.loadPackageDefinition(def) as unknown as { google: { monitoring: { v3: { MetricService: { service: grpc.ServiceDefinition } } } } };
        const service = pkg.google.monitoring.v3.MetricService.service;
        const impl: grpc.UntypedServiceImplementation = {};
        for (const name of Object.keys(service)) {
            impl[name] = (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not served by this fake` } as grpc.ServiceError);
        }
        impl.ListTimeSeries = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
            try {
                cb(null, s.list(call.request));
            } catch (err) {
                cb(err as grpc.ServiceError);
            }
        };
        s.server.addService(service, impl);
        s.port = await bindLoopback(s.server);
        return s;
    }

    get address(): string {
        return `127.0.0.1:${this.port}`;
    }

    close(): Promise<void> {
        return shutdown(this.server);
    }

    /** Records a point of a subscription's metric (as Pub/Sub samples it, once a minute). */
    record(metricType: string, subscriptionId: string, value: number, at = Date.now()): void {
        const key = `${metricType}|${subscriptionId}`;
        this.series.set(key, [...(this.series.get(key) ?? []), { at, value }]);
    }

    private invalid(details: string): grpc.ServiceError {
        return Object.assign(new Error(details), { code: grpc.status.INVALID_ARGUMENT, details, metadata: new grpc.Metadata() }) as grpc.ServiceError;
    }

    private list(req: Record<string, unknown>): unknown {
        this.requests.push(req);
        if (req.name !== `projects/${this.project}`) throw this.invalid(`Name must be projects/${this.project}`);
        const interval = req.interval as { startTime?: { seconds: string }; endTime?: { seconds: string } } | undefined;
        if (!interval?.endTime) throw this.invalid("interval.endTime is required");
        const end = Number(interval.endTime.seconds) * 1000;
        const start = interval.startTime ? Number(interval.startTime.seconds) * 1000 : end;
        const filter = String(req.filter ?? "");
        const clauses = filter.split(/\s+AND\s+/).map((c) => c.trim());
        let metricType: string | undefined;
        let subscription: string | undefined;
        for (const c of clauses) {
            let m: RegExpExecArray | null;
            if ((m = /^metric\.type\s*=\s*"([^"]+)"$/.exec(c))) metricType = m[1];
            else if ((m = /^resource\.labels\.subscription_id\s*=\s*"([^"]+)"$/.exec(c))) subscription = m[1];
            else if (!/^resource\.type\s*=\s*"pubsub_subscription"$/.test(c)) throw this.invalid(`unsupported filter clause: ${c}`);
        }
        if (!metricType) throw this.invalid("the filter must name a metric.type");
        const timeSeries = [...this.series.entries()]
            .filter(([key]) => key.startsWith(`${metricType}|`) && (!subscription || key.endsWith(`|${subscription}`)))
            .map(([key, points]) => ({ key, points: points.filter((p) => p.at >= start && p.at <= end).sort((a, b) => b.at - a.at) }))
            .filter((s) => s.points.length > 0)
            .map((s) => ({
                metric: { type: metricType, labels: {} },
                resource: { type: "pubsub_subscription", labels: { project_id: this.project, subscription_id: s.key.split("|")[1] } },
                metricKind: "GAUGE",
                valueType: "INT64",
                points: s.points.map((p) => ({
                    interval: { endTime: { seconds: String(Math.floor(p.at / 1000)), nanos: 0 }, startTime: { seconds: String(Math.floor(p.at / 1000)), nanos: 0 } },
                    value: { int64Value: String(p.value) },
                })),
            }));
        return { timeSeries, nextPageToken: "" };
    }
}
