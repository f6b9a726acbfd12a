import { deserialize, serialize } from "./codec.js";

/** A value encoded for the object store: the structure, plus large binaries kept apart. */
export interface SerializedParts {
  readonly structure: Uint8Array;
  /** Large binary values (views of the caller's memory, not copies), laid out raw in the store. */
  readonly buffers: ArrayBufferView[];
  readonly contained: object[];
}

/**
 * Encodes `value`, keeping binary values of at least `threshold` bytes out of band.
 * (First version: everything in band; the out-of-band path replaces this.)
 */
export function serializeParts(value: unknown, what: string | undefined, threshold: number): SerializedParts {
  void threshold;
  const { bytes, contained } = serialize(value, what);
  return { structure: bytes, buffers: [], contained };
}

/** Decodes parts; binary values come back as views of `buffers` (no copy). */
export function deserializeParts(structure: Uint8Array, buffers: readonly Uint8Array[]): unknown {
  void buffers;
  return deserialize(structure);
}
