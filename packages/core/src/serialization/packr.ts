import { Packr, addExtension } from "msgpackr";

/**
 * msgpackr extension types this codec keeps for itself. Wire extensions registered
 * through `registerWireExtension` may use every other type from 1 to 100.
 */
export const RESERVED_EXTENSION_TYPES = {
  /** A class instance with a reference to its class (instance-extension.ts). */
  instance: 97,
  /** A binary value kept out of band by `serializeParts` (out-of-band.ts). */
  outOfBand: 98,
  negativeZero: 99,
  error: 100,
} as const;

/** Thrown (and caught by `serialize`) when msgpackr meets a function the pre-walk did not see. */
export class FunctionInValue extends Error {}

/**
 * The one Packr every serialize/deserialize call goes through.
 *
 * - `structuredClone`: an object referenced twice stays one object; cycles work.
 * - `moreTypes`: typed arrays, ArrayBuffer, DataView, Set, RegExp and BigInts beyond
 *   64 bits keep their type (structuredClone turns it on anyway; stated for clarity).
 * - records (msgpackr's default for a Packr) keep plain objects apart from `Map`s;
 *   each message carries its own record definitions, so bytes decode anywhere.
 * - `copyBuffers`: a decoded `Buffer` owns its memory instead of viewing the message
 *   bytes, which may live in a shared-memory arena that is reused later.
 * - `writeFunction`: msgpackr would silently write a function as `undefined`.
 *
 * msgpackr keeps its output buffer and its extension table per process, shared by all
 * Packr instances (the protocol package's too). Messages are appended to the shared
 * buffer and returned as views of it, which is safe as long as nobody reuses a buffer
 * handed to `useBuffer` or packs with REUSE_BUFFER_MODE while old messages are alive.
 */
export const packr = new Packr({
  structuredClone: true,
  moreTypes: true,
  copyBuffers: true,
  writeFunction: () => {
    throw new FunctionInValue();
  },
});

/** Where msgpackr's `allocateForWrite` callback lets an extension write raw bytes. */
export interface WriteSpace {
  readonly target: Uint8Array;
  readonly position: number;
}

/**
 * The extension shape msgpackr accepts (its .d.ts omits the extra arguments of `pack`
 * and the `this` it calls `pack`/`write` with: the Packr doing the packing).
 */
export interface RawExtension {
  readonly Class: abstract new (...args: never[]) => object;
  readonly type: number;
  pack?(
    this: unknown,
    value: never,
    allocateForWrite: (size: number) => WriteSpace,
    pack: (value: unknown) => void,
  ): void;
  write?(this: unknown, value: never): unknown;
  read?(data: unknown): unknown;
}

/**
 * msgpackr keeps one extension table per process, shared by every Packr. Extensions
 * registered here must therefore behave like msgpackr's defaults when `this` is some
 * other Packr (for instance the protocol package's).
 */
export const addRawExtension = addExtension as unknown as (extension: RawExtension) => void;

let contained: object[] | null = null;

/** Starts collecting extension instances met while packing; returns the previous collector. */
export function startCollecting(into: object[]): object[] | null {
  const previous = contained;
  contained = into;
  return previous;
}

/** Restores the collector returned by `startCollecting`. */
export function stopCollecting(previous: object[] | null): void {
  contained = previous;
}

/** Called by wire extensions for each instance our Packr writes. */
export function noteContained(packer: unknown, value: object): void {
  if (packer === packr && contained !== null) contained.push(value);
}
