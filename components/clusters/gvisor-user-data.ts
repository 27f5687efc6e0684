/**
 * User data of the sandboxed EKS node groups (Amazon Linux 2023): a MIME multipart document that
 * EKS merges with its own cluster NodeConfig.
 *
 * - An `application/node.eks.aws` NodeConfig part whose `spec.containerd.config` nodeadm merges
 *   into the containerd config it generates. AL2023's nodeadm writes /etc/containerd/config.toml
 *   without an `imports` line, so a config.d drop-in would be ignored; the merge is the supported
 *   way. The AMIs ship containerd 2.x, whose schema (version 3) keeps the CRI runtimes under
 *   `io.containerd.cri.v1.runtime`; nodeadm picks its version-3 template when the NodeConfig uses
 *   those keys.
 * - A shell part that installs runsc and its containerd shim from the pinned gVisor release, each
 *   checked against the sha512 file gVisor publishes beside it before it is installed. nodeadm's
 *   config phase runs before cloud-init and its run phase (which starts containerd and kubelet)
 *   after cloud-final, so the binaries are in place before containerd starts.
 */

export const GVISOR_RUNTIME_HANDLER = "runsc";
const BOUNDARY = "==GLOBALGRID-GVISOR==";

/** The containerd (config version 3) table registering the runsc runtime. */
export const RUNSC_CONTAINERD_CONFIG = `[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.${GVISOR_RUNTIME_HANDLER}]
runtime_type = "io.containerd.runsc.v1"
`;

const indent = (text: string, n: number) =>
    text
        .trimEnd()
        .split("\n")
        .map((l) => " ".repeat(n) + l)
        .join("\n");

function nodeConfig(): string {
    return `---
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  containerd:
    config: |
${indent(RUNSC_CONTAINERD_CONFIG, 6)}
`;
}

function installScript(release: string): string {
    return `#!/bin/bash
set -euo pipefail
ARCH=$(uname -m)
URL="https://storage.googleapis.com/gvisor/releases/release/${release}/\${ARCH}"
WORK=$(mktemp -d)
cd "$WORK"
for f in runsc containerd-shim-runsc-v1; do
  curl -fsSL --retry 5 -o "$f" "$URL/$f"
  curl -fsSL --retry 5 -o "$f.sha512" "$URL/$f.sha512"
done
# each .sha512 file reads "<digest>  <file name>"; a mismatch stops here, before anything is installed
sha512sum -c runsc.sha512 containerd-shim-runsc-v1.sha512
install -m 0755 runsc containerd-shim-runsc-v1 /usr/local/bin/
cd / && rm -rf "$WORK"
`;
}

/** The MIME multipart user data (plain text; the launch template wants it base64-encoded). */
export function gvisorUserData(release: string): string {
    return `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="${BOUNDARY}"

--${BOUNDARY}
Content-Type: application/node.eks.aws

${nodeConfig()}
--${BOUNDARY}
Content-Type: text/x-shellscript; charset="us-ascii"

${installScript(release)}
--${BOUNDARY}--
`;
}
