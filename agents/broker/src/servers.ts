import type * as http from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on `port` (0: any) and resolves with the port bound. */
export function listenOn(server: http.Server, port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
            server.off("error", reject);
            resolve((server.address() as AddressInfo).port);
        });
    });
}

/** Stops accepting connections and resolves once the requests in flight have ended. */
export function closeGracefully(server: http.Server | undefined): Promise<void> {
    return new Promise((resolve) => {
        if (!server?.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
    });
}
