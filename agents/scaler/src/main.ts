import { configPathFromArgs, createLogger, createRegistry, kubeClients, loadConfig, startProbeServer, terminationSignal } from "../../common/src";
import { scalerConfigSchema } from "./config";
import { Scaler } from "./scaler";
import { metricClient } from "./signals";

/**
 * The scaler's process: `node main.js --config=/etc/scaler/scaler.json`; a round every
 * `intervalSeconds` until SIGTERM. Env: KUBERNETES_SERVICE_HOST/PORT, KUBE_API_MOUNT (optional),
 * GOOGLE_APPLICATION_CREDENTIALS (backlog policy), MONITORING_ENDPOINT (tests only).
 */
async function main(): Promise<void> {
    const logger = createLogger({ agent: "scaler" });
    const config = loadConfig(scalerConfigSchema, configPathFromArgs());
    const registry = createRegistry("scaler");
    const kube = kubeClients({ mountDir: process.env.KUBE_API_MOUNT });
    const monitoring = config.policy.kind === "backlog" ? metricClient(process.env.MONITORING_ENDPOINT) : undefined;
    const scaler = new Scaler({ config, kube, monitoring, logger, registry });
    const probes = await startProbeServer({ registry, port: config.metricsPort, ready: () => scaler.ready });
    const stop = terminationSignal();
    logger.info("scaler.started", { target: config.target.name, policy: config.policy.kind });
    while (!stop.aborted) {
        await scaler.round().catch((err: unknown) => logger.error("scaler.round_failed", { error: err }));
        await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, config.intervalSeconds * 1000);
            stop.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
        });
    }
    await monitoring?.close();
    await probes.close();
    process.exit(0);
}

main().catch((err: unknown) => {
    createLogger({ agent: "scaler" }).error("scaler.failed", { error: err });
    process.exit(1);
});
