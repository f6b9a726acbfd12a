import type { WireError } from "@lux/common";

/** Where an object's value is: inline bytes, a node's object store, or an error. */
export type ObjectValue =
  | { readonly kind: "inline"; readonly bytes: Uint8Array }
  | { readonly kind: "stored"; readonly nodeId: string; readonly size: number; readonly locations?: readonly string[] }
  | { readonly kind: "error"; readonly error: WireError };

interface Slot {
  value: ObjectValue | undefined;
  waiters: ((v: ObjectValue) => void)[] | undefined;
}

/**
 * The owner's in-process store: values of small objects, locations of large ones, and
 * errors. Entries exist from submission (pending) until the reference counter frees them.
 */
export class MemoryStore {
  private readonly slots = new Map<string, Slot>();

  createPending(objectId: string): void {
    if (!this.slots.has(objectId)) this.slots.set(objectId, { value: undefined, waiters: undefined });
  }

  set(objectId: string, value: ObjectValue): void {
    const slot = this.slots.get(objectId);
    if (slot === undefined) return; // freed while pending: nobody wants it
    slot.value = value;
    const waiters = slot.waiters;
    slot.waiters = undefined;
    if (waiters !== undefined) for (const w of waiters) w(value);
  }

  /** Stores a value for an object with no pending slot (put). */
  put(objectId: string, value: ObjectValue): void {
    this.slots.set(objectId, { value, waiters: undefined });
  }

  has(objectId: string): boolean {
    return this.slots.has(objectId);
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

  /**
   * Calls `listener` once the value is known (at once if it is); returns a function that
   * removes the listener (a wait that finished early must not leave it behind).
   */
  subscribe(objectId: string, listener: (v: ObjectValue) => void): (() => void) | undefined {
    const slot = this.slots.get(objectId);
    if (slot === undefined) return undefined;
    if (slot.value !== undefined) {
      listener(slot.value);
      return () => undefined;
    }
    (slot.waiters ??= []).push(listener);
    return () => {
      const i = slot.waiters?.indexOf(listener) ?? -1;
      if (i >= 0) slot.waiters?.splice(i, 1);
    };
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
    this.slots.delete(objectId);
    return slot?.value;
  }

  size(): number {
    return this.slots.size;
  }
}
