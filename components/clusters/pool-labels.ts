/** The two sandboxed grids of a data center, each on its own node pool. */
export type GridPool = "warm-pool" | "job-grid";
export const GRID_POOLS: GridPool[] = ["warm-pool", "job-grid"];

/** The label and taint key that pins a grid to its pool; pods select and tolerate it. */
export const POOL_KEY = "globalgrid.dev/pool";
/** The node label a data center's pools carry; grids select it to stay in their data center. */
export const DATACENTER_KEY = "globalgrid.dev/datacenter";

/** Node labels every sandboxed grid pool carries. */
export const poolLabels = (pool: GridPool, dc: string): Record<string, string> => ({ [POOL_KEY]: pool, [DATACENTER_KEY]: dc, "globalgrid.dev/sandbox": "gvisor" });
