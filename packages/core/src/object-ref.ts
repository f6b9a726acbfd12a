import type { ObjectRefWire } from "@lux/protocol";
import type { Slot } from "./memory-store.js";

/** What ObjectRef instances report to: the process's reference counter. */
export interface RefTracker {
  /** A new ObjectRef instance for the object exists in this process. */
  addLocal(objectId: string, ownerAddress: string): void;
  /** An ObjectRef instance was garbage collected. */
  removeLocal(objectId: string): void;
}

let tracker: RefTracker | undefined;
const finalizer = new FinalizationRegistry<string>((objectId) => tracker?.removeLocal(objectId));

export function setRefTracker(t: RefTracker | undefined): void {
  tracker = t;
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

  /** @internal refs are made by Lux, not by users */
  constructor(objectId: string, ownerAddress: string) {
    this.objectId = objectId;
    this.ownerAddress = ownerAddress;
    if (tracker !== undefined) {
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
