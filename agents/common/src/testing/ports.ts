import * as net from "node:net";

/**
 * A port the OS just handed out and released: for a server that must be told its port up front
 * (a child process's config). A random pick can collide with another test's server.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, host, () => {
            const { port } = s.address() as net.AddressInfo;
            s.close(() => resolve(port));
        });
    });
}
