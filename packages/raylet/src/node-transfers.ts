import type { ConfigValues } from "@lux/common";
import { createLogger } from "@lux/common";
import { openArena, type ArenaStore } from "@lux/object-store";
import { BulkClient, BulkListener } from "./bulk-channel.js";
import { PullManager, type RayletPeer } from "./pull-manager.js";
import { TransferServer } from "./transfer-server.js";

const log = createLogger("raylet");

export interface NodeTransfersOptions {
  nodeId: string;
  store: ArenaStore;
  config: Pick<
    ConfigValues,
    "objectTransferChunkBytes" | "objectTransferMaxBytesInFlight" | "objectTransferChunksInFlightPerPull" | "objectTransferChunkTimeoutMs" | "rpcHandshakeTimeoutMs" | "rpcMaxHandshakingConnections" | "rpcConnectTimeoutMs"
  >;
  /** The raylet of another node (a cached connection); rejects when the node is gone or unknown. */
  peer(nodeId: string): Promise<RayletPeer>;
  /** The connection to `nodeId` failed: forget it (and its address). */
  forget(nodeId: string): void;
  /** The host of the raylet's TLS listener, where it offers chunk channels (bulk-channel.ts); undefined without TLS. */
  tlsHost?: string | undefined;
}

/** A node's object transfers: the pulls into its store, and what other nodes pull from it. */
export interface NodeTransfers {
  pulls: PullManager;
  server: TransferServer;
  /** Chunk channels offered to other raylets' TLS connections (openBulkChannel); undefined without TLS. */
  bulk: BulkListener | undefined;
}

/** Both sides work on the node's arena mapped shared: chunks are written into it and sent from it as they lie. */
export function nodeTransfers(options: NodeTransfersOptions): NodeTransfers {
  const { store, config } = options;
  const arena = openArena(store.path, store.capacity);
  /** Per connection to another raylet: its chunk channel (undefined: chunks go over the connection itself). */
  const channels = new WeakMap<RayletPeer, Promise<BulkClient | undefined>>();
  const channel = (peer: RayletPeer): Promise<BulkClient | undefined> => {
    const known = channels.get(peer);
    if (known !== undefined) {
      return known.then((c) => {
        if (c === undefined || !c.closed) return c;
        if (channels.get(peer) === known) channels.delete(peer);
        return channel(peer);
      });
    }
    const opened = BulkClient.open(peer, config.rpcConnectTimeoutMs).catch((e: Error) => {
      // A source that offers none (an older raylet) or cannot be reached on its port (a firewall):
      // its chunks keep coming over the TLS connection.
      log.warn(`no object transfer channel to ${peer.peer} (${e.message}): its chunks come over the TLS connection`);
      return undefined;
    });
    channels.set(peer, opened);
    return opened;
  };
  const pulls = new PullManager({
    nodeId: options.nodeId,
    store,
    arena,
    peer: options.peer,
    forget: options.forget,
    channel,
    chunkBytes: config.objectTransferChunkBytes,
    maxBytesInFlight: config.objectTransferMaxBytesInFlight,
    chunksPerPull: config.objectTransferChunksInFlightPerPull,
    chunkTimeoutMs: config.objectTransferChunkTimeoutMs,
  });
  const server = new TransferServer({ store, arena, pulls: () => pulls });
  const bulk =
    options.tlsHost === undefined
      ? undefined
      : new BulkListener({
          host: options.tlsHost,
          read: (objectId, offset, length, connection) => server.read(objectId, offset, length, connection),
          handshakeTimeoutMs: config.rpcHandshakeTimeoutMs,
          maxHandshaking: config.rpcMaxHandshakingConnections,
          maxChunkBytes: config.objectTransferChunkBytes,
        });
  return { pulls, server, bulk };
}
