import type { ObjectRefWire, RayletService, ReturnValue, RpcConnection } from "@lux/protocol";
import { ConnectFailedError, ConnectionClosedError } from "@lux/protocol";
import {
  GetTimeoutError,
  ObjectLostError,
  OwnerDiedError,
  config,
  fromWireError,
  newPutObjectId,
  toWireError,
} from "@lux/common";
import { MemoryStore, type ObjectValue, type Slot } from "./memory-store.js";
import { ObjectRef } from "./object-ref.js";
import type { PeerPool } from "./peer-pool.js";
import { ReferenceCounter } from "./reference-counter.js";
import { deserialize, serializeParts, type SerializedParts } from "./serialization/index.js";
import type { StoreIO } from "./store-io.js";

export interface ObjectManagerDeps {
  selfAddress: string;
  nodeId: string;
  raylet: RpcConnection<RayletService>;
  peers: PeerPool;
  store: StoreIO;
  /** Called around waits that may block, so a worker can give its CPU back. */
  blocking: { enter(): void; leave(): void };
}

export interface WaitOptions {
  numReturns: number;
  timeoutMs: number | undefined;
  /** The error for an element that is not an ObjectRef (checked in the same pass). */
  notARef: (index: number, value: unknown) => Error;
}

/**
 * Objects from this process's point of view: the values it owns (memory store + node
 * store), references it holds (counted), and fetching values it borrows from their owners.
 */
export class ObjectManager {
  readonly store = new MemoryStore();
  readonly refs: ReferenceCounter;
  /** Refs held because an object this process owns contains them. */
  private readonly containedPins = new Map<string, ObjectRefWire[]>();
  private readonly uploads = new Map<string, Promise<unknown>>();
  private readonly pendingBorrows = new Set<Promise<unknown>>();
  /** Owned stored objects: nodes besides the primary that pulled a copy (freed with it). */
  private readonly copies = new Map<string, Set<string>>();
  private freeBatch: { objectId: string; nodeId: string }[] = [];
  /** Nodes the control service declared dead (from subscribeNodeDeaths). */
  readonly deadNodes = new Set<string>();
  private readonly deathWaiters = new Map<string, (() => void)[]>();
  private lostHandler: ((objectIds: string[], failedNodes: ReadonlySet<string>) => void) | undefined;
  private readonly freeListeners: ((objectId: string) => void)[] = [];
  /** Counts `wait` calls: each call's mark on the slots it scans. */
  private waitCalls = 0;
  /** The remainder the last `wait` returned (all owned here, checked) and a copy of what it held then. */
  private lastWait: { rest: readonly ObjectRef[]; copy: ObjectRef[] } | undefined;
  private forgetScheduled = false;

  constructor(private readonly deps: ObjectManagerDeps) {
    this.refs = new ReferenceCounter(deps.selfAddress, this.store, {
      free: (id) => this.free(id),
      borrow: (id, owner) => this.sendBorrow(id, owner),
      unborrow: (id, owner) => {
        void this.deps.peers.get(owner).then(
          (c) => c.notify("removeBorrow", { objectIds: [id] }),
          () => undefined,
        );
      },
    });
  }

  get nodeId(): string {
    return this.deps.nodeId;
  }

  get selfAddress(): string {
    return this.deps.selfAddress;
  }

  /** Serializes `value` now and stores it; small values stay here, large ones go to the node's store. */
  put(value: unknown): ObjectRef {
    const parts = serializeParts(value, "the value passed to put", config("inlineObjectMaxBytes"));
    const objectId = newPutObjectId();
    // `contained` also lists actor handles, which hold no object to pin.
    const refs = parts.contained.filter((c): c is ObjectRef => c instanceof ObjectRef);
    this.pinContained(objectId, refs.map((r) => r.toWire()));
    let value_: ObjectValue;
    if (isInline(parts)) {
      value_ = { kind: "inline", bytes: parts.structure };
    } else {
      const { size, done } = this.deps.store.write(objectId, parts, this.deps.selfAddress);
      value_ = { kind: "stored", nodeId: this.deps.nodeId, size };
      if (done !== undefined) this.trackUpload(objectId, done);
    }
    return new ObjectRef(objectId, this.deps.selfAddress, this.store.put(objectId, value_));
  }

  pinContained(objectId: string, contained: readonly ObjectRefWire[]): void {
    // A re-created object (lineage reconstruction) keeps the pins of its first value.
    if (contained.length === 0 || this.containedPins.has(objectId)) return;
    this.containedPins.set(objectId, [...contained]);
    for (const r of contained) this.refs.pin(r.objectId, r.ownerAddress);
  }

  /** Executor side: stores a task's return value for its owner; resolves once it is readable. */
  async storeReturn(objectId: string, parts: SerializedParts, ownerAddress: string): Promise<{ nodeId: string; size: number }> {
    const { size, done } = this.deps.store.write(objectId, parts, ownerAddress);
    if (done !== undefined) await done;
    return { nodeId: this.deps.nodeId, size };
  }

  private trackUpload(objectId: string, done: Promise<void>): void {
    this.uploads.set(objectId, done);
    done.then(
      () => this.uploads.delete(objectId),
      (e: unknown) => {
        this.uploads.delete(objectId);
        this.store.set(objectId, { kind: "error", error: toWireError(e) });
      },
    );
  }

  /** Owner side: the value, location or error of an object, once known. */
  async status(objectId: string): Promise<ReturnValue> {
    // A staged object must be in the store before a borrower goes looking for it there.
    await this.uploads.get(objectId)?.catch(() => undefined);
    const v = await this.store.wait(objectId);
    if (v === undefined) {
      return { objectId, error: toWireError(new ObjectLostError({ objectId })) };
    }
    const reply = toReturnValue(objectId, v);
    const copies = this.copies.get(objectId);
    if (copies !== undefined && reply.nodeId !== undefined) reply.locations = [...copies];
    return reply;
  }

  /** Owner side: node `nodeId` pulled a copy of an object this process owns. */
  addCopy(objectId: string, nodeId: string): void {
    const v = this.store.peek(objectId);
    if (v?.kind !== "stored") {
      // Freed meanwhile (or never stored): the copy must not outlive it.
      if (!this.store.has(objectId)) this.deps.raylet.notify("freeObjects", { objectIds: [objectId], nodeId });
      return;
    }
    if (nodeId === v.nodeId) return;
    let set = this.copies.get(objectId);
    if (set === undefined) this.copies.set(objectId, (set = new Set()));
    set.add(nodeId);
  }

  /** Runs with the owned objects whose every copy is gone (to re-create them or record why not). */
  onLost(handler: (objectIds: string[], failedNodes: ReadonlySet<string>) => void): void {
    this.lostHandler = handler;
  }

  /** Runs when an owned object is freed (no references left). */
  onFree(listener: (objectId: string) => void): void {
    this.freeListeners.push(listener);
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
    const lost: string[] = [];
    for (const [objectId, v] of [...this.store.known()]) {
      if (v.kind !== "stored") continue;
      const copies = this.copies.get(objectId);
      copies?.delete(nodeId);
      if (v.nodeId !== nodeId) continue;
      const alive = [...(copies ?? [])].find((n) => !this.deadNodes.has(n));
      if (alive !== undefined) {
        copies?.delete(alive);
        this.store.set(objectId, { kind: "stored", nodeId: alive, size: v.size });
      } else {
        lost.push(objectId);
      }
    }
    if (lost.length > 0) this.lostHandler?.(lost, new Set([nodeId]));
    for (const w of waiters ?? []) w();
  }

  /** Nodes (among `failed`, `deadNodes` too) that hold no readable copy of an owned object: the others. */
  liveLocations(objectId: string, failed: ReadonlySet<string>): string[] {
    const v = this.store.peek(objectId);
    if (v?.kind !== "stored") return [];
    const all = [v.nodeId, ...(this.copies.get(objectId) ?? [])];
    return all.filter((n) => !failed.has(n) && !this.deadNodes.has(n));
  }

  /** An owned object is being re-created: gets wait for its new value. */
  resetPending(objectId: string): void {
    this.store.reset(objectId);
    this.copies.delete(objectId);
  }

  /** An owned object is lost for good: gets reject with ObjectLostError saying why. */
  markLost(objectId: string, reason: string): void {
    this.copies.delete(objectId);
    this.store.set(objectId, { kind: "error", error: toWireError(new ObjectLostError({ objectId, reason })) });
  }

  /** Owned objects just stored on a node already declared dead (the reply raced the death). */
  checkStored(objectIds: readonly string[]): void {
    const lost = objectIds.filter((id) => {
      const v = this.store.peek(id);
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
    const v = this.store.peek(objectId);
    if (v?.kind !== "stored") return; // being re-created, freed or failed: the reader locates it again
    const holders = new Set([v.nodeId, ...(this.copies.get(objectId) ?? [])]);
    const failed = nodeIds.filter((n) => holders.has(n));
    if (failed.length === 0 || failed.some((n) => this.deadNodes.has(n))) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, config("lostObjectConfirmTimeoutMs"));
      timer.unref();
      for (const n of failed) {
        const list = this.deathWaiters.get(n);
        if (list === undefined) this.deathWaiters.set(n, [done]);
        else list.push(done);
      }
    });
  }

  /** Reader side: tells the object's owner that no copy could be read (OwnerDiedError if it is gone). */
  private async reportLost(objectId: string, owner: string, nodeIds: string[]): Promise<void> {
    if (owner === this.deps.selfAddress) {
      await this.reportedLost(objectId, nodeIds);
      return;
    }
    try {
      const c = await this.deps.peers.get(owner);
      await c.call("reportObjectLost", { objectId, nodeIds }, config("lostObjectConfirmTimeoutMs") + 10_000);
    } catch (e) {
      if (isOwnerGone(e)) throw new OwnerDiedError({ objectId, ownerAddress: owner });
      throw e;
    }
  }

  /** Resolves when the object's value is known (not fetched), wherever its owner is. */
  async locate(ref: ObjectRef): Promise<ObjectValue> {
    return this.locateId(ref.objectId, ref.ownerAddress);
  }

  private async locateId(objectId: string, ownerAddress: string): Promise<ObjectValue> {
    const ref = { objectId, ownerAddress };
    if (ref.ownerAddress === this.deps.selfAddress) {
      const v = await this.store.wait(ref.objectId);
      if (v === undefined) return { kind: "error", error: toWireError(new ObjectLostError({ objectId: ref.objectId })) };
      const copies = v.kind === "stored" ? this.copies.get(ref.objectId) : undefined;
      return copies !== undefined && v.kind === "stored" ? { ...v, locations: [...copies] } : v;
    }
    let reply: ReturnValue;
    try {
      const owner = await this.deps.peers.get(ref.ownerAddress);
      reply = await owner.call("getObjectStatus", { objectId: ref.objectId });
    } catch (e) {
      if (isOwnerGone(e)) {
        const error = new OwnerDiedError({ objectId: ref.objectId, ownerAddress: ref.ownerAddress });
        return { kind: "error", error: toWireError(error) };
      }
      throw e;
    }
    return fromReturnValue(reply);
  }

  /** Whether the value is known right now without waiting (owned objects only). */
  readyNow(ref: ObjectRef): boolean {
    return ref.ownerAddress === this.deps.selfAddress && this.slotOf(ref)?.value !== undefined;
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
        return deserialize(v.bytes);
      case "error":
        throw fromWireError(v.error);
      case "stored": {
        await this.uploads.get(objectId);
        if (v.nodeId === this.deps.nodeId) return this.deps.store.read(objectId);
        const owner = ownerAddress ?? this.deps.selfAddress;
        const sources = [v.nodeId, ...(v.locations ?? [])];
        let value: unknown;
        try {
          value = await this.deps.store.readRemote(objectId, sources, owner, priority);
        } catch (e) {
          // No copy could be read: the owner re-creates the object once the node is declared dead.
          if (!(e instanceof ObjectLostError) || e instanceof OwnerDiedError || attempt >= MAX_LOST_RETRIES) throw e;
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

  /**
   * Tells the owner this node now holds a copy (acknowledged, so the owner knows of it by
   * the time the reader's task finishes): freeing the object frees it here too, and other
   * readers can pull from here when the primary is gone.
   */
  private async registerCopy(objectId: string, owner: string, known: readonly string[]): Promise<void> {
    const nodeId = this.deps.nodeId;
    if (known.includes(nodeId)) return;
    if (owner === this.deps.selfAddress) {
      this.addCopy(objectId, nodeId);
      return;
    }
    try {
      const c = await this.deps.peers.get(owner);
      await c.call("addObjectLocation", { objectId, nodeId }, 10_000);
    } catch {
      // The owner is gone (its objects with it) or slow: the copy stays evictable either way.
    }
  }

  async get(refs: readonly ObjectRef[], timeoutMs: number | undefined): Promise<unknown[]> {
    const self = this.deps.selfAddress;
    // Objects owned here are counted down by one shared callback on their entries, not a
    // promise chain per ref: a get of a batch of task results is the hot path.
    let pending = 0;
    let others = false;
    for (const ref of refs) {
      const slot = ref.ownerAddress === self ? this.slotOf(ref) : undefined;
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
      return await withTimeout(all, timeoutMs, () => {
        const notReady = refs.filter((r) => !this.readyNow(r)).map((r) => r.objectId);
        return new GetTimeoutError({ timeoutMs, objectIds: notReady.length > 0 ? notReady : refs.map((r) => r.objectId) });
      });
    } finally {
      this.deps.blocking.leave();
    }
  }

  private async getSlow(refs: readonly ObjectRef[], pendingOwned: number): Promise<unknown[]> {
    const self = this.deps.selfAddress;
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
            const slot = ref.ownerAddress === self ? this.slotOf(ref) : undefined;
            if (slot !== undefined && slot.value === undefined) (slot.waiters ??= []).push(onValue);
          }
        }),
      );
    }
    const elsewhere = new Set<number>();
    refs.forEach((ref, i) => {
      if (ref.ownerAddress === self && this.slotOf(ref) !== undefined) return;
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
    let fetches: Promise<void>[] | undefined;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i] as ObjectRef;
      if (done?.has(i) === true) continue;
      const v = ref.ownerAddress === self ? this.slotOf(ref)?.value : undefined;
      if (v?.kind === "inline") values[i] = deserialize(v.bytes);
      else if (v?.kind === "error") throw fromWireError(v.error);
      else {
        const fetch = async (): Promise<void> => {
          values[i] = await this.materialize(ref.objectId, v ?? (await this.locate(ref)), ref.ownerAddress, "get");
        };
        (fetches ??= []).push(fetch());
      }
    }
    return fetches === undefined ? undefined : Promise.all(fetches);
  }

  /**
   * Ready refs first, in input order. Costs O(refs) plain field reads per call and O(1) per
   * object that becomes ready, since waiting one result at a time on a long list of refs is
   * the common use (a set or closure per ref per call made that loop quadratic in allocations).
   * Duplicate refs are rejected (they would make `numReturns` ambiguous).
   */
  wait(refs: readonly ObjectRef[], opts: WaitOptions): [ObjectRef[], ObjectRef[]] | Promise<[ObjectRef[], ObjectRef[]]> {
    const again = this.waitAgain(refs, opts.numReturns);
    if (again !== undefined) return again;
    const mark = ++this.waitCalls;
    const self = this.deps.selfAddress;
    // The first watcher marks its slots; a wait that overlaps it keeps a set of its own.
    const solo = !this.store.watched();
    let ready = 0;
    let pendingOwned = 0;
    /** Refs without an entry here (owned elsewhere, or freed): index by object id. */
    let others: Map<string, number> | undefined;
    // Indices of the first `numReturns` refs ready now: when there are enough (the common
    // case when draining a list one at a time) they are the answer, cut out with native copies.
    const readyAt: number[] = [];
    for (let i = 0; i < refs.length; i++) {
      const ref: unknown = refs[i];
      if (!(ref instanceof ObjectRef)) throw opts.notARef(i, ref);
      const slot = ref.ownerAddress === self ? this.slotOf(ref) : undefined;
      if (slot !== undefined) {
        if (slot.seenMark === mark) throw duplicateRef(ref);
        slot.seenMark = mark;
        if (slot.value !== undefined) {
          if (ready++ < opts.numReturns) readyAt.push(i);
          continue;
        }
        pendingOwned++;
        if (solo) slot.watchMark = mark;
      } else {
        others ??= new Map();
        if (others.has(ref.objectId)) throw duplicateRef(ref);
        others.set(ref.objectId, i);
      }
    }
    if (ready >= opts.numReturns || opts.timeoutMs === 0) return others === undefined ? this.remember(splitAt(refs, readyAt)) : splitAt(refs, readyAt);
    return this.waitMore(refs, opts, { mark, solo, ready, pendingOwned, others });
  }

  /** The blocking part of `wait`: until enough refs are ready or the timeout passes. */
  private async waitMore(
    refs: readonly ObjectRef[],
    opts: WaitOptions,
    scan: { mark: number; solo: boolean; ready: number; pendingOwned: number; others: Map<string, number> | undefined },
  ): Promise<[ObjectRef[], ObjectRef[]]> {
    const self = this.deps.selfAddress;
    const { mark, solo, pendingOwned, others } = scan;
    let ready = scan.ready;
    const readyOthers = new Set<number>();
    const done = (): [ObjectRef[], ObjectRef[]] => {
      const r: ObjectRef[] = [];
      const n: ObjectRef[] = [];
      for (let i = 0; i < refs.length; i++) {
        const ref = refs[i] as ObjectRef;
        const isReady = ref.ownerAddress === self && this.slotOf(ref)?.value !== undefined ? true : readyOthers.has(i);
        (isReady && r.length < opts.numReturns ? r : n).push(ref);
      }
      return [r, n];
    };
    this.deps.blocking.enter();
    let unwatch: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const oneMore = (): void => {
          if (++ready < opts.numReturns) return;
          clearTimeout(timer);
          resolve();
        };
        if (opts.timeoutMs !== undefined) timer = setTimeout(resolve, opts.timeoutMs);
        if (pendingOwned > 0) {
          let watched: Set<Slot> | undefined;
          if (!solo) {
            watched = new Set();
            for (const ref of refs) {
              const slot = ref.ownerAddress === self ? this.slotOf(ref) : undefined;
              if (slot !== undefined && slot.value === undefined) watched.add(slot);
            }
          }
          unwatch = this.store.watch((slot) => {
            // Counted once: a value can be set again (a lost copy, a new location).
            if (watched === undefined ? slot.watchMark !== mark : !watched.delete(slot)) return;
            slot.watchMark = 0;
            oneMore();
          });
        }
        if (others !== undefined) {
          for (const i of others.values()) {
            this.locate(refs[i] as ObjectRef).then(
              () => {
                readyOthers.add(i);
                oneMore();
              },
              (e: unknown) => {
                clearTimeout(timer);
                reject(e as Error);
              },
            );
          }
        }
      });
    } finally {
      unwatch?.();
      this.deps.blocking.leave();
    }
    return done();
  }

  /**
   * The answer to a `wait` on the remainder the previous one returned (the drain loop), when
   * enough of its refs are ready: those refs were checked then (ObjectRefs owned here, no
   * duplicates), so only the ready ones at the front are looked at instead of every ref.
   * `undefined`: take the full path.
   */
  private waitAgain(refs: readonly ObjectRef[], numReturns: number): [ObjectRef[], ObjectRef[]] | undefined {
    const last = this.lastWait;
    if (last === undefined || last.rest !== refs || last.copy.length !== refs.length) return undefined;
    // The caller may have changed the array since: it must still hold the same refs.
    const copy = last.copy;
    for (let i = 0; i < refs.length; i++) if (refs[i] !== copy[i]) return undefined;
    const readyAt: number[] = [];
    for (let i = 0; i < refs.length && readyAt.length < numReturns; i++) {
      const slot = this.slotOf(refs[i] as ObjectRef);
      if (slot === undefined) return undefined;
      if (slot.value !== undefined) readyAt.push(i);
    }
    if (readyAt.length < numReturns) return undefined;
    const answer = splitAt(refs, readyAt);
    if (readyAt.length <= 16) {
      for (let j = readyAt.length - 1; j >= 0; j--) copy.splice(readyAt[j] as number, 1);
      last.rest = answer[1];
    } else {
      this.lastWait = { rest: answer[1], copy: answer[1].slice() };
    }
    return answer;
  }

  /**
   * Keeps the remainder of an answer about owned refs, and a private copy of it, for the
   * next call's `waitAgain`: until the end of this event-loop turn, so the refs in the copy
   * are not kept alive past the caller's loop.
   */
  private remember(answer: [ObjectRef[], ObjectRef[]]): [ObjectRef[], ObjectRef[]] {
    this.lastWait = { rest: answer[1], copy: answer[1].slice() };
    if (!this.forgetScheduled) {
      this.forgetScheduled = true;
      setImmediate(() => {
        this.forgetScheduled = false;
        this.lastWait = undefined;
      });
    }
    return answer;
  }

  /** The memory-store entry of an object this process owns, cached on the ref. */
  private slotOf(ref: ObjectRef): Slot | undefined {
    let slot = ref.slot;
    if (slot === undefined || slot.deleted) {
      slot = this.store.slot(ref.objectId);
      ref.slot = slot;
    }
    return slot;
  }

  /** Whether borrow registrations are still unacknowledged (`flushBorrows` would wait). */
  borrowsPending(): boolean {
    return this.pendingBorrows.size > 0;
  }

  /** Waits until borrow registrations sent so far are acknowledged by their owners. */
  async flushBorrows(): Promise<void> {
    if (this.pendingBorrows.size === 0) return;
    await Promise.allSettled([...this.pendingBorrows]);
  }

  private sendBorrow(objectId: string, owner: string): void {
    const p = this.deps.peers.get(owner).then((c) => c.call("addBorrow", { objectIds: [objectId] }));
    this.pendingBorrows.add(p);
    p.then(
      () => this.pendingBorrows.delete(p),
      () => this.pendingBorrows.delete(p),
    );
  }

  private free(objectId: string): void {
    const v = this.store.delete(objectId);
    for (const l of this.freeListeners) l(objectId);
    const pins = this.containedPins.size === 0 ? undefined : this.containedPins.get(objectId);
    if (pins !== undefined) {
      this.containedPins.delete(objectId);
      for (const r of pins) this.refs.unpin(r.objectId);
    }
    const copies = this.copies.size === 0 ? undefined : this.copies.get(objectId);
    if (copies !== undefined) this.copies.delete(objectId);
    if (v?.kind === "stored") {
      // Every copy goes: the primary's node and the nodes that pulled one.
      if (this.freeBatch.length === 0) setImmediate(() => this.flushFrees());
      for (const nodeId of new Set([v.nodeId, ...(copies ?? [])])) this.freeBatch.push({ objectId, nodeId });
    }
  }

  private flushFrees(): void {
    const batch = this.freeBatch;
    this.freeBatch = [];
    const byNode = new Map<string, string[]>();
    for (const { objectId, nodeId } of batch) {
      const ids = byNode.get(nodeId);
      if (ids === undefined) byNode.set(nodeId, [objectId]);
      else ids.push(objectId);
    }
    const upload = Promise.allSettled(batch.map((f) => this.uploads.get(f.objectId)));
    void upload.then(() => {
      for (const [nodeId, objectIds] of byNode) {
        // The local raylet frees its own objects and forwards the rest to their nodes.
        this.deps.raylet.notify("freeObjects", nodeId === this.deps.nodeId || nodeId === "" ? { objectIds } : { objectIds, nodeId });
      }
    });
  }
}

/** Times a reader asks the owner to re-create an object it could not read before giving up. */
const MAX_LOST_RETRIES = 3;

/** The peer at the owner's address is gone (closed, or nothing listens there any more). */
function isOwnerGone(e: unknown): boolean {
  return e instanceof ConnectionClosedError || e instanceof ConnectFailedError;
}

export function toReturnValue(objectId: string, v: ObjectValue): ReturnValue {
  switch (v.kind) {
    case "inline":
      return { objectId, value: v.bytes };
    case "stored":
      return { objectId, nodeId: v.nodeId, size: v.size };
    case "error":
      return { objectId, error: v.error };
  }
}

export function fromReturnValue(r: ReturnValue): ObjectValue {
  if (r.error !== undefined) return { kind: "error", error: r.error as ReturnType<typeof toWireError> };
  if (r.value !== undefined) return { kind: "inline", bytes: r.value };
  const stored = { kind: "stored", nodeId: r.nodeId ?? "", size: r.size ?? 0 } as const;
  return r.locations !== undefined && r.locations.length > 0 ? { ...stored, locations: r.locations } : stored;
}

function withTimeout<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(error()), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e as Error);
      },
    );
  });
}

/** Small values without large binaries travel inline; the rest goes to the node's store. */
export function isInline(parts: SerializedParts): boolean {
  return parts.buffers.length === 0 && parts.structure.byteLength <= config("inlineObjectMaxBytes");
}

/** `[refs at the (ascending) indices, the other refs]`, both in input order. */
function splitAt(refs: readonly ObjectRef[], indices: readonly number[]): [ObjectRef[], ObjectRef[]] {
  const picked = indices.map((i) => refs[i] as ObjectRef);
  if (indices.length <= 16) {
    const rest = refs.slice();
    for (let j = indices.length - 1; j >= 0; j--) rest.splice(indices[j] as number, 1);
    return [picked, rest];
  }
  const rest: ObjectRef[] = [];
  for (let i = 0, j = 0; i < refs.length; i++) {
    if (i === indices[j]) j++;
    else rest.push(refs[i] as ObjectRef);
  }
  return [picked, rest];
}

function duplicateRef(ref: ObjectRef): TypeError {
  return new TypeError(`lux.wait(): ${ref.toString()} appears more than once; pass each ref once`);
}
