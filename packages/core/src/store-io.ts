import type { RayletService, RpcConnection } from "@lux/protocol";
import { UNTIL_PEER_LOST } from "@lux/protocol";
import { ClusterLostError, ConnectFailedError, ConnectionClosedError, ObjectLostError, RpcTimeoutError, type ConfigValues } from "@lux/common";
import type { ArenaClient } from "@lux/object-store";
import { deserializePartsLoading, type SerializedParts } from "./serialization/index.js";
import { planLayout, readLayout, writeLayout } from "./stored-object.js";
import type { SyncObjectCreator } from "./store-sync.js";

export interface StoreIODeps {
  /** The local raylet. */
  raylet: RpcConnection<RayletService>;
  arena: ArenaClient;
  creator: SyncObjectCreator;
  config: Pick<ConfigValues, "rpcTimeoutMs">;
}

/**
 * Moves large objects between this process and its node's arena: one copy in (straight
 * from the caller's buffers), none out (views of the arena, released to the raylet when
 * the last one is garbage collected).
 */
export class StoreIO {
  private releaseBatch: string[] = [];

  private readonly raylet: RpcConnection<RayletService>;
  private readonly arena: ArenaClient;
  private readonly creator: SyncObjectCreator;
  private readonly rpcTimeoutMs: number;

  constructor(deps: StoreIODeps) {
    this.raylet = deps.raylet;
    this.arena = deps.arena;
    this.creator = deps.creator;
    this.rpcTimeoutMs = deps.config.rpcTimeoutMs;
  }

  get kind(): string {
    return this.arena.kind;
  }

  /**
   * Writes the object. If the store has room now it is written before this returns;
   * otherwise it is staged in memory and `done` settles once it is in the store.
   */
  write(objectId: string, parts: SerializedParts, ownerAddress: string): { size: number; done: Promise<void> | undefined } {
    const layout = planLayout(parts.structure, parts.buffers);
    let offset: number;
    try {
      // The raylet answers at once (offset -1 when there is no room now).
      offset = this.creator.create(objectId, layout.size, ownerAddress, this.rpcTimeoutMs);
    } catch (e) {
      throw this.rayletLost(e);
    }
    if (offset >= 0) {
      writeLayout(layout, parts.structure, parts.buffers, (at, data) => this.arena.write(offset + at, data));
      this.creator.seal(objectId);
      // Never report an object stored that its raylet may not have sealed.
      if (this.raylet.state === "closed") throw this.rayletLost(undefined);
      return { size: layout.size, done: undefined };
    }
    // No room right now: copy the value aside (it must not change after put) and wait for space.
    const staged = Buffer.allocUnsafe(layout.size);
    writeLayout(layout, parts.structure, parts.buffers, (at, data) =>
      staged.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at),
    );
    const done = (async () => {
      try {
        // The raylet answers once there is room, or fails the create when the store stalls (objectStoreFullTimeoutMs).
        const { offset: at } = await this.raylet.call("createObject", { objectId, size: layout.size, ownerAddress, wait: true }, UNTIL_PEER_LOST);
        this.arena.write(at, staged);
        await this.raylet.call("sealObject", { objectId });
      } catch (e) {
        throw this.rayletLost(e);
      }
    })();
    return { size: layout.size, done };
  }

  /**
   * `write` for a task's return value: the store is asked on this thread's own connection
   * and the answer awaited, rather than blocking the thread while a helper thread asks (a
   * task's reply waits for its returns anyway, and the handoff to the helper cost more than
   * the copy of a 4 MiB block). When the store has no room now, it is `write`'s way.
   */
  async writeReturn(objectId: string, parts: SerializedParts, ownerAddress: string): Promise<{ size: number; done: Promise<void> | undefined }> {
    const layout = planLayout(parts.structure, parts.buffers);
    let offset: number;
    try {
      ({ offset } = await this.raylet.call("createObject", { objectId, size: layout.size, ownerAddress, wait: false }, this.rpcTimeoutMs));
    } catch (e) {
      throw this.rayletLost(e);
    }
    if (offset < 0) return this.write(objectId, parts, ownerAddress);
    writeLayout(layout, parts.structure, parts.buffers, (at, data) => this.arena.write(offset + at, data));
    this.raylet.notify("sealObject", { objectId });
    if (this.raylet.state === "closed") throw this.rayletLost(undefined);
    return { size: layout.size, done: undefined };
  }

  /** Reads an object of this node's store. Binary values in the result view the arena. */
  async read(objectId: string): Promise<unknown> {
    let at: { offset: number; size: number };
    try {
      // A spilled object is read back from disk once the store has room for it, which the
      // store bounds itself (objectStoreFullTimeoutMs): the deadline is the raylet's liveness.
      at = await this.raylet.call("getObject", { objectId }, UNTIL_PEER_LOST);
    } catch (e) {
      throw this.rayletLost(e);
    }
    return this.view(objectId, at);
  }

  /**
   * Reads an object stored on other nodes (`sources`, primary first): this node's raylet
   * pulls it into the local store once, then it is read in place like a local object. A
   * large object may take long to pull, behind other pulls: the call's deadline is the local
   * raylet's liveness, and the raylet bounds each chunk it reads (objectTransferChunkTimeoutMs).
   */
  async readRemote(objectId: string, sources: string[], ownerAddress: string, priority: "get" | "arg"): Promise<unknown> {
    let at: { offset: number; size: number };
    try {
      at = await this.raylet.call("pullObject", { objectId, sources, ownerAddress, priority }, UNTIL_PEER_LOST);
    } catch (e) {
      throw this.rayletLost(e);
    }
    return this.view(objectId, at);
  }

  /**
   * The error a call to this node's raylet ends with for the user: its connection closed, or
   * it did not answer, is ClusterLostError (the node's store is out of reach); any other
   * error (e.g. ObjectStoreFullError, ObjectLostError) is the raylet's answer, kept.
   */
  private rayletLost(e: unknown): unknown {
    const gone = e === undefined || e instanceof ConnectionClosedError || e instanceof ConnectFailedError || e instanceof RpcTimeoutError;
    if (!gone) return e;
    const reason = e instanceof RpcTimeoutError ? `it did not answer ${e.method} within ${e.timeoutMs} ms` : undefined;
    return new ClusterLostError({ component: "raylet", address: this.raylet.peer, ...(reason !== undefined ? { reason } : {}), ...(e !== undefined ? { cause: e } : {}) });
  }

  /** Deserializes a pinned object of this node's store at `offset`. */
  private view(objectId: string, { offset, size }: { offset: number; size: number }): unknown {
    if (offset < 0) throw new ObjectLostError({ objectId });
    let bytes: ArrayBuffer;
    try {
      // The object stays pinned (not moved, freed or reused) until this mapping is collected.
      bytes = this.arena.view(offset, size, () => this.viewCollected(objectId));
    } catch (e) {
      this.raylet.notify("releaseObjects", { objectIds: [objectId] });
      throw e;
    }
    if (this.arena.kind !== "shared-memory") {
      // The file store hands out a copy: nothing to keep pinned.
      this.raylet.notify("releaseObjects", { objectIds: [objectId] });
      const { structure, buffers } = readLayout(bytes);
      return deserializePartsLoading(structure, buffers);
    }
    const { structure, buffers } = readLayout(bytes);
    return deserializePartsLoading(structure, buffers);
  }

  private viewCollected(objectId: string): void {
    this.releaseBatch.push(objectId);
    if (this.releaseBatch.length === 1) {
      setImmediate(() => {
        const objectIds = this.releaseBatch;
        this.releaseBatch = [];
        if (this.raylet.state !== "closed") this.raylet.notify("releaseObjects", { objectIds });
      });
    }
  }

  close(): void {
    this.creator.close();
    this.arena.close();
  }
}
