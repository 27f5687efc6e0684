/**
 * Cloud NAT sizing for a GKE cluster whose pods all dial the same destination: the regional control
 * plane's load balancer address on 443.
 *
 * Cloud NAT gives each node (VM) a block of source ports on a NAT address; the pods of the node
 * share it (alias ranges are NATed with the node). A NAT source IP:port can be reused for different
 * destinations, but every concurrent connection to ONE destination (IP, port, protocol) needs a port
 * of its own, and a closed connection's port stays unusable for that destination for the TCP
 * TIME_WAIT timeout. With one destination for every pod, the ports per node ARE the node's
 * connection budget to the control plane:
 *
 * - dynamic port allocation, so a busy node grows past its minimum instead of failing with
 *   OUT_OF_RESOURCES while idle nodes keep few ports;
 * - NAT_MIN_PORTS_PER_VM 1024: a node at GKE's default 110 pods keeps ~9 connections per pod (the
 *   agents' Consul HTTPS and gRPC streams plus reconnects in TIME_WAIT) even when the gateway has
 *   no spare ports; the 64 of static allocation would allow 64 connections for the whole node;
 * - NAT_MAX_PORTS_PER_VM 16384: a reconnect storm (control plane restarted) on a full node;
 * - endpoint-independent mapping off: the provider makes it mutually exclusive with dynamic port
 *   allocation, and nothing here needs the same mapping across destinations (no peer-to-peer);
 * - TIME_WAIT 30 s instead of 120 s, so ports of closed connections to the one destination come
 *   back four times faster.
 */
export const NAT_MIN_PORTS_PER_VM = 1024;
export const NAT_MAX_PORTS_PER_VM = 16384;
export const NAT_TCP_TIME_WAIT_SECONDS = 30;
/** source ports 1024..65535 of one NAT address */
export const NAT_PORTS_PER_ADDRESS = 64512;
/** reserved addresses of a gateway at least (the control plane's load balancer admits them by IP) */
export const NAT_MIN_ADDRESSES = 2;

/** GKE's default maximum pods per node (Standard clusters); each node then takes a /24 of the pod range. */
export const GKE_MAX_PODS_PER_NODE = 110;
const NODE_POD_RANGE_PREFIX = 24;

/** The most nodes a cluster's pod range can hold: one /24 per node (110 pods per node). */
export const gkeNodeCeiling = (podRangePrefix: number): number => 2 ** (NODE_POD_RANGE_PREFIX - podRangePrefix);

/** NAT addresses that give each of `maxNodes` nodes its minimum ports at once. */
export const natAddressesFor = (maxNodes: number): number => Math.max(NAT_MIN_ADDRESSES, Math.ceil((maxNodes * NAT_MIN_PORTS_PER_VM) / NAT_PORTS_PER_ADDRESS));

/** GKE spreads a regional cluster's node pools over three zones of the region unless told otherwise. */
export const GKE_DEFAULT_NODE_ZONES = 3;
