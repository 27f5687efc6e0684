import type * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { Cloud } from "../../config/model";
import { k8sLabels, type Placement } from "../../labels";

export interface ConsulStorageClassArgs {
    /** the StorageClass name the regions' `consul.storageClass` refers to */
    className: string;
    cloud: Cloud;
    placement: Placement;
}

const CSI = {
    gcp: { provisioner: "pd.csi.storage.gke.io", parameters: { type: "pd-balanced" } },
    aws: { provisioner: "ebs.csi.aws.com", parameters: { type: "gp3", encrypted: "true" } },
} as const;

/**
 * A StorageClass for Consul server volumes in a continental cluster: reclaim policy Retain, so a
 * deleted claim (or StatefulSet) leaves the Raft data on its disk; volumes bind in the zone the
 * pod is scheduled to (WaitForFirstConsumer). It is created once per continent and name, and
 * shared by the continent's regions. Persistent disks are always encrypted at rest on GCP; EBS
 * volumes ask for it.
 */
export function consulStorageClass(name: string, args: ConsulStorageClassArgs, opts: { parent: pulumi.Resource; provider: k8s.Provider }): k8s.storage.v1.StorageClass {
    const csi = CSI[args.cloud];
    return new k8s.storage.v1.StorageClass(
        name,
        {
            metadata: { name: args.className, labels: k8sLabels(args.className, "consul-storage", args.placement) },
            provisioner: csi.provisioner,
            parameters: { ...csi.parameters },
            reclaimPolicy: "Retain",
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
        },
        opts,
    );
}
