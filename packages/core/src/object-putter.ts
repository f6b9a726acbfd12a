import type { ObjectRefWire } from "@lux/protocol";
import { newPutObjectId, toWireError } from "@lux/common";
import type { MemoryStore, ObjectValue } from "./memory-store.js";
import { isInline } from "./object-value.js";
import { ObjectRef, containedRefs } from "./object-ref.js";
import type { ReferenceCounter } from "./reference-counter.js";
import { serializeParts, type SerializedParts } from "./serialization/index.js";
import type { StoreIO } from "./store-io.js";
import type { Uploads } from "./uploads.js";

export interface ObjectPutterDeps {
  selfAddress: string;
  nodeId: string;
  memory: MemoryStore;
  refs: ReferenceCounter;
  /** The node's shared-memory store. */
  store: StoreIO;
  uploads: Uploads;
  /** config inlineObjectMaxBytes: values up to this size stay in the memory store. */
  inlineMaxBytes: number;
}

/**
 * Creates objects: `put` (owned here), task return values (owned by the caller), and the
 * pins an owned object holds on the refs inside its value until it is freed.
 */
export class ObjectPutter {
  /** Refs held because an object this process owns contains them. */
  private readonly containedPins = new Map<string, ObjectRefWire[]>();

  constructor(private readonly deps: ObjectPutterDeps) {}

  /** Serializes `value` now and stores it; small values stay here, large ones go to the node's store. */
  put(value: unknown): ObjectRef {
    const { selfAddress, memory } = this.deps;
    const parts = serializeParts(value, "the value passed to put", this.deps.inlineMaxBytes);
    const objectId = newPutObjectId();
    // Actor handles in the value pin the ref that keeps their actor alive.
    const refs = containedRefs(parts.contained);
    this.pinContained(objectId, refs.map((r) => r.toWire()));
    return new ObjectRef(objectId, selfAddress, memory.put(objectId, this.place(objectId, parts)));
  }

  /** Small values stay in this process; large ones go to the node's store. */
  private place(objectId: string, parts: SerializedParts): ObjectValue {
    if (isInline(parts, this.deps.inlineMaxBytes)) return { kind: "inline", bytes: parts.structure };
    const { size, done } = this.deps.store.write(objectId, parts, this.deps.selfAddress);
    if (done !== undefined) this.deps.uploads.track(objectId, done);
    return { kind: "stored", nodeId: this.deps.nodeId, size };
  }

  /**
   * A ref owned here whose value is what `value` resolves to (an error value if it
   * rejects): for objects this process produces itself, like a placement group's `ready()`.
   */
  putWhenReady(value: Promise<unknown>): ObjectRef {
    const { selfAddress, memory } = this.deps;
    const objectId = newPutObjectId();
    const slot = memory.createNew(objectId);
    value.then(
      (v) => {
        memory.setSlot(slot, this.place(objectId, serializeParts(v, "the value of a ready ref", this.deps.inlineMaxBytes)));
      },
      (e: unknown) => memory.setSlot(slot, { kind: "error", error: toWireError(e) }),
    ).catch((e: unknown) => memory.setSlot(slot, { kind: "error", error: toWireError(e) }));
    return new ObjectRef(objectId, selfAddress, slot);
  }

  /** Executor side: stores a task's return value for its owner; resolves once it is readable. */
  async storeReturn(objectId: string, parts: SerializedParts, ownerAddress: string): Promise<{ nodeId: string; size: number }> {
    const { size, done } = await this.deps.store.writeReturn(objectId, parts, ownerAddress);
    if (done !== undefined) await done;
    return { nodeId: this.deps.nodeId, size };
  }

  /** The owned object holds the refs inside its value until it is freed. */
  pinContained(objectId: string, contained: readonly ObjectRefWire[]): void {
    // A re-created object (lineage reconstruction) keeps the pins of its first value.
    if (contained.length === 0 || this.containedPins.has(objectId)) return;
    this.containedPins.set(objectId, [...contained]);
    for (const r of contained) this.deps.refs.pin(r.objectId, r.ownerAddress);
  }

  /** The owned object was freed: the refs inside its value are released. */
  unpinContained(objectId: string): void {
    const pins = this.containedPins.size === 0 ? undefined : this.containedPins.get(objectId);
    if (pins === undefined) return;
    this.containedPins.delete(objectId);
    for (const r of pins) this.deps.refs.unpin(r.objectId);
  }
}
