import * as pulumi from "@pulumi/pulumi";
import { parseWorld } from "./config/load";
import type { World } from "./config/model";
import { Names } from "./naming";
import { ContinentTier } from "./tiers/continent";
import { GlobalTier } from "./tiers/global";
import { RegionTier } from "./tiers/region";
import { jobQueueOutputs } from "./messaging/job-queue";

/** Reads `globalgrid:world` from the stack config; throws WorldConfigError before any resource exists. */
export function loadWorldConfig(): World {
    return parseWorld(new pulumi.Config("globalgrid").getObject<unknown>("world"));
}

/**
 * The whole program: validate the world, then build Global > Continent > Region > DataCenter.
 * Returns the stack outputs. index.ts is a thin call to this so tests and the plan can run
 * several stacks in one process.
 */
export function defineWorld(world: World = loadWorldConfig()) {
    const names = new Names(world.environment, world.domain, world.awsAccountId, world.gcpProject);
    const global = new GlobalTier("global", { world, names });
    const continents: Record<string, object> = {};
    const regions: Record<string, object> = {};
    const dataCenters: Record<string, object> = {};
    for (const c of world.continents) {
        const continent = new ContinentTier(c.name, { world, names, continent: c, global }, { parent: global });
        continents[c.name] = { cloud: c.cloud, clusterName: continent.clusterName, endpoint: continent.endpoint, kubeconfig: continent.kubeconfig };
        for (const r of c.regions) {
            const region = new RegionTier(r.name, { world, names, region: r, global, continent }, { parent: continent });
            regions[r.name] = { continent: c.name, cloud: r.cloud, clusterName: region.clusterName, endpoint: region.endpoint, kubeconfig: region.kubeconfig, ...jobQueueOutputs(region.jobQueue) };
            for (const dc of region.dataCenters) {
                dataCenters[dc.placement.datacenter as string] = { region: r.name, namespace: dc.namespace.metadata.name, nodePools: dc.nodePoolNames() };
            }
        }
    }
    return {
        environment: world.environment,
        globalCluster: { name: global.cluster.cluster.name, endpoint: global.cluster.cluster.endpoint, kubeconfig: global.cluster.kubeconfig },
        dnsZone: global.dnsZone.dnsName,
        continents,
        regions,
        dataCenters,
    };
}
