import type { RayletService, RpcConnection } from "@lux/protocol";
import { LuxError, ObjectLostError, createLogger } from "@lux/common";
import type { ArenaClient, ArenaStore } from "@lux/object-store";

const log = createLogger("raylet");

export type PullPriority = "get" | "arg";
export type RayletPeer = RpcConnection<RayletService>;

export interface PullManagerOptions {
  nodeId: string;
  store: ArenaStore;
  /** This node's arena, mapped shared: chunks are written straight into it. */
  arena: ArenaClient;
  /** The raylet of another node (a cached connection); rejects when the node is gone or unknown. */
  peer(nodeId: string): Promise<RayletPeer>;
  /** The connection to `nodeId` failed: forget it (and its address). */
  forget(nodeId: string): void;
  chunkBytes: number;
  maxBytesInFlight: number;
  chunksPerPull: number;
  /** Deadline of reading one chunk from the source (config objectTransferChunkTimeoutMs); past it the next source is tried. */
  chunkTimeoutMs: number;
}

interface Pull {
  objectId: string;
  priority: PullPriority;
  done: Promise<void>;
}

interface SlotWaiter {
  pull: Pull;
  bytes: number;
  grant(): void;
}

/**
 * Makes objects of other nodes local. A pull asks the source raylet to pin the object
 * (getObject), creates it in this node's arena, fills it with chunks read from the source
 * (a few chunks in flight per pull, a bounded number of bytes over all pulls, gets before
 * task arguments), seals it and lets the source unpin it. Concurrent pulls of one object
 * share the transfer; a source that fails is replaced by the next one that has a copy.
 */
export class PullManager {
  private readonly pulls = new Map<string, Pull>();
  private readonly waiters: SlotWaiter[] = [];
  private inFlight = 0;
  private pullsDone = 0;
  private bytesPulled = 0;

  constructor(private readonly options: PullManagerOptions) {}

  stats(): { pulls: number; bytes: number } {
    return { pulls: this.pullsDone, bytes: this.bytesPulled };
  }

  /** Resolves once the object is in this node's store (at once if it is already). */
  pull(objectId: string, sources: readonly string[], ownerAddress: string, priority: PullPriority): Promise<void> {
    const running = this.pulls.get(objectId);
    if (running !== undefined) {
      if (priority === "get") running.priority = "get";
      return running.done;
    }
    if (this.options.store.has(objectId)) return Promise.resolve();
    const pull: Pull = { objectId, priority, done: Promise.resolve() };
    pull.done = this.transfer(pull, sources, ownerAddress).finally(() => this.pulls.delete(objectId));
    this.pulls.set(objectId, pull);
    return pull.done;
  }

  private async transfer(pull: Pull, sources: readonly string[], ownerAddress: string): Promise<void> {
    const tried: string[] = [];
    let lastError: unknown;
    for (const nodeId of new Set(sources)) {
      if (nodeId === this.options.nodeId || nodeId === "") continue;
      tried.push(nodeId.slice(0, 8));
      try {
        await this.transferFrom(pull, nodeId, ownerAddress);
        return;
      } catch (e) {
        lastError = e;
        log.warn(`pulling ${pull.objectId} from node ${nodeId.slice(0, 8)} failed: ${(e as Error).message}`);
      }
    }
    const why = tried.length === 0 ? "no other node holds a copy" : `no copy could be read (tried nodes ${tried.join(", ")})`;
    throw new ObjectLostError({
      objectId: pull.objectId,
      cause: new Error(why, lastError === undefined ? undefined : { cause: lastError }),
    });
  }

  private async transferFrom(pull: Pull, nodeId: string, ownerAddress: string): Promise<void> {
    const { store, arena } = this.options;
    let source: RayletPeer;
    try {
      source = await this.options.peer(nodeId);
    } catch (e) {
      this.options.forget(nodeId);
      throw e;
    }
    // Pins the object on the source until we release it (or our connection drops).
    const { offset: remoteOffset, size } = await source.call("getObject", { objectId: pull.objectId });
    if (remoteOffset < 0) throw new LuxError(`node ${nodeId.slice(0, 8)} does not hold the object`);
    const creator = {}; // this pull, as the creating client of the local copy
    try {
      const local = await store.create(pull.objectId, size, ownerAddress, creator);
      store.markSecondary(pull.objectId);
      await this.copyChunks(pull, source, size, (at, data) => {
        // The owner may free the object mid-pull: its region is then no longer ours to write.
        if (!store.isCreating(pull.objectId, creator)) throw new LuxError("the object was freed while it was being pulled");
        arena.write(local.offset + at, data);
      });
      if (!store.isCreating(pull.objectId, creator)) throw new LuxError("the object was freed while it was being pulled");
      store.seal(pull.objectId);
      this.pullsDone++;
      this.bytesPulled += size;
    } catch (e) {
      if (source.state === "closed") this.options.forget(nodeId);
      store.clientGone(creator); // drops the partial copy
      throw e;
    } finally {
      source.notify("releaseObjects", { objectIds: [pull.objectId] });
    }
  }

  /** Reads the object's chunks from `source`, a few at a time, writing each as it arrives. */
  private async copyChunks(
    pull: Pull,
    source: RayletPeer,
    size: number,
    write: (at: number, data: Uint8Array) => void,
  ): Promise<void> {
    const { chunkBytes, chunksPerPull, chunkTimeoutMs } = this.options;
    let next = 0;
    let failed = false;
    const lane = async (): Promise<void> => {
      while (!failed && next < size) {
        const at = next;
        const length = Math.min(chunkBytes, size - at);
        next += length;
        await this.acquire(pull, length);
        try {
          if (failed) return;
          const { data } = await source.call("readObjectChunk", { objectId: pull.objectId, offset: at, length }, chunkTimeoutMs);
          if (data.byteLength !== length) throw new LuxError(`chunk at ${at} has ${data.byteLength} bytes, expected ${length}`);
          write(at, data);
        } catch (e) {
          failed = true;
          throw e;
        } finally {
          this.releaseSlot(length);
        }
      }
    };
    const lanes = Math.max(1, Math.min(chunksPerPull, Math.ceil(size / chunkBytes)));
    const results = await Promise.allSettled(Array.from({ length: lanes }, lane));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (rejected !== undefined) throw rejected.reason;
  }

  /** Waits until `bytes` more may be in flight; waiting gets are served before task arguments. */
  private acquire(pull: Pull, bytes: number): Promise<void> {
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
