import type { Clock, RayletService, RpcConnection } from "@lux/protocol";
import type { ConfigValues } from "@lux/common";
import type { PeerPool } from "./connections.js";
import { FreeBatcher } from "./free-batcher.js";
import { KeepAlive } from "./keep-alive.js";
import { MemoryStore } from "./memory-store.js";
import { ObjectDirectory } from "./object-directory.js";
import { ObjectGetter, type Blocking, type ObjectGetterConfig } from "./object-getter.js";
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
  private readonly frees: FreeBatcher;
  private readonly freeListeners: ((objectId: string) => void)[] = [];

  constructor(private readonly deps: ObjectManagerDeps) {
    const { selfAddress, nodeId, raylet, peers, store, clock, config } = deps;
    const blocking = holdingProcess(deps.blocking);
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

  /** An owned object has no references left: its entry, the refs inside it and every copy go. */
  private free(objectId: string): void {
    const v = this.memory.delete(objectId);
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
