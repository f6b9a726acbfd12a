import type { ArenaClient, ArenaStore } from "@lux/object-store";
import type { BulkClient } from "./bulk-channel.js";
import { ObjectPull, type PullContext, type PullPriority, type RayletPeer } from "./object-pull.js";

export type { PullPriority, RayletPeer } from "./object-pull.js";

export interface PullManagerOptions {
  nodeId: string;
  store: ArenaStore;
  /** This node's arena, mapped shared: chunks are written straight into it. */
  arena: ArenaClient;
  /** The raylet of another node (a cached connection); rejects when the node is gone or unknown. */
  peer(nodeId: string): Promise<RayletPeer>;
  /** The connection to `nodeId` failed: forget it (and its address). */
  forget(nodeId: string): void;
  /** The chunk channel of a connection to another raylet (TLS clusters: bulk-channel.ts), else undefined. */
  channel(peer: RayletPeer): Promise<BulkClient | undefined>;
  chunkBytes: number;
  maxBytesInFlight: number;
  chunksPerPull: number;
  /** Deadline of reading one chunk from the source (config objectTransferChunkTimeoutMs); past it the next source is tried. */
  chunkTimeoutMs: number;
}

interface SlotWaiter {
  pull: ObjectPull;
  bytes: number;
  grant(): void;
}

/**
 * Makes objects of other nodes local (see ObjectPull): concurrent pulls of one object share
 * the transfer, and all pulls share a bounded number of bytes in flight, gets before task
 * arguments. A pull under way is also a source for other nodes (TransferServer).
 */
export class PullManager {
  private readonly pulls = new Map<string, ObjectPull>();
  private readonly waiters: SlotWaiter[] = [];
  private inFlight = 0;
  private pullsDone = 0;
  private bytesPulled = 0;
  private relayedPulls = 0;
  private readonly context: PullContext;

  constructor(private readonly options: PullManagerOptions) {
    this.context = {
      ...options,
      acquire: (pull, bytes) => this.acquire(pull, bytes),
      releaseSlot: (bytes) => this.releaseSlot(bytes),
      pulled: (bytes, fromRelay) => {
        this.pullsDone++;
        this.bytesPulled += bytes;
        if (fromRelay) this.relayedPulls++;
      },
    };
  }

  /** Objects pulled so far, their bytes, and how many of those pulls read from a relay. */
  stats(): { pulls: number; bytes: number; fromRelays: number } {
    return { pulls: this.pullsDone, bytes: this.bytesPulled, fromRelays: this.relayedPulls };
  }

  /** The pull of `objectId` under way here, if any. */
  running(objectId: string): ObjectPull | undefined {
    return this.pulls.get(objectId);
  }

  /** A connection of another node closed: it reads no copy being pulled here any more. */
  readerGone(connection: unknown): void {
    for (const pull of this.pulls.values()) pull.dropReader(connection);
  }

  /** Resolves once the object is in this node's store (at once if it is already). */
  pull(objectId: string, sources: readonly string[], ownerAddress: string, priority: PullPriority): Promise<void> {
    const running = this.pulls.get(objectId);
    if (running !== undefined) {
      if (priority === "get") running.priority = "get";
      return running.done;
    }
    if (this.options.store.has(objectId)) return Promise.resolve();
    const pull = new ObjectPull(objectId, priority, sources, ownerAddress, this.context);
    this.pulls.set(objectId, pull);
    const forget = (): void => {
      if (this.pulls.get(objectId) === pull) this.pulls.delete(objectId);
    };
    pull.done.then(forget, forget);
    return pull.done;
  }

  /** Waits until `bytes` more may be in flight; waiting gets are served before task arguments. */
  private acquire(pull: ObjectPull, bytes: number): Promise<void> {
    if (this.waiters.length === 0 && this.fits(bytes)) {
      this.inFlight += bytes;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push({ pull, bytes, grant: resolve });
    });
  }

  private fits(bytes: number): boolean {
    // A chunk larger than the whole budget still goes when nothing else is in flight.
    return this.inFlight === 0 || this.inFlight + bytes <= this.options.maxBytesInFlight;
  }

  private releaseSlot(bytes: number): void {
    this.inFlight -= bytes;
    for (;;) {
      const i = this.waiters.findIndex((w) => w.pull.priority === "get");
      const index = i >= 0 ? i : 0;
      const w = this.waiters[index];
      if (w === undefined || !this.fits(w.bytes)) return;
      this.waiters.splice(index, 1);
      this.inFlight += w.bytes;
      w.grant();
    }
  }
}
