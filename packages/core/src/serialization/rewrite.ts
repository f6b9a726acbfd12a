import { classRefOf, type ClassRef } from "./classes.js";
import { InstanceMarker } from "./instance-extension.js";
import { RESERVED_EXTENSION_TYPES, addRawExtension } from "./packr.js";
import { classify, viewBaseClass } from "./walk.js";

/**
 * A few values msgpackr gets wrong and offers no hook for:
 * - -0 is written as the integer 0 (numbers never reach an extension);
 * - a typed-array or Buffer subclass is written with an unknown type code (corrupt);
 * - a Map subclass is written as an empty plain object;
 * - a class instance met more than once would come back as two objects, or as a plain
 *   object in a cycle (see instance-extension.ts).
 *
 * When the pre-walk meets one (rare), serialize packs a copy made here instead: -0
 * becomes a marker with its own extension type, subclass instances become their base
 * class (typed arrays as zero-copy views), class instances become an `InstanceMarker` at
 * each place. Shared references and cycles are kept.
 * -0 inside typed arrays needs nothing: their bytes are copied as they are.
 */
class NegativeZero {}
const NEGATIVE_ZERO = new NegativeZero();

addRawExtension({
  Class: NegativeZero,
  type: RESERVED_EXTENSION_TYPES.negativeZero,
  write: () => 0,
  read: () => -0,
});

/** Returns the copy of `value` to pack in its place (see above). */
export function rewrite(value: unknown): unknown {
  return copy(value, new Map());
}

function copy(value: unknown, copies: Map<object, unknown>): unknown {
  if (typeof value === "number") return value === 0 && 1 / value < 0 ? NEGATIVE_ZERO : value;
  if (typeof value !== "object" || value === null) return value;
  const done = copies.get(value);
  // An instance met again: a marker of its own that points back to the first one.
  if (done !== undefined) return done instanceof InstanceMarker ? new InstanceMarker(done.ref, null, done.id) : done;
  switch (classify(value)) {
    case "instance":
      return copyInstance(value, copies);
    case "plain": {
      const out: Record<string, unknown> = {};
      copies.set(value, out);
      for (const key of Object.keys(value)) {
        setOwn(out, key, copy((value as Record<string, unknown>)[key], copies), true);
      }
      return out;
    }
    case "array": {
      const array = value as unknown[];
      const out = new Array<unknown>(array.length);
      copies.set(value, out);
      for (let i = 0; i < array.length; i++) out[i] = copy(array[i], copies);
      return out;
    }
    case "map":
    case "map-subclass": {
      const out = new Map<unknown, unknown>();
      copies.set(value, out);
      for (const [key, entry] of value as Map<unknown, unknown>) out.set(copy(key, copies), copy(entry, copies));
      return out;
    }
    case "set": {
      const out = new Set<unknown>();
      copies.set(value, out);
      for (const element of value as Set<unknown>) out.add(copy(element, copies));
      return out;
    }
    case "error": {
      // Same prototype (the error extension sees the same class); own properties as data.
      const out = Object.create(Object.getPrototypeOf(value) as object | null) as object;
      copies.set(value, out);
      for (const key of Object.getOwnPropertyNames(value)) {
        const enumerable = Object.prototype.propertyIsEnumerable.call(value, key);
        setOwn(out, key, copy((value as Record<string, unknown>)[key], copies), enumerable);
      }
      return out;
    }
    case "view-subclass": {
      const out = asBaseView(value as ArrayBufferView);
      copies.set(value, out);
      return out;
    }
    default:
      return value;
  }
}

/** The first marker of an instance: its own properties copied, and an id for the places met later. */
function copyInstance(value: object, copies: Map<object, unknown>): InstanceMarker {
  const properties: Record<string, unknown> = {};
  // copies only grows: its size is a new id.
  const marker = new InstanceMarker(classRefOf(value) as ClassRef, properties, copies.size);
  copies.set(value, marker);
  for (const key of Object.keys(value)) {
    setOwn(properties, key, copy((value as Record<string, unknown>)[key], copies), true);
  }
  return marker;
}

function asBaseView(view: ArrayBufferView): ArrayBufferView {
  const { buffer, byteOffset, byteLength } = view;
  const Base = viewBaseClass(view);
  if (Base === Buffer) return Buffer.from(buffer, byteOffset, byteLength);
  if (Base === DataView) return new DataView(buffer, byteOffset, byteLength);
  const TypedArray = Base as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;
  const elementSize = (view as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return new TypedArray(buffer, byteOffset, byteLength / elementSize);
}

function setOwn(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}
