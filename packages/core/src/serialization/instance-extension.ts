import { LuxError } from "@lux/common";
import { classFor, classRefOf, type ClassRef } from "./classes.js";
import { RESERVED_EXTENSION_TYPES, addRawExtension, packr, type WriteSpace } from "./packr.js";
import { SerializationError } from "./serialization-error.js";

/**
 * Class instances on the wire: fixext 1 [type 97, 0], then [class ref, own properties] —
 * the receiver rebuilds the instance as its own properties on its class's prototype (no
 * constructor runs), like pickle. The pre-walk (walk.ts) decided that the class travels
 * (classes.ts) before packing.
 *
 * An instance met more than once in a value (shared, or in a cycle) goes through
 * rewrite.ts instead, which puts an `InstanceMarker` at each place: [ref, properties, id]
 * the first time, [ref, null, id] after. msgpackr's own identity tracking cannot be used
 * for them: it rebuilds a cycle through a placeholder that is a plain object.
 */
export class InstanceMarker {
  constructor(
    readonly ref: ClassRef,
    readonly properties: Record<string, unknown> | null,
    readonly id: number,
  ) {}
}

/** Classes a decode could not resolve yet: the caller loads them (classes.ts) and decodes again. */
export class ClassesNotLoaded extends LuxError {
  constructor(readonly refs: readonly ClassRef[]) {
    super(`classes not loaded yet: ${refs.map((r) => r[1]).join(", ")}`);
  }
}

/** > 0 while serialize packs with our Packr: only then are instances written by this extension. */
let packing = 0;

export function enterPacking(): void {
  packing++;
}

export function leavePacking(): void {
  packing--;
}

class ClassInstance {
  static [Symbol.hasInstance](value: unknown): boolean {
    return packing > 0 && typeof value === "object" && value !== null && (value instanceof InstanceMarker || classRefOf(value) !== undefined);
  }
}

addRawExtension({
  Class: ClassInstance,
  type: RESERVED_EXTENSION_TYPES.instance,
  pack(this: unknown, value: object, allocateForWrite: (size: number) => WriteSpace, pack: (value: unknown) => void): void {
    if (this !== packr) {
      // Another Packr (a toJSON() that encodes with its own): what msgpackr writes for a class instance.
      allocateForWrite(0);
      pack(ownProperties(value));
      return;
    }
    const { target, position } = allocateForWrite(3);
    target[position] = 0xd4; // fixext 1: [type, 0], then the data as the next value
    target[position + 1] = RESERVED_EXTENSION_TYPES.instance;
    target[position + 2] = 0;
    pack(value instanceof InstanceMarker ? [value.ref, value.properties, value.id] : [classRefOf(value), ownProperties(value)]);
  },
  read: readInstance,
});

/** A plain object with the instance's own enumerable properties (what msgpackr writes for any object). */
export function ownProperties(value: object): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const key of Object.keys(value)) defineOwn(properties, key, (value as Record<string, unknown>)[key]);
  return properties;
}

interface DecodeState {
  missing: ClassRef[] | undefined;
  byId: Map<number, object> | undefined;
  lastRef: unknown;
  lastClass: Function | undefined;
}

/** The state of the innermost decode, made when it meets its first instance (most decodes meet none). */
let decoding: DecodeState | undefined;
let decodeDepth = 0;

/** Starts a decode; returns the state of the one it is nested in, for `finishDecoding`. */
export function startDecoding(): DecodeState | undefined {
  const previous = decoding;
  decoding = undefined;
  decodeDepth++;
  return previous;
}

/** Ends a decode: the classes it met but could not resolve, if any. */
export function finishDecoding(previous: DecodeState | undefined): ClassRef[] | undefined {
  const missing = decoding?.missing;
  decoding = previous;
  decodeDepth--;
  return missing;
}

function decodeState(): DecodeState | undefined {
  return (decoding ??= decodeDepth > 0 ? { missing: undefined, byId: undefined, lastRef: undefined, lastClass: undefined } : undefined);
}

function readInstance(data: unknown): object {
  const [ref, properties, id] = data as [ClassRef, Record<string, unknown> | null, number | undefined];
  const Class = classOf(ref);
  if (id === undefined) return Class === undefined ? (properties ?? {}) : (Object.setPrototypeOf(properties, Class.prototype) as object);
  const state = decodeState();
  const byId = state === undefined ? new Map<number, object>() : (state.byId ??= new Map());
  let instance = byId.get(id);
  if (instance === undefined) {
    instance = Class === undefined ? {} : (Object.create(Class.prototype as object) as object);
    byId.set(id, instance);
  }
  // Defined, not assigned: a setter of the class must not run (as when the instance was built).
  if (properties !== null) {
    for (const key of Object.keys(properties)) {
      Object.defineProperty(instance, key, { value: properties[key], enumerable: true, writable: true, configurable: true });
    }
  }
  return instance;
}

/** The class for a reference, or undefined (noted as missing) while it is not loaded. */
function classOf(ref: ClassRef): Function | undefined {
  const state = decodeState();
  if (state !== undefined && ref === state.lastRef) return state.lastClass;
  const found = classFor(ref);
  if (typeof found === "string") throw new SerializationError(`cannot rebuild an instance of ${ref[1]} (${ref[0]}): ${found}`, "");
  if (state !== undefined) {
    if (found === undefined) (state.missing ??= []).push(ref);
    state.lastRef = ref;
    state.lastClass = found;
  }
  return found;
}

function defineOwn(target: object, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}
