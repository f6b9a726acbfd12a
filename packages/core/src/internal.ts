/**
 * Introspection for Lux's own tests and tools, not part of the public API (`lux` does not
 * re-export it): `import { debugStats } from "@lux/core/internal"`.
 */
import type { TransferStats } from "@lux/protocol";
import { NotInitializedError } from "@lux/common";
import { currentCoreWorker } from "./api.js";

/** What this process's core worker tracks right now. */
export interface DebugStats {
  /** Objects with a reference entry (local refs, pins or borrowers). */
  references: number;
  /** Entries of the owner's in-process memory store (values, locations, pending results). */
  memoryStoreEntries: number;
  /** Tasks and actor calls submitted by this process and not finished. */
  tasksInFlight: number;
}

/** Counts of what this process tracks; throws if it is not connected to a cluster. */
export function debugStats(): DebugStats {
  const core = currentCoreWorker();
  if (core === undefined) throw new NotInitializedError({ operation: "debugStats" });
  return { references: core.objects.refs.size(), memoryStoreEntries: core.objects.memory.size(), tasksInFlight: core.results.size() };
}

/** What the node this process uses reports about itself: its raylet's pid, workers and object store. */
export async function nodeStats(): Promise<{
  pid: number;
  workerPids: number[];
  objectStore: { objects: number; bytes: number };
  /** Objects this node pulled from other nodes and their bytes, pulls that read from a relay, bytes it sent to others. */
  transfers: TransferStats;
}> {
  const core = currentCoreWorker();
  if (core === undefined) throw new NotInitializedError({ operation: "nodeStats" });
  const { pid, workerPids, objectStore, transfers } = await core.raylet.call("getNodeInfo", {});
  return { pid, workerPids, objectStore, transfers };
}

// For the `lux` package (registers @lux/launcher for lux.init()), and for the `lux` command
// and LocalCluster (their raylets run core's worker entry).
export { setClusterLauncher, workerMainPath, type ClusterLauncher } from "./launcher.js";

// For lux.util (@lux/util): the control service's KV for users, and functions shipped to
// lux.util.Pool's actors the way lux.remote ships them.
export {
  put as kvPut,
  get as kvGet,
  del as kvDel,
  exists as kvExists,
  keys as kvKeys,
  type KvOptions,
  type KvPutOptions,
} from "./user-kv.js";
export { shipFunction, loadShippedFunction, type ShippedFunction } from "./shipped-functions.js";
export { Fifo } from "./fifo.js";

// For lux.util.collective: direct links between processes (authenticated with the cluster's
// token), and the id of an actor from its handle (createCollectiveGroup's ranks).
export { clusterPeer, type ClusterPeer } from "./cluster-peer.js";
export { actorIdOf } from "./actor-handle.js";
// ...and the object store's addon, which maps files shared between processes of a node
// (a rank's shared-memory slots), when it built.
export { loadShmAddon, type ShmAddon } from "@lux/object-store";
export { TYPED_ARRAY_CLASSES } from "./serialization/typed-arrays.js";

// For lux.util.metrics: what it recorded goes to the node's raylet with each of this process's metrics reports.
export { addMetricsSource, type MetricsSource } from "./metrics-reporter.js";
