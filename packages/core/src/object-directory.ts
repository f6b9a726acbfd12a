import type { Clock, ObjectPending, RayletService, ReturnValue, RpcConnection } from "@lux/protocol";
import { ObjectLostError, toWireError } from "@lux/common";
import type { MemoryStore, ObjectValue, Slot } from "./memory-store.js";
import { toReturnValue } from "./object-value.js";
import type { Uploads } from "./uploads.js";

export interface ObjectDirectoryDeps {
  memory: MemoryStore;
  /** The local raylet: frees a copy that outlived its object. */
  raylet: Pick<RpcConnection<RayletService>, "notify">;
  uploads: Uploads;
  /** Times how long a reader's report of a lost copy waits for the node's death. */
  clock: Clock;
  /** config lostObjectConfirmTimeoutMs: how long a report that no copy could be read waits for the node's death. */
  lostObjectConfirmTimeoutMs: number;
}

/**
 * The owner's directory of the objects it owns: where their copies are, which nodes died
 * (and with them the objects whose every copy was there), and the answers to readers that
 * ask for an object's value or could not read it.
 */
export class ObjectDirectory {
  /** Owned stored objects: nodes besides the primary that pulled a copy (freed with it). */
  private readonly copies = new Map<string, Set<string>>();
  /** Nodes the control service declared dead (from subscribeNodeDeaths). */
  readonly deadNodes = new Set<string>();
  private readonly deathWaiters = new Map<string, (() => void)[]>();
  private lostHandler: ((objectIds: string[], failedNodes: ReadonlySet<string>) => void) | undefined;

  constructor(private readonly deps: ObjectDirectoryDeps) {}

  /**
   * Owner side: the value, location or error of an object, once known; `pending` if it is
   * still not known after `waitMs` (a long-poll: the reader asks again, so neither side
   * waits on the other without a deadline while the task that makes it runs).
   */
  async status(objectId: string, waitMs: number): Promise<ReturnValue | ObjectPending> {
    // A staged object must be in the store before a borrower goes looking for it there.
    await this.deps.uploads.of(objectId)?.catch(() => undefined);
    const slot = this.deps.memory.slot(objectId);
    const v = slot === undefined ? undefined : (slot.value ?? (await this.valueWithin(slot, waitMs)));
    if (slot !== undefined && v === undefined) return slot.deleted ? lost(objectId) : { objectId, pending: true };
    if (v === undefined) return lost(objectId);
    const reply = toReturnValue(objectId, v);
    const copies = this.copies.get(objectId);
    if (copies !== undefined && reply.nodeId !== undefined) reply.locations = [...copies];
    return reply;
  }

  /** The pending slot's value once set, or undefined if it is not set within `waitMs`. */
  private valueWithin(slot: Slot, waitMs: number): Promise<ObjectValue | undefined> {
    const { memory } = this.deps;
    return new Promise((resolve) => {
      const waiter = (v: ObjectValue): void => {
        timer.cancel();
        resolve(v);
      };
      // Unref'd: a reader's question keeps this process alive only as its connection does.
      const timer = this.deps.clock
        .setTimeout(() => {
          memory.removeWaiter(slot, waiter);
          resolve(undefined);
        }, waitMs)
        .unref();
      memory.addWaiter(slot, waiter);
    });
  }

  /** An owned object's value as a reader here sees it (`v`: its store value, awaited): with its copies. */
  located(objectId: string, v: ObjectValue | undefined): ObjectValue {
    if (v === undefined) return { kind: "error", error: toWireError(new ObjectLostError({ objectId })) };
    const copies = v.kind === "stored" ? this.copies.get(objectId) : undefined;
    return copies !== undefined && v.kind === "stored" ? { ...v, locations: [...copies] } : v;
  }

  /** Owner side: node `nodeId` pulled a copy of an object this process owns. */
  addCopy(objectId: string, nodeId: string): void {
    const { memory } = this.deps;
    const v = memory.peek(objectId);
    if (v?.kind !== "stored") {
      // Freed meanwhile (or never stored): the copy must not outlive it.
      if (!memory.has(objectId)) this.deps.raylet.notify("freeObjects", { objectIds: [objectId], nodeId });
      return;
    }
    if (nodeId === v.nodeId) return;
    let set = this.copies.get(objectId);
    if (set === undefined) this.copies.set(objectId, (set = new Set()));
    set.add(nodeId);
  }

  /** The owned object was freed: the nodes besides its primary that hold a copy (to free them too). */
  takeCopies(objectId: string): Set<string> | undefined {
    const copies = this.copies.size === 0 ? undefined : this.copies.get(objectId);
    if (copies !== undefined) this.copies.delete(objectId);
    return copies;
  }

  /** Runs with the owned objects whose every copy is gone (to re-create them or record why not). */
  onLost(handler: (objectIds: string[], failedNodes: ReadonlySet<string>) => void): void {
    this.lostHandler = handler;
  }

  /**
   * The control service declared `nodeId` dead: copies there are gone. An owned object with
   * a copy elsewhere is read from there from now on; the others are lost.
   */
  nodeDied(nodeId: string): void {
    if (this.deadNodes.has(nodeId)) return;
    this.deadNodes.add(nodeId);
    const waiters = this.deathWaiters.get(nodeId);
    this.deathWaiters.delete(nodeId);
    const { memory } = this.deps;
    const lost: string[] = [];
    for (const [objectId, v] of [...memory.known()]) {
      if (v.kind !== "stored") continue;
      const copies = this.copies.get(objectId);
      copies?.delete(nodeId);
      if (v.nodeId !== nodeId) continue;
      const alive = [...(copies ?? [])].find((n) => !this.deadNodes.has(n));
      if (alive !== undefined) {
        copies?.delete(alive);
        memory.set(objectId, { kind: "stored", nodeId: alive, size: v.size });
      } else {
        lost.push(objectId);
      }
    }
    if (lost.length > 0) this.lostHandler?.(lost, new Set([nodeId]));
    for (const w of waiters ?? []) w();
  }

  /** Nodes (among `failed`, `deadNodes` too) that hold no readable copy of an owned object: the others. */
  liveLocations(objectId: string, failed: ReadonlySet<string>): string[] {
    const v = this.deps.memory.peek(objectId);
    if (v?.kind !== "stored") return [];
    const all = [v.nodeId, ...(this.copies.get(objectId) ?? [])];
    return all.filter((n) => !failed.has(n) && !this.deadNodes.has(n));
  }

  /** An owned object is being re-created: gets wait for its new value. */
  resetPending(objectId: string): void {
    this.deps.memory.reset(objectId);
    this.copies.delete(objectId);
  }

  /** An owned object is lost for good: gets reject with ObjectLostError saying why. */
  markLost(objectId: string, reason: string): void {
    this.copies.delete(objectId);
    this.deps.memory.set(objectId, { kind: "error", error: toWireError(new ObjectLostError({ objectId, reason })) });
  }

  /** Owned objects just stored on a node already declared dead (the reply raced the death). */
  checkStored(objectIds: readonly string[]): void {
    const lost = objectIds.filter((id) => {
      const v = this.deps.memory.peek(id);
      return v?.kind === "stored" && this.deadNodes.has(v.nodeId);
    });
    if (lost.length > 0) this.lostHandler?.(lost, new Set(this.deadNodes));
  }

  /**
   * Owner side: a reader could read no copy of the object from `nodeIds`. Waits (bounded)
   * until the control service declares one of those nodes dead, which re-creates the object
   * or records why it cannot be; then the reader locates it again.
   */
  async reportedLost(objectId: string, nodeIds: readonly string[]): Promise<void> {
    const v = this.deps.memory.peek(objectId);
    if (v?.kind !== "stored") return; // being re-created, freed or failed: the reader locates it again
    const holders = new Set([v.nodeId, ...(this.copies.get(objectId) ?? [])]);
    const failed = nodeIds.filter((n) => holders.has(n));
    if (failed.length === 0 || failed.some((n) => this.deadNodes.has(n))) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        timer.cancel();
        resolve();
      };
      // Not unref'd: a get is waiting on this, and a driver's connections are weak (unref'd
      // while no call is pending), so nothing else may keep the process alive until the
      // control service's word on the node arrives; unref'd, the driver could exit mid-get.
      const timer = this.deps.clock.setTimeout(done, this.deps.lostObjectConfirmTimeoutMs);
      for (const n of failed) {
        const list = this.deathWaiters.get(n);
        if (list === undefined) this.deathWaiters.set(n, [done]);
        else list.push(done);
      }
    });
  }
}

function lost(objectId: string): ReturnValue {
  return { objectId, error: toWireError(new ObjectLostError({ objectId })) };
}
