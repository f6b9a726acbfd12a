import { ObjectFreedError, toWireError, type WireError } from "@lux/common";
import type { ObjectRef } from "./object-ref.js";
import type { RefCounts } from "./reference-counter.js";

/** Where an object's value is: inline bytes, a node's object store, or an error. */
export type ObjectValue =
  | { readonly kind: "inline"; readonly bytes: Uint8Array }
  | { readonly kind: "stored"; readonly nodeId: string; readonly size: number; readonly locations?: readonly string[] }
  | { readonly kind: "error"; readonly error: WireError };

/** Called once with an object's value when it is set. */
export type Waiter = (v: ObjectValue) => void;

/**
 * One owned object's entry, with its reference counts (the ReferenceCounter keeps them
 * here). Stable for the object's life: `wait` keeps slots, not ids. Its own fields are
 * read-only outside: only MemoryStore's methods change them.
 */
export interface Slot extends RefCounts {
  readonly id: string;
  readonly value: ObjectValue | undefined;
  /**
   * Who waits for its value: one waiter as itself (a get of a batch of results waits on each
   * slot once: no list per slot), more in a list.
   */
  readonly waiters: Waiter | Waiter[] | undefined;
  /** Set when the entry is deleted, so holders of the slot know it is stale. */
  readonly deleted: boolean;
  /** Scratch marks for one `wait` call (see ObjectWaiter): seen in this call, watched by it. */
  readonly seenMark: number;
  readonly watchMark: number;
  /** The unfinished task that returns this object (owner side), for cancel. */
  readonly task: unknown;
}

/** Whether `slots` is a list (no return, or several), not a single return's slot. */
export function isSlotList(slots: Slot | readonly Slot[]): slots is readonly Slot[] {
  return Array.isArray(slots);
}

/** A task's return slots as a list. */
export function slotList(slots: Slot | readonly Slot[]): readonly Slot[] {
  return isSlotList(slots) ? slots : [slots];
}

/** The value of an object freed with `lux.free` while refs to it live on: reads fail with ObjectFreedError. */
export function freedValue(objectId: string): ObjectValue {
  // Without stack frames: where lux.free ran tells a later reader nothing, and formatting them
  // (through source maps, under tsx) cost more than the rest of freeing the object.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return { kind: "error", error: toWireError(new ObjectFreedError({ objectId })) };
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Whether a value is freedValue's: it is final (a task result arriving later is dropped). */
export function isFreed(v: ObjectValue | undefined): boolean {
  return v !== undefined && v.kind === "error" && v.error.code === "LUX_OBJECT_FREED";
}

/** A Slot as MemoryStore sees it (a cast, not a copy). */
type MutableSlot = { -readonly [K in keyof Slot]: Slot[K] };

/**
 * A slot as MemoryStore makes it. `borrowers` is on the prototype until an object gets one
 * (another process holds a ref to it: rare for a task's result), so the entry of each of a
 * million queued tasks' results is a field smaller.
 */
class SlotEntry {
  readonly id: string;
  value: ObjectValue | undefined;
  waiters: Waiter | Waiter[] | undefined = undefined;
  deleted = false;
  seenMark = 0;
  watchMark = 0;
  task: unknown = undefined;
  local = 0;
  pins = 0;
  declare borrowers: number;

  constructor(id: string, value: ObjectValue | undefined) {
    this.id = id;
    this.value = value;
  }
}
Object.defineProperty(SlotEntry.prototype, "borrowers", { value: 0, writable: true, enumerable: false, configurable: true });

const newSlot = (id: string, value: ObjectValue | undefined): MutableSlot => new SlotEntry(id, value);

/**
 * The owner's in-process store: values of small objects, locations of large ones, and
 * errors. Entries exist from submission (pending) until the reference counter frees them.
 */
export class MemoryStore {
  private readonly slots = new Map<string, Slot>();
  /** Called with every slot whose value becomes known (waits on many objects use this). */
  private readonly watchers = new Set<(slot: Slot) => void>();

  /** The object's entry, made pending if it has none. */
  createPending(objectId: string): Slot {
    let slot = this.slots.get(objectId);
    if (slot === undefined) {
      slot = newSlot(objectId, undefined);
      this.slots.set(objectId, slot);
    }
    return slot;
  }

  /** A pending entry for an id that has none (a new task's return: no lookup first). */
  createNew(objectId: string): Slot {
    const slot = newSlot(objectId, undefined);
    this.slots.set(objectId, slot);
    return slot;
  }

  /** Sets the object's value; false if nobody wants it (its entry is gone, or it was freed with lux.free). */
  set(objectId: string, value: ObjectValue): boolean {
    const slot = this.slots.get(objectId);
    return slot !== undefined && this.setSlot(slot, value); // else freed while pending: nobody wants it
  }

  /** `set` for a slot the caller holds (no lookup by id). */
  setSlot(slot: Slot, value: ObjectValue): boolean {
    if (slot.deleted || isFreed(slot.value)) return false;
    const s = slot as MutableSlot;
    s.value = value;
    const waiters = s.waiters;
    s.waiters = undefined;
    if (typeof waiters === "function") waiters(value);
    else if (waiters !== undefined) for (const w of waiters) w(value);
    if (this.watchers.size > 0) for (const w of this.watchers) w(slot);
    return true;
  }

  /** Calls `waiter` once with the slot's value, when it is set (the slot must be pending). */
  addWaiter(slot: Slot, waiter: Waiter): void {
    const s = slot as MutableSlot;
    const waiters = s.waiters;
    if (waiters === undefined) s.waiters = waiter;
    else if (typeof waiters === "function") s.waiters = [waiters, waiter];
    else waiters.push(waiter);
  }

  /** Takes back a waiter added with addWaiter that has not been called (a wait that gave up). */
  removeWaiter(slot: Slot, waiter: Waiter): void {
    const s = slot as MutableSlot;
    const waiters = s.waiters;
    if (waiters === waiter) s.waiters = undefined;
    else if (Array.isArray(waiters)) {
      const i = waiters.indexOf(waiter);
      if (i >= 0) waiters.splice(i, 1);
    }
  }

  /** How many waiters the slot has (added, not yet called or taken back). */
  waiterCount(slot: Slot): number {
    const waiters = slot.waiters;
    return waiters === undefined ? 0 : typeof waiters === "function" ? 1 : waiters.length;
  }

  /** The entry of an owned object, cached on the ref (found again if it was deleted meanwhile). */
  slotOf(ref: ObjectRef): Slot | undefined {
    let slot = ref.slot;
    if (slot === undefined || slot.deleted) {
      slot = this.slots.get(ref.objectId);
      ref.slot = slot;
    }
    return slot;
  }

  /** `wait` call `mark` scans the slot: false if that call already did (a duplicate ref). */
  markSeen(slot: Slot, mark: number): boolean {
    if (slot.seenMark === mark) return false;
    (slot as MutableSlot).seenMark = mark;
    return true;
  }

  /** `wait` call `mark` (the only watcher) waits for this pending slot's value. */
  markWatched(slot: Slot, mark: number): void {
    (slot as MutableSlot).watchMark = mark;
  }

  /** Whether `wait` call `mark` was watching the slot; it no longer is (a value is counted once). */
  takeWatched(slot: Slot, mark: number): boolean {
    if (slot.watchMark !== mark) return false;
    (slot as MutableSlot).watchMark = 0;
    return true;
  }

  /** Records the unfinished task that returns these objects (for cancel). */
  attachTask(slots: Slot | readonly Slot[], task: unknown): void {
    if (!isSlotList(slots)) (slots as MutableSlot).task = task;
    else for (const slot of slots) (slot as MutableSlot).task = task;
  }

  /** The task finished: its objects no longer point at it (unless re-run by another record). */
  detachTask(slots: Slot | readonly Slot[], task: unknown): void {
    if (!isSlotList(slots)) {
      if (slots.task === task) (slots as MutableSlot).task = undefined;
    } else for (const slot of slots) if (slot.task === task) (slot as MutableSlot).task = undefined;
  }

  /** Calls `watcher` with each slot whose value becomes known until the returned function is called. */
  watch(watcher: (slot: Slot) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Whether any watcher is registered (a new one then cannot use `watchMark`, which the first owns). */
  watched(): boolean {
    return this.watchers.size > 0;
  }

  /** Stores a value for an object with no pending slot (put). */
  put(objectId: string, value: ObjectValue): Slot {
    const slot = newSlot(objectId, value);
    this.slots.set(objectId, slot);
    return slot;
  }

  has(objectId: string): boolean {
    return this.slots.has(objectId);
  }

  slot(objectId: string): Slot | undefined {
    return this.slots.get(objectId);
  }

  peek(objectId: string): ObjectValue | undefined {
    return this.slots.get(objectId)?.value;
  }

  /** Resolves when the value is known; `undefined` if the object is not (or no longer) here. */
  wait(objectId: string): Promise<ObjectValue> | ObjectValue | undefined {
    const slot = this.slots.get(objectId);
    if (slot === undefined) return undefined;
    if (slot.value !== undefined) return slot.value;
    return new Promise((resolve) => this.addWaiter(slot, resolve));
  }

  /** Makes a known object pending again (it is being re-created); its waiters get the new value. */
  reset(objectId: string): void {
    const slot = this.slots.get(objectId);
    if (slot !== undefined) (slot as MutableSlot).value = undefined;
  }

  /** Every entry, pending ones included (the state API's objects). */
  all(): IterableIterator<Slot> {
    return this.slots.values();
  }

  /** Every object with a known value. */
  *known(): IterableIterator<[string, ObjectValue]> {
    for (const [id, slot] of this.slots) if (slot.value !== undefined) yield [id, slot.value];
  }

  delete(objectId: string): ObjectValue | undefined {
    const slot = this.slots.get(objectId);
    if (slot === undefined) return undefined;
    this.slots.delete(objectId);
    (slot as MutableSlot).deleted = true;
    return slot.value;
  }

  size(): number {
    return this.slots.size;
  }
}
