import { strict as assert } from "assert";
import { GraphIndex } from "../engine/graph";
import { crossRegionEdges, dependencyDepth } from "../engine/graph-metrics";
import type { RecordedResource } from "../engine/recorder";

const res = (urn: string, type: string, parent?: string, dependencies: string[] = []): RecordedResource => ({
    urn, type, name: urn, custom: !type.startsWith("globalgrid:"), parent, dependencies, propertyDependencies: {}, protect: false, ignoreChanges: [], inputs: {}, outputs: {},
});

function graph(extraDep: boolean): GraphIndex {
    const resources = [
        res("g", "globalgrid:tier:Global"),
        res("c", "globalgrid:tier:Continent", "g"),
        res("fra", "globalgrid:tier:Region", "c"),
        res("par", "globalgrid:tier:Region", "c"),
        res("fra-ns", "kubernetes:core/v1:Namespace", "fra"),
        res("par-ns", "kubernetes:core/v1:Namespace", "par", extraDep ? ["fra-ns"] : []),
    ];
    return new GraphIndex({ project: "p", stack: "s", resources, outputs: {}, seconds: 0 });
}

describe("graph metrics", () => {
    it("finds a dependency that crosses from one region to another", () => {
        assert.deepEqual(crossRegionEdges(graph(false)), []);
        assert.deepEqual(crossRegionEdges(graph(true)), [{ from: "par-ns", to: "fra-ns" }]);
    });

    it("measures the longest chain, counting parent-before-child", () => {
        assert.equal(dependencyDepth(graph(false)), 4); // g > c > par > par-ns
        assert.equal(dependencyDepth(graph(true)), 5); // g > c > fra > fra-ns > par-ns
    });
});
