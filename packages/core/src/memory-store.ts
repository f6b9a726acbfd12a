import type { WireError } from "@lux/common";
import type { RefCounts } from "./reference-counter.js";

/** Where an object's value is: inline bytes, a node's object store, or an error. */
export type ObjectValue =
  | { readonly kind: "inline"; readonly bytes: Uint8Array }
  | { readonly kind: "stored"; readonly nodeId: string; readonly size: number; readonly locations?: readonly string[] }
  | { readonly kind: "error"; readonly error: WireError };

/**
 * One owned object's entry, with its reference counts (the ReferenceCounter keeps them
 * here). Stable for the object's life: `wait` keeps slots, not ids.
 */
export interface Slot extends RefCounts {
  readonly id: string;
  value: ObjectValue | undefined;
  waiters: ((v: ObjectValue) => void)[] | undefined;
  /** Set when the entry is deleted, so holders of the slot know it is stale. */
  deleted: boolean;
  /** Scratch marks for one `wait` call (see ObjectManager.wait): seen in this call, watched by it. */
  seenMark: number;
  watchMark: number;
  /** The unfinished task that returns this object (owner side), for cancel. */
  task: unknown;
}

const newSlot = (id: string, value: ObjectValue | undefined): Slot => ({
  id,
  value,
  waiters: undefined,
  deleted: false,
  seenMark: 0,
  watchMark: 0,
  task: undefined,
  local: 0,
  pins: 0,
  borrowers: 0,
});

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

  set(objectId: string, value: ObjectValue): void {
    const slot = this.slots.get(objectId);
    if (slot !== undefined) this.setSlot(slot, value); // else freed while pending: nobody wants it
  }

  /** `set` for a slot the caller holds (no lookup by id). */
  setSlot(slot: Slot, value: ObjectValue): void {
    if (slot.deleted) return;
    slot.value = value;
    const waiters = slot.waiters;
    slot.waiters = undefined;
    if (waiters !== undefined) for (const w of waiters) w(value);
    if (this.watchers.size > 0) for (const w of this.watchers) w(slot);
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
    return new Promise((resolve) => (slot.waiters ??= []).push(resolve));
  }

  /** Makes a known object pending again (it is being re-created); its waiters get the new value. */
  reset(objectId: string): void {
    const slot = this.slots.get(objectId);
    if (slot !== undefined) slot.value = undefined;
  }

  /** Every object with a known value. */
  *known(): IterableIterator<[string, ObjectValue]> {
    for (const [id, slot] of this.slots) if (slot.value !== undefined) yield [id, slot.value];
  }

  delete(objectId: string): ObjectValue | undefined {
    const slot = this.slots.get(objectId);
    if (slot === undefined) return undefined;
    this.slots.delete(objectId);
    slot.deleted = true;
    return slot.value;
  }

  size(): number {
    return this.slots.size;
  }
}
