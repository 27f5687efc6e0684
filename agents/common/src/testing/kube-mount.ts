import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A directory laid out like the pods' kube-api projected volume: token, ca.crt, namespace. */
export function writeKubeApiMount(token: string, caPem: string, namespace: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-api-"));
    fs.writeFileSync(path.join(dir, "token"), token);
    fs.writeFileSync(path.join(dir, "ca.crt"), caPem);
    fs.writeFileSync(path.join(dir, "namespace"), namespace);
    return dir;
}
