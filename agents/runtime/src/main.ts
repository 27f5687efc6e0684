import * as http from "node:http";
import { configPathFromArgs, createLogger, listen, loadConfig, terminationSignal } from "../../common/src";
import { runtimeConfigSchema } from "./config";
import { Runtime } from "./server";

/** The reference runtime's process: `node main.js --config=/etc/runtime/runtime.json`. */
async function main(): Promise<void> {
    const logger = createLogger({ agent: "runtime" });
    const config = loadConfig(runtimeConfigSchema, configPathFromArgs());
    const runtime = new Runtime(config, logger);
    const server = await listen(http.createServer(runtime.handler()), config.port);
    logger.info("runtime.started", { port: server.port, mode: config.mode });
    terminationSignal().addEventListener("abort", () => {
        runtime.drain();
        logger.info("runtime.draining");
        // in-flight requests finish; the kubelet's grace period bounds the wait
        server.server.close(() => process.exit(0));
    });
}

main().catch((err: unknown) => {
    createLogger({ agent: "runtime" }).error("runtime.failed", { error: err });
    process.exit(1);
});
