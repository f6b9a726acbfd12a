import { deserializeLoading, deserializeWith, serializeWith } from "./codec.js";
import { OutOfBandWriter } from "./out-of-band.js";

/**
 * Values for the object store: the encoded structure, plus large binary values kept
 * apart so they are copied once on the way in (from the caller's memory straight into
 * the store) and never on the way out (the result views the store's memory).
 *
 * Round trips are those of `serialize`/`deserialize` (codec.ts), and:
 * - a binary value met twice (the same object) is sent once and comes back as one object;
 * - different views of exactly the same bytes (same ArrayBuffer, offset and length, for
 *   example a Float64Array and the ArrayBuffer it spans) are sent once and come back
 *   sharing that memory; views of different or partly overlapping ranges of one
 *   ArrayBuffer are sent separately and come back as independent copies;
 * - an out-of-band ArrayBuffer comes back as a copy (an ArrayBuffer cannot view part of
 *   another one); typed arrays, Buffers and DataViews come back as views of `buffers`;
 * - a typed array whose buffer is not aligned to its element size is copied (the store
 *   aligns every buffer to 64 bytes, so this only happens with hand-made buffers).
 */
export interface SerializedParts {
  /**
   * The encoded value, with placeholders for the values in `buffers`. With no buffers,
   * exactly the bytes `serialize` writes (so `deserialize` decodes it). Like
   * `Serialized.bytes`, a view of a buffer later messages may share.
   */
  readonly structure: Uint8Array;
  /**
   * Large binary values (views of the caller's memory, not copies), laid out raw in the
   * store. Typed arrays and Buffers are the caller's own objects; DataViews and
   * ArrayBuffers appear as Uint8Arrays over the same bytes.
   */
  readonly buffers: ArrayBufferView[];
  /** Every instance of a registered wire-extension class inside the value, in encounter order. */
  readonly contained: object[];
}

/**
 * Encodes `value` like `serialize`, but writes each typed array, Buffer, DataView or
 * ArrayBuffer of at least `threshold` bytes as a placeholder and lists it in `buffers`
 * without copying it. The caller must copy the buffers out before changing them.
 *
 * @throws SerializationError as `serialize` does (functions, symbols, Promises, ...).
 */
export function serializeParts(value: unknown, what: string | undefined, threshold: number, root = "value"): SerializedParts {
  if (!(threshold >= 0)) throw new RangeError(`the out-of-band threshold must be a number >= 0; got ${threshold}`);
  const outOfBand = new OutOfBandWriter(threshold);
  const { bytes, contained } = serializeWith(value, what, outOfBand, root);
  return { structure: bytes, buffers: outOfBand.buffers, contained };
}

/**
 * Decodes parts written by `serializeParts` (the buffers in the same order, each aligned
 * to 8 bytes or more for zero copy). Out-of-band typed arrays, Buffers and DataViews come
 * back as views of `buffers` (no copy: they share its memory and keep it alive); values
 * that were in band are copies, as with `deserialize`.
 *
 * @throws SerializationError if the structure is damaged or refers to a missing buffer.
 */
export function deserializeParts(structure: Uint8Array, buffers: readonly Uint8Array[]): unknown {
  return deserializeWith(structure, buffers);
}

/** `deserializeParts`, loading the classes of instances first if needed (a Promise then; see `deserializeLoading`). */
export function deserializePartsLoading(structure: Uint8Array, buffers: readonly Uint8Array[]): unknown {
  return deserializeLoading(structure, buffers);
}
