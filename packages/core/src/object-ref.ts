import type { ObjectRefWire } from "@lux/protocol";
import type { Slot } from "./memory-store.js";

/** What ObjectRef instances report to: the process's reference counter. */
export interface RefTracker {
  /** A new ObjectRef instance for the object exists in this process. */
  addLocal(objectId: string, ownerAddress: string): void;
  /** An ObjectRef instance was garbage collected. */
  removeLocal(objectId: string): void;
  /** `addLocal` / `removeLocal` for an object this process owns, by its memory-store entry. */
  addLocalOwned(slot: Slot): void;
  removeLocalOwned(slot: Slot): void;
}

let tracker: RefTracker | undefined;
const finalizer = new FinalizationRegistry<string | Slot>((held) => {
  if (typeof held === "string") tracker?.removeLocal(held);
  else tracker?.removeLocalOwned(held);
});

export function setRefTracker(t: RefTracker | undefined): void {
  tracker = t;
}

/**
 * The ref a value holds on behalf of something that is not an ObjectRef itself: an actor
 * handle keeps its actor alive through a ref to the handle's object (counted like any ref).
 */
export const HELD_REF = Symbol("lux.heldRef");

/**
 * The refs among (or held by) the values a serialization met: ObjectRefs, and the refs of
 * actor handles. Holding them keeps their objects (and actors) alive while the bytes travel.
 */
export function containedRefs(contained: readonly object[]): ObjectRef[] {
  const refs: ObjectRef[] = [];
  for (const c of contained) {
    if (c instanceof ObjectRef) refs.push(c);
    else {
      const held = (c as { [HELD_REF]?: ObjectRef })[HELD_REF];
      if (held !== undefined) refs.push(held);
    }
  }
  return refs;
}

/**
 * A reference to an object that exists now or will once a task finishes. Resolve it with
 * `lux.get`. It is deliberately not a thenable: awaiting it would unwrap it by accident.
 *
 * @typeParam T - the type of the value it refers to.
 */
export class ObjectRef<T = unknown> {
  /** Phantom field that carries `T` for the type checker; never set at run time. */
  declare readonly __type?: T;
  /** @internal */
  readonly objectId: string;
  /** @internal address of the process that owns the object */
  readonly ownerAddress: string;
  /** @internal the owner's memory-store entry, cached by the owner (waits scan many refs) */
  slot: Slot | undefined = undefined;

  /**
   * @internal refs are made by Lux, not by users. `slot`: the owner's memory-store entry
   * of the object, when the owner makes the ref (counted there without a lookup by id).
   */
  constructor(objectId: string, ownerAddress: string, slot?: Slot) {
    this.objectId = objectId;
    this.ownerAddress = ownerAddress;
    if (tracker === undefined) return;
    if (slot !== undefined) {
      this.slot = slot;
      tracker.addLocalOwned(slot);
      finalizer.register(this, slot);
    } else {
      tracker.addLocal(objectId, ownerAddress);
      finalizer.register(this, objectId);
    }
  }

  /** The object's id (hex). */
  get id(): string {
    return this.objectId;
  }

  toString(): string {
    return `ObjectRef(${this.objectId})`;
  }

  /** @internal */
  toWire(): ObjectRefWire {
    return { objectId: this.objectId, ownerAddress: this.ownerAddress };
  }
}
