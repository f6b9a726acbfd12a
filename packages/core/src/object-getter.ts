import type { Clock, ObjectPending, ReturnValue } from "@lux/protocol";
import { ConnectFailedError, ConnectionClosedError, RpcTimeoutError } from "@lux/protocol";
import { GetTimeoutError, ObjectLostError, OwnerDiedError, fromWireError, toWireError, type ConfigValues } from "@lux/common";
import type { MemoryStore, ObjectValue } from "./memory-store.js";
import type { ObjectDirectory } from "./object-directory.js";
import type { ObjectRef } from "./object-ref.js";
import { fromReturnValue } from "./object-value.js";
import type { PeerPool } from "./connections.js";
import { deserializeLoading } from "./serialization/index.js";
import type { StoreIO } from "./store-io.js";
import type { Uploads } from "./uploads.js";

/** Called around waits that may block, so a worker can give its CPU back. */
export interface Blocking {
  enter(): void;
  leave(): void;
}

export interface ObjectGetterDeps {
  selfAddress: string;
  nodeId: string;
  memory: MemoryStore;
  directory: ObjectDirectory;
  peers: PeerPool;
  /** The node's shared-memory store. */
  store: StoreIO;
  uploads: Uploads;
  blocking: Blocking;
  /** Times `get`'s timeout. */
  clock: Clock;
  config: ObjectGetterConfig;
}

/** The config entries an ObjectGetter uses. */
export type ObjectGetterConfig = Pick<ConfigValues, "maxObjectLostRetries" | "lostObjectConfirmTimeoutMs" | "rpcTimeoutMs" | "rpcLongPollMs">;

/**
 * Reads objects: locates a value (here, or by asking its owner), turns it into a JavaScript
 * value (reading or pulling it into this node's store), and asks the owner to re-create an
 * object no copy of which could be read.
 */
export class ObjectGetter {
  /** Set once this process lost its cluster: gets waiting on other owners end with it. */
  private lostError: Error | undefined;

  constructor(private readonly deps: ObjectGetterDeps) {}

  /** This process lost its cluster: a get polling another process's object ends at its next round. */
  lost(error: Error): void {
    this.lostError = error;
  }

  /** Resolves when the object's value is known (not fetched), wherever its owner is. */
  async locate(ref: ObjectRef): Promise<ObjectValue> {
    return this.locateId(ref.objectId, ref.ownerAddress);
  }

  private async locateId(objectId: string, ownerAddress: string): Promise<ObjectValue> {
    if (ownerAddress === this.deps.selfAddress) {
      return this.deps.directory.located(objectId, await this.deps.memory.wait(objectId));
    }
    const { rpcLongPollMs: waitMs, rpcTimeoutMs } = this.deps.config;
    let reply: ReturnValue;
    try {
      const owner = await this.deps.peers.get(ownerAddress);
      // A long-poll: the owner answers "pending" after waitMs while the task runs on.
      for (;;) {
        // An owner that does not answer a round (stopped, or overloaded) is asked again: it is
        // not dead until its connection closes, and the caller's timeoutMs bounds the wait.
        let r: ReturnValue | ObjectPending;
        try {
          r = await owner.call("getObjectStatus", { objectId, waitMs }, waitMs + rpcTimeoutMs);
        } catch (e) {
          r = pendingOnTimeout(e);
        }
        if (!("pending" in r)) {
          reply = r;
          break;
        }
        if (this.lostError !== undefined) throw this.lostError;
      }
    } catch (e) {
      if (isOwnerGone(e)) return { kind: "error", error: toWireError(new OwnerDiedError({ objectId, ownerAddress })) };
      throw e;
    }
    return fromReturnValue(reply);
  }

  /** Whether the value is known right now without waiting (owned objects only). */
  readyNow(ref: ObjectRef): boolean {
    return ref.ownerAddress === this.deps.selfAddress && this.deps.memory.slotOf(ref)?.value !== undefined;
  }

  /**
   * Turns a located value into a JavaScript value (fetching from the node store if needed;
   * a value stored on another node is first pulled into this node's store). `ownerAddress`
   * is told of the new copy; `priority` "get" pulls before task arguments ("arg").
   */
  async materialize(
    objectId: string,
    v: ObjectValue,
    ownerAddress?: string,
    priority: "get" | "arg" = "get",
    attempt = 0,
  ): Promise<unknown> {
    switch (v.kind) {
      case "inline":
        return deserializeLoading(v.bytes);
      case "error":
        throw fromWireError(v.error);
      case "stored": {
        await this.deps.uploads.of(objectId);
        if (v.nodeId === this.deps.nodeId) return this.deps.store.read(objectId);
        const owner = ownerAddress ?? this.deps.selfAddress;
        const sources = [v.nodeId, ...(v.locations ?? [])];
        let value: unknown;
        try {
          value = await this.deps.store.readRemote(objectId, sources, owner, priority);
        } catch (e) {
          // No copy could be read: the owner re-creates the object once the node is declared dead.
          if (!(e instanceof ObjectLostError) || e instanceof OwnerDiedError || attempt >= this.deps.config.maxObjectLostRetries) throw e;
          this.deps.blocking.enter();
          let again: ObjectValue;
          try {
            await this.reportLost(objectId, owner, sources);
            again = await this.locateId(objectId, owner);
          } finally {
            this.deps.blocking.leave();
          }
          return this.materialize(objectId, again, ownerAddress, priority, attempt + 1);
        }
        await this.registerCopy(objectId, owner, sources);
        return value;
      }
    }
  }

  /** Reader side: tells the object's owner that no copy could be read (OwnerDiedError if it is gone). */
  private async reportLost(objectId: string, owner: string, nodeIds: string[]): Promise<void> {
    if (owner === this.deps.selfAddress) {
      await this.deps.directory.reportedLost(objectId, nodeIds);
      return;
    }
    try {
      const c = await this.deps.peers.get(owner);
      // The owner answers within lostObjectConfirmTimeoutMs (see ObjectDirectory.reportedLost).
      const { lostObjectConfirmTimeoutMs, rpcTimeoutMs } = this.deps.config;
      await c.call("reportObjectLost", { objectId, nodeIds }, lostObjectConfirmTimeoutMs + rpcTimeoutMs);
    } catch (e) {
      if (isOwnerGone(e)) throw new OwnerDiedError({ objectId, ownerAddress: owner });
      throw e;
    }
  }

  /**
   * Tells the owner this node now holds a copy (acknowledged, so the owner knows of it by
   * the time the reader's task finishes): freeing the object frees it here too, and other
   * readers can pull from here when the primary is gone.
   */
  private async registerCopy(objectId: string, owner: string, known: readonly string[]): Promise<void> {
    const nodeId = this.deps.nodeId;
    if (known.includes(nodeId)) return;
    if (owner === this.deps.selfAddress) {
      this.deps.directory.addCopy(objectId, nodeId);
      return;
    }
    try {
      const c = await this.deps.peers.get(owner);
      await c.call("addObjectLocation", { objectId, nodeId });
    } catch {
      // The owner is gone (its objects with it) or slow: the copy stays evictable either way.
    }
  }

  async get(refs: readonly ObjectRef[], timeoutMs: number | undefined): Promise<unknown[]> {
    const self = this.deps.selfAddress;
    const memory = this.deps.memory;
    // Objects owned here are counted down by one shared callback on their entries, not a
    // promise chain per ref: a get of a batch of task results is the hot path.
    let pending = 0;
    let others = false;
    for (const ref of refs) {
      const slot = ref.ownerAddress === self ? memory.slotOf(ref) : undefined;
      if (slot === undefined) others = true;
      else if (slot.value === undefined) pending++;
      else if (slot.value.kind === "error") throw fromWireError(slot.value.error);
    }
    if (pending === 0 && !others) {
      const values = new Array<unknown>(refs.length);
      await this.collect(refs, values);
      return values;
    }
    this.deps.blocking.enter();
    try {
      const all = this.getSlow(refs, pending);
      if (timeoutMs === undefined) return await all;
      return await withTimeout(this.deps.clock, all, timeoutMs, () => {
        const notReady = refs.filter((r) => !this.readyNow(r)).map((r) => r.objectId);
        return new GetTimeoutError({ timeoutMs, objectIds: notReady.length > 0 ? notReady : refs.map((r) => r.objectId) });
      });
    } finally {
      this.deps.blocking.leave();
    }
  }

  private async getSlow(refs: readonly ObjectRef[], pendingOwned: number): Promise<unknown[]> {
    const self = this.deps.selfAddress;
    const memory = this.deps.memory;
    const values = new Array<unknown>(refs.length);
    const waits: Promise<unknown>[] = [];
    if (pendingOwned > 0) {
      waits.push(
        new Promise<void>((resolve, reject) => {
          let left = pendingOwned;
          const onValue = (v: ObjectValue): void => {
            if (v.kind === "error") reject(fromWireError(v.error));
            else if (--left === 0) resolve();
          };
          for (const ref of refs) {
            const slot = ref.ownerAddress === self ? memory.slotOf(ref) : undefined;
            if (slot !== undefined && slot.value === undefined) memory.addWaiter(slot, onValue);
          }
        }),
      );
    }
    const elsewhere = new Set<number>();
    refs.forEach((ref, i) => {
      if (ref.ownerAddress === self && memory.slotOf(ref) !== undefined) return;
      elsewhere.add(i);
      waits.push(this.locate(ref).then(async (v) => void (values[i] = await this.materialize(ref.objectId, v, ref.ownerAddress, "get"))));
    });
    await Promise.all(waits);
    await this.collect(refs, values, elsewhere);
    return values;
  }

  /**
   * Fills `values` with the values of the refs owned here (deserialized now when inline;
   * fetched when stored; found again if the value went missing meanwhile).
   */
  private collect(refs: readonly ObjectRef[], values: unknown[], done?: ReadonlySet<number>): Promise<unknown> | undefined {
    const self = this.deps.selfAddress;
    const memory = this.deps.memory;
    let fetches: Promise<void>[] | undefined;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i] as ObjectRef;
      if (done?.has(i) === true) continue;
      const v = ref.ownerAddress === self ? memory.slotOf(ref)?.value : undefined;
      if (v?.kind === "inline") {
        const value = deserializeLoading(v.bytes);
        // A Promise only while the classes of instances in it are loaded (never a value: Promises cannot be sent).
        if (value instanceof Promise) (fetches ??= []).push(value.then((loaded) => void (values[i] = loaded)));
        else values[i] = value;
      } else if (v?.kind === "error") throw fromWireError(v.error);
      else {
        const fetch = async (): Promise<void> => {
          values[i] = await this.materialize(ref.objectId, v ?? (await this.locate(ref)), ref.ownerAddress, "get");
        };
        (fetches ??= []).push(fetch());
      }
    }
    return fetches === undefined ? undefined : Promise.all(fetches);
  }
}

/** A long-poll round with no answer counts as "still pending". */
function pendingOnTimeout(e: unknown): ObjectPending {
  if (e instanceof RpcTimeoutError) return { objectId: "", pending: true };
  throw e;
}

/** The peer at the owner's address is gone (closed, or nothing listens there any more). */
/** A call to an object's owner failed because the owner is gone (its objects went with it). */
export function isOwnerGone(e: unknown): boolean {
  return e instanceof ConnectionClosedError || e instanceof ConnectFailedError;
}

function withTimeout<T>(clock: Clock, p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(error()), ms);
    p.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (e: unknown) => {
        timer.cancel();
        reject(e as Error);
      },
    );
  });
}
