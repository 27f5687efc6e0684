import type { CheckStatus, ConsulApi } from "@globalgrid/common/src/consul";
import type { BrokerConfig } from "./config";
import type { Logger } from "./log";
import type { Metrics } from "./metrics";

/**
 * The site pods in the region's Consul catalog, agent-less: the data center's warm pool is one
 * external node (`consul.node`, NodeMeta external-node=true) and every assigned pod is a service
 * instance `<servicePrefix><site key>` on it, with ID = pod name, the pod's address and runtime
 * port, Meta naming the site, and one check whose status the broker sets (Consul servers do not run
 * checks of external nodes): passing while the pod serves, critical once it drains. The catalog is
 * a mirror of the pods' labels, so any broker can repair it.
 */

export interface SiteInstance {
    pod: string;
    address: string;
    siteId: string;
    key: string;
    slot: number;
    status: CheckStatus;
}

export class Registry {
    /** the check status this broker last wrote per pod (empty after a restart: everything is written once) */
    private readonly written = new Map<string, CheckStatus>();

    constructor(
        private readonly consul: ConsulApi,
        private readonly config: Pick<BrokerConfig, "consul" | "dataCenter" | "runtime" | "namespace">,
        private readonly metrics: Metrics,
        private readonly log: Logger,
    ) {}

    serviceOf(key: string): string {
        return `${this.config.consul.servicePrefix}${key}`;
    }

    async register(i: SiteInstance): Promise<void> {
        const node = this.config.consul.node;
        try {
            await this.consul.register({
                Node: node,
                // the node stands for the data center's warm pool; its address is informational
                Address: `${this.config.namespace}.warm-pool`,
                NodeMeta: { "external-node": "true", "external-probe": "false", "globalgrid-datacenter": this.config.dataCenter },
                SkipNodeUpdate: true,
                Service: {
                    ID: i.pod,
                    Service: this.serviceOf(i.key),
                    Tags: [this.config.dataCenter],
                    Address: i.address,
                    Port: this.config.runtime.port,
                    Meta: { site: i.siteId, slot: String(i.slot), datacenter: this.config.dataCenter, pod: i.pod },
                },
                Checks: [{ Node: node, CheckID: `${i.pod}:runtime`, Name: "site pod serving", ServiceID: i.pod, Status: i.status, Notes: "status set by the warm-pool broker" }],
            });
            this.written.set(i.pod, i.status);
            this.metrics.consul.inc({ op: "register", result: "ok" });
        } catch (e) {
            this.metrics.consul.inc({ op: "register", result: "error" });
            throw e;
        }
    }

    async deregister(pod: string): Promise<void> {
        try {
            await this.consul.deregister({ Node: this.config.consul.node, ServiceID: pod });
            this.written.delete(pod);
            this.metrics.consul.inc({ op: "deregister", result: "ok" });
        } catch (e) {
            this.metrics.consul.inc({ op: "deregister", result: "error" });
            throw e;
        }
    }

    /** Pod names registered on the data center's node, by service. */
    async registered(): Promise<Map<string, { service: string; status?: CheckStatus }>> {
        const node = await this.consul.node(this.config.consul.node);
        const out = new Map<string, { service: string; status?: CheckStatus }>();
        for (const svc of Object.values(node?.Services ?? {})) {
            if (svc.Service.startsWith(this.config.consul.servicePrefix)) out.set(svc.ID, { service: svc.Service });
        }
        return out;
    }

    /** Makes the catalog match the pods: registers what is missing or changed, removes what is gone. */
    async reconcile(want: SiteInstance[], known: Map<string, { service: string; status?: CheckStatus }>): Promise<void> {
        const wanted = new Map(want.map((i) => [i.pod, i]));
        for (const i of want) {
            if (known.has(i.pod) && this.written.get(i.pod) === i.status) continue;
            await this.register(i).catch((e) => this.log.warn("consul registration failed; next resync retries", { pod: i.pod, error: String(e) }));
        }
        for (const [pod] of known) {
            if (!wanted.has(pod)) {
                await this.deregister(pod).then(
                    () => this.metrics.repairs.inc({ kind: "stale-registration" }),
                    (e) => this.log.warn("consul deregistration failed; next resync retries", { pod, error: String(e) }),
                );
            }
        }
    }
}
