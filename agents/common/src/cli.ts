/** `--config=<file>` from the agent's container args (the pod specs pass it). */
export function configPathFromArgs(argv: string[] = process.argv.slice(2), fallback?: string): string {
    for (const a of argv) {
        if (a.startsWith("--config=")) return a.slice("--config=".length);
    }
    const i = argv.indexOf("--config");
    if (i >= 0 && argv[i + 1]) return argv[i + 1];
    if (fallback) return fallback;
    throw new Error("usage: <agent> --config=<file.json>");
}

/** An AbortSignal that fires on SIGTERM or SIGINT (the kubelet's stop signal, Ctrl-C locally). */
export function terminationSignal(): AbortSignal {
    const controller = new AbortController();
    for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => controller.abort(sig));
    return controller.signal;
}
