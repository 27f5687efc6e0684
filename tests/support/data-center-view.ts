import { strict as assert } from "assert";
import type { GraphIndex } from "../../engine/graph";
import type { RecordedResource } from "../../engine/recorder";
import { at } from "../../engine/values";
import type { DataCenter } from "../../components/config/model";

/** Loosely typed inputs: tests read the registered JSON. */
export type Obj = Record<string, any>;

/** Everything a data center's tier owns, and lookups of its Kubernetes objects by kind and metadata.name. */
export function dataCenterView(g: GraphIndex, dc: DataCenter) {
    const tier = g.get("globalgrid:tier:DataCenter", dc.name);
    const all = g.descendants(tier.urn);
    const k8s = (type: string, name: string): RecordedResource => {
        const found = all.filter((r) => r.type === type && at(r.inputs, "metadata.name") === name);
        assert.equal(found.length, 1, `${dc.name}: one ${type} named ${name}, found ${found.length}`);
        return found[0];
    };
    const ofType = (type: string) => all.filter((r) => r.type === type);
    return { tier, all, k8s, ofType };
}

/** The pod spec of a workload's template. */
export const podSpec = (d: RecordedResource): Obj => at(d.inputs, "spec.template.spec") as Obj;
export const containers = (d: RecordedResource): Obj[] => podSpec(d).containers as Obj[];
export function container(d: RecordedResource, name: string): Obj {
    const c = containers(d).find((x) => x.name === name);
    assert.ok(c, `${d.name} has a container ${name}`);
    return c;
}
/** A JSON document in a ConfigMap's data. */
export const configMapJson = (cm: RecordedResource, key: string): Obj => JSON.parse((at(cm.inputs, "data") as Obj)[key] as string) as Obj;
