import type { Clock, RayletService, RpcConnection } from "@lux/protocol";
import type { ConfigValues } from "@lux/common";
import type { PeerPool } from "./connections.js";
import { FreeBatcher } from "./free-batcher.js";
import { KeepAlive } from "./keep-alive.js";
import { MemoryStore, freedValue, isFreed, type ObjectValue } from "./memory-store.js";
import { ObjectDirectory } from "./object-directory.js";
import { ObjectGetter, isOwnerGone, type Blocking, type ObjectGetterConfig } from "./object-getter.js";
import type { ObjectRef } from "./object-ref.js";
import { ObjectPutter } from "./object-putter.js";
import { ObjectWaiter } from "./object-waiter.js";
import { ReferenceCounter, type BorrowChannel } from "./reference-counter.js";
import type { StoreIO } from "./store-io.js";
import { Uploads } from "./uploads.js";

export interface ObjectManagerDeps {
  selfAddress: string;
  nodeId: string;
  raylet: RpcConnection<RayletService>;
  peers: PeerPool;
  store: StoreIO;
  /** Called around waits that may block, so a worker can give its CPU back. */
  blocking: Blocking;
  /** Times get and wait timeouts and the confirmation of lost objects. */
  clock: Clock;
  config: ObjectManagerConfig;
}

/** The config entries the object parts use. */
export type ObjectManagerConfig = ObjectGetterConfig & Pick<ConfigValues, "inlineObjectMaxBytes">;

/**
 * Objects from this process's point of view, one part per job: the memory store (values
 * it owns), the reference counter (what it holds and borrows), the putter (new objects),
 * the directory (where owned objects' copies are, and node deaths), the getter and the
 * waiter (reading objects), and the batch of frees. Freeing an owned object is wired here.
 */
export class ObjectManager {
  readonly memory = new MemoryStore();
  readonly refs: ReferenceCounter;
  readonly putter: ObjectPutter;
  readonly directory: ObjectDirectory;
  readonly getter: ObjectGetter;
  readonly waiter: ObjectWaiter;
  /** Around waits that may block (get, wait, a generator's next): a worker gives its CPU back, a driver stays alive. */
  readonly blocking: Blocking;
  private readonly frees: FreeBatcher;
  private readonly freeListeners: ((objectId: string) => void)[] = [];

  constructor(private readonly deps: ObjectManagerDeps) {
    const { selfAddress, nodeId, raylet, peers, store, clock, config } = deps;
    const blocking = holdingProcess(deps.blocking);
    this.blocking = blocking;
    const memory = this.memory;
    this.refs = new ReferenceCounter(selfAddress, memory, peerBorrowChannel(peers), (id) => this.free(id));
    const uploads = new Uploads(memory);
    this.putter = new ObjectPutter({ selfAddress, nodeId, memory, refs: this.refs, store, uploads, inlineMaxBytes: config.inlineObjectMaxBytes });
    this.directory = new ObjectDirectory({ memory, raylet, uploads, clock, lostObjectConfirmTimeoutMs: config.lostObjectConfirmTimeoutMs });
    this.getter = new ObjectGetter({ selfAddress, nodeId, memory, directory: this.directory, peers, store, uploads, blocking, clock, config });
    this.waiter = new ObjectWaiter({ selfAddress, memory, getter: this.getter, blocking, clock });
    this.frees = new FreeBatcher({ nodeId, raylet, uploads });
  }

  get nodeId(): string {
    return this.deps.nodeId;
  }

  get selfAddress(): string {
    return this.deps.selfAddress;
  }

  /** This process lost its cluster: reads waiting on other processes end with `error`. */
  lost(error: Error): void {
    this.getter.lost(error);
  }

  /** Runs when an owned object is freed (no references left). */
  onFree(listener: (objectId: string) => void): void {
    this.freeListeners.push(listener);
  }

  /**
   * `lux.free(refs)`: objects this process owns are freed here, others by their owners (an
   * owner that is gone took its objects with it). Settles once every owner has freed them.
   */
  async freeRefs(refs: readonly ObjectRef[]): Promise<void> {
    const byOwner = new Map<string, string[]>();
    for (const ref of refs) {
      if (ref.ownerAddress === this.deps.selfAddress) this.freeNow(ref.objectId);
      else byOwner.set(ref.ownerAddress, [...(byOwner.get(ref.ownerAddress) ?? []), ref.objectId]);
    }
    await Promise.all(
      [...byOwner].map(async ([owner, objectIds]) => {
        try {
          await (await this.deps.peers.get(owner)).call("freeOwnedObjects", { objectIds });
        } catch (e) {
          if (!isOwnerGone(e)) throw e;
        }
      }),
    );
  }

  /**
   * `lux.free`: an owned object's value, the refs inside it and every copy go now, while refs
   * to it may live on: its entry keeps ObjectFreedError as its value, so reads fail with it.
   * A task result still pending fails now, and its value is dropped when it arrives.
   */
  freeNow(objectId: string): void {
    const slot = this.memory.slot(objectId);
    if (slot === undefined || isFreed(slot.value)) return;
    const v = slot.value;
    this.memory.setSlot(slot, freedValue(objectId));
    this.release(objectId, v);
  }

  /** A value nobody wants arrived (its object was freed meanwhile): a copy in a node's store goes too. */
  discard(objectId: string, nodeId: string | undefined): void {
    if (nodeId !== undefined) this.frees.add(objectId, nodeId, undefined);
  }

  /** An owned object has no references left: its entry, the refs inside it and every copy go. */
  private free(objectId: string): void {
    this.release(objectId, this.memory.delete(objectId));
  }

  private release(objectId: string, v: ObjectValue | undefined): void {
    for (const l of this.freeListeners) l(objectId);
    this.putter.unpinContained(objectId);
    const copies = this.directory.takeCopies(objectId);
    if (v?.kind === "stored") this.frees.add(objectId, v.nodeId, copies);
  }
}

/** A get or wait that blocks keeps the process alive until it returns (see KeepAlive). */
function holdingProcess(blocking: Blocking): Blocking {
  const keepAlive = new KeepAlive();
  return {
    enter: () => {
      keepAlive.hold();
      blocking.enter();
    },
    leave: () => {
      blocking.leave();
      keepAlive.release();
    },
  };
}

/** Borrow registrations travel to the owner over the peer connection to it. */
function peerBorrowChannel(peers: PeerPool): BorrowChannel {
  return {
    addBorrow: (objectId, owner) => peers.get(owner).then((c) => c.call("addBorrow", { objectIds: [objectId] })),
    removeBorrow: (objectId, owner) => {
      void peers.get(owner).then(
        (c) => c.notify("removeBorrow", { objectIds: [objectId] }),
        () => undefined,
      );
    },
  };
}
