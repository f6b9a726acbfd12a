import { isBundleResource } from "@lux/common";
import { clusterLost, requireCore } from "./api.js";

/** A node of the cluster. */
export interface NodeView {
  nodeId: string;
  alive: boolean;
  address: string;
  resources: Record<string, number>;
  /** The node's labels: its own and the built-in `lux.io/node-id`, `lux.io/accelerator-type`. */
  labels: Record<string, string>;
  /** The node's object store: "shared-memory" (zero-copy reads) or "file" (the fallback, which copies). */
  objectStore: { kind: string; capacity: number };
}

/** The nodes of the cluster, alive or dead. */
export async function nodes(): Promise<NodeView[]> {
  const c = requireCore("lux.nodes");
  const list = await c.gcs.call("getNodes", {}).catch(clusterLost(c));
  return list.map((n) => ({
    nodeId: n.nodeId,
    alive: n.alive,
    address: n.address,
    resources: n.resources,
    labels: { ...n.labels },
    objectStore: { kind: n.storeKind, capacity: n.storeCapacity },
  }));
}

/**
 * Total resources of the alive nodes: `{ CPU, GPU, memory, ...custom }`. What placement
 * groups reserved is part of these (the names the groups' bundles add are left out).
 */
export async function clusterResources(): Promise<Record<string, number>> {
  const c = requireCore("lux.clusterResources");
  const { total } = await c.gcs.call("getClusterResources", {}).catch(clusterLost(c));
  const plain: Record<string, number> = {};
  for (const [name, amount] of Object.entries(total)) if (!isBundleResource(name)) plain[name] = amount;
  return plain;
}

/**
 * Resources not held by running tasks and actors right now, nor reserved by placement
 * groups. A resource none of which is free is left out (no zero entries), as in Ray:
 * `available.GPU ?? 0`.
 */
export async function availableResources(): Promise<Record<string, number>> {
  const c = requireCore("lux.availableResources");
  const { available } = await c.gcs.call("getClusterResources", {}).catch(clusterLost(c));
  const free: Record<string, number> = {};
  for (const [name, amount] of Object.entries(available)) if (amount > 0 && !isBundleResource(name)) free[name] = amount;
  return free;
}
