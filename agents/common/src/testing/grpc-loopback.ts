import * as grpc from "@grpc/grpc-js";

/** Binds a test gRPC server to an ephemeral loopback port (plaintext, as the client libraries' emulator mode expects). */
export function bindLoopback(server: grpc.Server): Promise<number> {
    return new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
}

/** Stops a test gRPC server once its open calls have finished. */
export function shutdown(server: grpc.Server): Promise<void> {
    return new Promise((resolve) => server.tryShutdown(() => resolve()));
}
