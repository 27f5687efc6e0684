import type * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { DiskStorage } from "../../clusters/cluster";
import { k8sLabels, type Placement } from "../../labels";

export interface ConsulStorageClassArgs {
    /** the StorageClass name the regions' `consul.storageClass` refers to */
    className: string;
    /** the cluster's disk CSI driver and its parameters (the cluster contract's `diskStorage`) */
    storage: DiskStorage;
    placement: Placement;
}

/**
 * A StorageClass for Consul server volumes in a continental cluster: reclaim policy Retain, so a
 * deleted claim (or StatefulSet) leaves the Raft data on its disk; volumes bind in the zone the
 * pod is scheduled to (WaitForFirstConsumer). It is created once per continent and name, and
 * shared by the continent's regions. Persistent disks are always encrypted at rest on GCP; EBS
 * volumes ask for it.
 */
export function consulStorageClass(name: string, args: ConsulStorageClassArgs, opts: { parent: pulumi.Resource; provider: k8s.Provider }): k8s.storage.v1.StorageClass {
    const csi = args.storage;
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
