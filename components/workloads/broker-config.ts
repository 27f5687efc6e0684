import type { BrokerConfigInput } from "../../agents/broker/src/config";
import type { ConsulAccess } from "../../agents/common/src/consul-access";
import { SITE_KV_PREFIX } from "../../agents/common/src/site-catalog";

/**
 * What the program renders into the broker's ConfigMap (`broker.json`). Its type is the broker's
 * own config schema (agents/broker/src/config.ts), so a field the broker does not know, or one it
 * needs and the program forgets, is a compile error here; tests/sync-path.test.ts parses the
 * rendered value of every data center with the broker's parser.
 */

export const BROKER_CONFIG_DIR = "/etc/broker";
export const BROKER_CONFIG_FILE = `${BROKER_CONFIG_DIR}/broker.json`;

export interface BrokerConfigArgs {
    dataCenter: string;
    namespace: string;
    poolSelector: Record<string, string>;
    runtimePods: Record<string, string>;
    detach: { label: string; value: string };
    runtimePort: number;
    recycleMinutes: number;
    port: number;
    metricsPort: number;
    /** where the broker serves warm pods the site code it fetched and verified */
    codePort: number;
    /** the region's site-code bucket and the prefix of its objects */
    code: { bucket: string; objectPrefix: string };
    /** how the broker reaches its region's Consul (ConsulClient.apiAccess()) */
    consulAccess: ConsulAccess;
}

export function renderBrokerConfig(args: BrokerConfigArgs): BrokerConfigInput {
    return {
        dataCenter: args.dataCenter,
        namespace: args.namespace,
        pool: { selector: args.poolSelector, runtimePods: args.runtimePods, detach: args.detach },
        runtime: { port: args.runtimePort, loadTimeoutSeconds: 30, requestTimeoutSeconds: 60 },
        // catalogPrefix: what the broker's ACL policy may read (consul/acl-bootstrap.ts)
        sites: { header: "x-globalgrid-site", maxInFlightPerPod: 32, maxPodsPerSite: 4, idleMinutes: 5, catalogPrefix: SITE_KV_PREFIX },
        recycleMinutes: args.recycleMinutes,
        // at least the longest request: a draining pod is deleted only after every broker's requests to it ended
        drainSeconds: 60,
        resyncSeconds: 5,
        claimTimeoutSeconds: 30,
        retryAfterSeconds: 2,
        listen: { port: args.port, metricsPort: args.metricsPort, codePort: args.codePort },
        code: { bucket: args.code.bucket, objectPrefix: args.code.objectPrefix, cacheEntries: 256 },
        // node and service names inside what the broker's ACL policy may write (consul/acl-bootstrap.ts):
        // `node "<dc>-broker"` and `service_prefix "<dc>-"`, so one data center never writes another's sites
        consul: { access: args.consulAccess, node: `${args.dataCenter}-broker`, servicePrefix: `${args.dataCenter}-site-` },
    };
}
