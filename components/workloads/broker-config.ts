import type { BrokerConfigInput } from "../../agents/broker/src/config";
import type { ConsulAccess } from "../../agents/common/src/consul-access";
import { CONSUL_AUTH_METHOD, CONTROL_PLANE_PORT } from "./consul-client";

/**
 * What the program renders into the broker's ConfigMap (`broker.json`). Its type is the broker's
 * own config schema (agents/broker/src/config.ts), so a field the broker does not know, or one it
 * needs and the program forgets, is a compile error here; tests/sync-path.test.ts parses the
 * rendered value of every data center with the broker's parser.
 */

export const BROKER_CONFIG_DIR = "/etc/broker";
export const BROKER_CONFIG_FILE = `${BROKER_CONFIG_DIR}/broker.json`;
/** the projected ServiceAccount token the broker logs in to Consul with */
export const BROKER_CONSUL_LOGIN_DIR = "/consul/login";
const CONSUL_TLS_DIR = "/consul/tls";

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
    /** `<region>.cp.<domain>` and the region's Consul datacenter */
    consulHost: string;
    consulDatacenter: string;
    /** the Consul node the data center's site pods are registered on */
    consulNode: string;
}

/** How the broker reaches its region's Consul: the mTLS load balancer, the DC's client certificate, a login. */
export function brokerConsulAccess(args: Pick<BrokerConfigArgs, "consulHost" | "consulDatacenter" | "dataCenter">): ConsulAccess {
    return {
        address: `https://${args.consulHost}:${CONTROL_PLANE_PORT}`,
        datacenter: args.consulDatacenter,
        tls: { caFile: `${CONSUL_TLS_DIR}/ca.crt`, certFile: `${CONSUL_TLS_DIR}/tls.crt`, keyFile: `${CONSUL_TLS_DIR}/tls.key`, serverName: args.consulHost },
        login: { authMethod: CONSUL_AUTH_METHOD, bearerTokenFile: `${BROKER_CONSUL_LOGIN_DIR}/token`, meta: { agent: "broker", datacenter: args.dataCenter } },
    };
}

export function renderBrokerConfig(args: BrokerConfigArgs): BrokerConfigInput {
    return {
        dataCenter: args.dataCenter,
        namespace: args.namespace,
        pool: { selector: args.poolSelector, runtimePods: args.runtimePods, detach: args.detach },
        runtime: { port: args.runtimePort, loadTimeoutSeconds: 30, requestTimeoutSeconds: 60 },
        sites: { header: "x-globalgrid-site", maxInFlightPerPod: 32, maxPodsPerSite: 4, idleMinutes: 5 },
        recycleMinutes: args.recycleMinutes,
        // at least the longest request: a draining pod is deleted only after every broker's requests to it ended
        drainSeconds: 60,
        resyncSeconds: 5,
        claimTimeoutSeconds: 30,
        retryAfterSeconds: 2,
        listen: { port: args.port, metricsPort: args.metricsPort },
        consul: { access: brokerConsulAccess(args), node: args.consulNode, servicePrefix: "site-" },
    };
}

/**
 * The Consul ACL rules a data center's broker needs (for the policy its login's binding rule
 * attaches): write its data center's external node, write the site services on it, nothing else.
 */
export function brokerConsulRules(consulNode: string, servicePrefix = "site-"): string {
    return [`node "${consulNode}" {`, `  policy = "write"`, `}`, `service_prefix "${servicePrefix}" {`, `  policy = "write"`, `}`].join("\n");
}
