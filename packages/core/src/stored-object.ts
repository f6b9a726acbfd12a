/**
 * The layout of a large object in the node's arena: a small header, the encoded
 * structure, then each large binary value (typed arrays, Buffers) as raw bytes at a
 * 64-byte aligned position, so a reader can view them in place without copying.
 *
 *   [magic u32][buffer count u32][structure length f64]
 *   [position f64, length f64] × buffer count
 *   structure … buffer 0 … buffer 1 …
 */
import { LuxError } from "@lux/common";

const MAGIC = 0x4c55584f; // "LUXO"
const HEADER = 16;
const ENTRY = 16;

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

export interface Layout {
  size: number;
  header: Uint8Array;
  structureAt: number;
  bufferAt: number[];
}

export function planLayout(structure: Uint8Array, buffers: readonly ArrayBufferView[]): Layout {
  const headerLength = HEADER + ENTRY * buffers.length;
  const structureAt = align64(headerLength);
  let pos = align64(structureAt + structure.byteLength);
  const bufferAt: number[] = [];
  for (const b of buffers) {
    bufferAt.push(pos);
    pos = align64(pos + b.byteLength);
  }
  const header = new Uint8Array(headerLength);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, buffers.length, true);
  dv.setFloat64(8, structure.byteLength, true);
  buffers.forEach((b, i) => {
    dv.setFloat64(HEADER + ENTRY * i, bufferAt[i] as number, true);
    dv.setFloat64(HEADER + ENTRY * i + 8, b.byteLength, true);
  });
  return { size: Math.max(pos, 1), header, structureAt, bufferAt };
}

/** Writes the object through `write(position, bytes)`: one copy of each buffer. */
export function writeLayout(
  layout: Layout,
  structure: Uint8Array,
  buffers: readonly ArrayBufferView[],
  write: (at: number, data: ArrayBufferView) => void,
): void {
  write(0, layout.header);
  write(layout.structureAt, structure);
  buffers.forEach((b, i) => write(layout.bufferAt[i] as number, b));
}

/** Views of the structure and buffers inside a stored object's bytes (no copy). */
export function readLayout(object: ArrayBuffer): { structure: Uint8Array; buffers: Uint8Array[] } {
  const dv = new DataView(object);
  if (object.byteLength < HEADER || dv.getUint32(0, true) !== MAGIC) {
    throw new LuxError("the stored object is damaged (bad header)");
  }
  const count = dv.getUint32(4, true);
  const structureLength = dv.getFloat64(8, true);
  const structureAt = align64(HEADER + ENTRY * count);
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = dv.getFloat64(HEADER + ENTRY * i, true);
    const length = dv.getFloat64(HEADER + ENTRY * i + 8, true);
    buffers.push(new Uint8Array(object, at, length));
  }
  return { structure: new Uint8Array(object, structureAt, structureLength), buffers };
}
