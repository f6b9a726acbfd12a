import type { ConfigValues } from "@lux/common";
import { openArena, type ArenaStore } from "@lux/object-store";
import { PullManager, type RayletPeer } from "./pull-manager.js";
import { TransferServer } from "./transfer-server.js";

export interface NodeTransfersOptions {
  nodeId: string;
  store: ArenaStore;
  config: Pick<ConfigValues, "objectTransferChunkBytes" | "objectTransferMaxBytesInFlight" | "objectTransferChunksInFlightPerPull" | "objectTransferChunkTimeoutMs">;
  /** The raylet of another node (a cached connection); rejects when the node is gone or unknown. */
  peer(nodeId: string): Promise<RayletPeer>;
  /** The connection to `nodeId` failed: forget it (and its address). */
  forget(nodeId: string): void;
}

/** A node's object transfers: the pulls into its store, and what other nodes pull from it. */
export interface NodeTransfers {
  pulls: PullManager;
  server: TransferServer;
}

/** Both sides work on the node's arena mapped shared: chunks are written into it and sent from it as they lie. */
export function nodeTransfers(options: NodeTransfersOptions): NodeTransfers {
  const { store, config } = options;
  const arena = openArena(store.path, store.capacity);
  const pulls = new PullManager({
    nodeId: options.nodeId,
    store,
    arena,
    peer: options.peer,
    forget: options.forget,
    chunkBytes: config.objectTransferChunkBytes,
    maxBytesInFlight: config.objectTransferMaxBytesInFlight,
    chunksPerPull: config.objectTransferChunksInFlightPerPull,
    chunkTimeoutMs: config.objectTransferChunkTimeoutMs,
  });
  return { pulls, server: new TransferServer({ store, arena, pulls: () => pulls }) };
}
