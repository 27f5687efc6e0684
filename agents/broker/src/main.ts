import * as k8s from "@kubernetes/client-node";
import { createLogger, storageClient } from "@globalgrid/common";
import { ConsulApi } from "@globalgrid/common/src/consul";
import { Broker } from "./broker";
import { podIpFromEnv } from "./code-store";
import { loadBrokerConfig } from "./config";

/**
 * The broker's entry point: `broker --config=/etc/broker/broker.json`. Kubernetes access is the
 * pod's projected ServiceAccount token (in-cluster config); Consul access is the ConsulAccess block
 * of the config; Cloud Storage access (site code) is Application Default Credentials (the pod's
 * keyless workload identity). Env: POD_NAME, POD_IP (downward API; POD_IP is required, runtimes
 * fetch code from it). SIGTERM stops taking requests, lets the ones in flight finish and logs out of Consul.
 */
async function main(): Promise<void> {
    const arg = process.argv.find((a) => a.startsWith("--config="));
    if (!arg) throw new Error("usage: broker --config=<path to broker.json>");
    const config = loadBrokerConfig(arg.slice("--config=".length));
    const podIp = podIpFromEnv();
    const name = process.env.POD_NAME ?? `broker-${process.pid}`;
    const log = createLogger({ agent: "broker" }, { pod: name, dataCenter: config.dataCenter });
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromCluster();
    const consul = new ConsulApi(config.consul.access);
    const broker = new Broker(config, { kubeConfig, consul, log, name, podIp, storage: storageClient(config.code.storageEndpoint, { timeoutSeconds: config.code.fetchTimeoutSeconds }) });
    await broker.start();
    let stopping = false;
    const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info("stopping", { signal });
        await broker.stop();
        await consul.logout();
        consul.close();
        process.exit(0);
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((e) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "broker failed to start", error: String(e) })}\n`);
    process.exit(1);
});
