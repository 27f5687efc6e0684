import { configPathFromArgs, createLogger, createRegistry, kubeClients, loadConfig, startProbeServer, storageClient, terminationSignal } from "../../common/src";
import { supervisorConfigSchema } from "./config";
import { supervisorMetrics } from "./metrics";
import { subscriberClient } from "./subscriber";
import { Supervisor } from "./supervisor";

/**
 * The job supervisor's process: `node main.js --config=/etc/job-supervisor/supervisor.json`.
 * Env: POD_NAME (downward API), KUBERNETES_SERVICE_HOST/PORT (kubelet), KUBE_API_MOUNT (optional,
 * default the standard ServiceAccount path), GOOGLE_APPLICATION_CREDENTIALS (workload identity:
 * Pub/Sub and the code bucket).
 * Exit code 0 after a job (whatever its outcome: the message was acked or nacked), 1 on a startup
 * error; the pod is deleted by the supervisor itself, so a restart only happens after a crash.
 */
async function main(): Promise<number> {
    const logger = createLogger({ agent: "job-supervisor", level: process.env.LOG_LEVEL === "debug" ? "DEBUG" : "INFO" });
    const terminate = terminationSignal();
    terminate.addEventListener("abort", () => logger.info("supervisor.sigterm", { note: "no new job is pulled; a running job continues to its soft limit" }));
    try {
        const config = loadConfig(supervisorConfigSchema, configPathFromArgs());
        const podName = process.env.POD_NAME;
        if (!podName) throw new Error("POD_NAME is not set (downward API metadata.name)");
        const registry = createRegistry("job-supervisor");
        const metrics = supervisorMetrics(registry);
        const probes = await startProbeServer({ registry, port: config.metricsPort });
        const kube = kubeClients({ mountDir: process.env.KUBE_API_MOUNT });
        const subscriber = subscriberClient(config.pubsubEndpoint);
        const storage = storageClient(config.code.storageEndpoint);
        const outcome = await new Supervisor({ config, kube, subscriber, storage, podName, logger, metrics, terminate }).run();
        logger.info("supervisor.exiting", { outcome });
        await subscriber.close();
        await probes.close();
        return 0;
    } catch (err) {
        logger.error("supervisor.failed", { error: err });
        return 1;
    }
}

void main().then((code) => process.exit(code));
