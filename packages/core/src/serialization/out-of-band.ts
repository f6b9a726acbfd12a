import { RESERVED_EXTENSION_TYPES, addRawExtension, packr, type WriteSpace } from "./packr.js";
import { SerializationError } from "./serialization-error.js";
import { viewBaseClass } from "./walk.js";
import { TYPED_ARRAY_CLASSES } from "./typed-arrays.js";

/**
 * Large binary values kept out of band by `serializeParts` (parts.ts).
 *
 * While a writer is installed (only for the duration of a serializeParts pack), every
 * typed array, Buffer, DataView or ArrayBuffer of at least `threshold` bytes is written
 * as a placeholder instead of its bytes:
 *
 *   fixext 1 [type 98, 0], then the array [buffer index, kind]
 *
 * and the value itself (a view of the caller's memory) is appended to the writer's
 * `buffers`. While a reader is installed (during deserializeParts), a placeholder
 * becomes a view of the matching buffer.
 *
 * msgpackr keeps one extension table per process, shared by every Packr. The extension
 * class here matches nothing unless a writer is installed (`Symbol.hasInstance`), so
 * outside serializeParts msgpackr writes binary values with its own code, byte for byte
 * as before, for our Packr and for every other one (the protocol package's). Should
 * another Packr pack a large binary value while serializeParts runs (a `toJSON()` that
 * encodes something itself), it gets msgpackr's own encoding too (`packLikeMsgpackr`).
 */

type Binary = ArrayBuffer | ArrayBufferView;

type TypedArrayClass = (new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView) & {
  readonly BYTES_PER_ELEMENT: number;
};

/** Kinds 0..10; then Buffer, DataView, ArrayBuffer. */
const TYPED_ARRAYS: readonly TypedArrayClass[] = TYPED_ARRAY_CLASSES as unknown as TypedArrayClass[];
const BUFFER = TYPED_ARRAYS.length;
const DATA_VIEW = BUFFER + 1;
const ARRAY_BUFFER = DATA_VIEW + 1;

const KIND_OF_CLASS: ReadonlyMap<unknown, number> = new Map<unknown, number>([
  ...TYPED_ARRAYS.map((Class, kind): [unknown, number] => [Class, kind]),
  [Buffer, BUFFER],
  [DataView, DATA_VIEW],
]);

function kindOf(value: Binary): number {
  if (value instanceof ArrayBuffer) return ARRAY_BUFFER;
  // Subclass instances are rewritten to their base class before packing (rewrite.ts);
  // one met anyway (inside a toJSON() result) is sent as its base class.
  const kind = KIND_OF_CLASS.get(value.constructor) ?? KIND_OF_CLASS.get(viewBaseClass(value));
  if (kind === undefined) throw new TypeError(`cannot send a ${value.constructor.name} out of band`);
  return kind;
}

interface Region {
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly index: number;
}

/** Collects the out-of-band buffers of one serializeParts call. */
export class OutOfBandWriter {
  /** The large binary values, in placeholder index order: views of the caller's memory. */
  readonly buffers: ArrayBufferView[] = [];
  /** Regions sent so far, by the memory they view: a region viewed twice is sent once. */
  private readonly sent = new Map<ArrayBufferLike, Region[]>();

  constructor(readonly threshold: number) {}

  /** Returns the buffer index for `value`, adding it unless the same bytes are already in. */
  add(value: Binary): number {
    const isArrayBuffer = value instanceof ArrayBuffer;
    const memory = isArrayBuffer ? value : value.buffer;
    const byteOffset = isArrayBuffer ? 0 : value.byteOffset;
    const byteLength = value.byteLength;
    let regions = this.sent.get(memory);
    if (regions === undefined) this.sent.set(memory, (regions = []));
    for (const region of regions) {
      if (region.byteOffset === byteOffset && region.byteLength === byteLength) return region.index;
    }
    // Typed arrays and Buffers go in as they are; a DataView or ArrayBuffer as the bytes it
    // spans (the store's writer takes typed arrays).
    const buffer = isArrayBuffer || value instanceof DataView ? new Uint8Array(memory, byteOffset, byteLength) : value;
    const index = this.buffers.push(buffer) - 1;
    regions.push({ byteOffset, byteLength, index });
    return index;
  }
}

let writer: OutOfBandWriter | null = null;
let reader: readonly Uint8Array[] | null = null;

/** Installs the writer for out-of-band binary values (null: none); returns the previous one. */
export function swapOutOfBandWriter(next: OutOfBandWriter | null): OutOfBandWriter | null {
  const previous = writer;
  writer = next;
  return previous;
}

/** Installs the buffers placeholders refer to (null: none); returns the previous ones. */
export function swapOutOfBandReader(next: readonly Uint8Array[] | null): readonly Uint8Array[] | null {
  const previous = reader;
  reader = next;
  return previous;
}

/** The extension's class: matches large binary values, and only while a writer is installed. */
class OutOfBandBinary {
  static [Symbol.hasInstance](value: unknown): boolean {
    const current = writer;
    if (current === null) return false;
    if (ArrayBuffer.isView(value)) return value.byteLength >= current.threshold;
    return value instanceof ArrayBuffer && value.byteLength >= current.threshold;
  }
}

addRawExtension({
  Class: OutOfBandBinary,
  type: RESERVED_EXTENSION_TYPES.outOfBand,
  pack(this: unknown, value: Binary, allocateForWrite, pack): void {
    const current = writer;
    if (this !== packr || current === null) {
      packLikeMsgpackr(this, value, allocateForWrite);
      return;
    }
    const { target, position } = allocateForWrite(3);
    target[position] = 0xd4; // fixext 1: [type, 0], then the data as the next value
    target[position + 1] = RESERVED_EXTENSION_TYPES.outOfBand;
    target[position + 2] = 0;
    pack([current.add(value), kindOf(value)]);
  },
  read: readPlaceholder,
});

function readPlaceholder(data: unknown): Binary {
  const buffers = reader;
  if (buffers === null) {
    throw new SerializationError("the value has binary data stored out of band; decode it with deserializeParts and its buffers", "");
  }
  const [index, kind] = Array.isArray(data) ? (data as unknown[]) : [];
  const bytes = typeof index === "number" && Number.isInteger(index) ? buffers[index] : undefined;
  if (bytes === undefined) {
    throw new SerializationError(`out-of-band buffer ${String(index)} is missing (${buffers.length} buffers given)`, "");
  }
  return viewOf(bytes, kind);
}

/**
 * The binary value of `kind` over `bytes`, sharing its memory: no copy, except for an
 * ArrayBuffer (it cannot be a view of part of another ArrayBuffer) and for a typed array
 * whose bytes are not aligned to its element size (buffers from the store always are).
 */
function viewOf(bytes: Uint8Array, kind: unknown): Binary {
  const { buffer, byteOffset, byteLength } = bytes;
  switch (kind) {
    case BUFFER:
      return Buffer.from(buffer, byteOffset, byteLength);
    case DATA_VIEW:
      return new DataView(buffer, byteOffset, byteLength);
    case ARRAY_BUFFER: {
      const copy = new ArrayBuffer(byteLength);
      new Uint8Array(copy).set(bytes);
      return copy;
    }
  }
  const TypedArray = typeof kind === "number" ? TYPED_ARRAYS[kind] : undefined;
  if (TypedArray === undefined) throw new SerializationError(`unknown out-of-band binary kind ${String(kind)}`, "");
  const size = TypedArray.BYTES_PER_ELEMENT;
  if (byteLength % size !== 0) {
    throw new SerializationError(`out-of-band buffer of ${byteLength} bytes cannot hold a ${TypedArray.name}`, "");
  }
  if (byteOffset % size !== 0) return new TypedArray(new Uint8Array(bytes).buffer, 0, byteLength / size);
  return new TypedArray(buffer, byteOffset, byteLength / size);
}

/** msgpackr's `typedArrays` (its type codes for the 't' extension). */
const MSGPACKR_TYPED_ARRAY_NAMES: readonly string[] = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
];

/**
 * Writes `value` as msgpackr 2.1.4's built-in extensions do (`writeExtBuffer` with the
 * 't' type when the Packr has `moreTypes`, except for Buffers; `writeBuffer` as bin
 * otherwise). Only reached when a Packr other than ours packs a large binary value
 * while serializeParts runs. (One difference left: msgpackr would write an ArrayBuffer
 * subclass instance that has a `toJSON()` through that method.)
 */
function packLikeMsgpackr(packer: unknown, value: Binary, allocateForWrite: (size: number) => WriteSpace): void {
  const bytes =
    value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const length = bytes.byteLength;
  if (!(packer as { moreTypes?: unknown }).moreTypes || value.constructor === Buffer) {
    let target: Uint8Array;
    let position: number;
    if (length < 0x100) {
      ({ target, position } = allocateForWrite(length + 2));
      target[position++] = 0xc4;
      target[position++] = length;
    } else if (length < 0x10000) {
      ({ target, position } = allocateForWrite(length + 3));
      target[position++] = 0xc5;
      target[position++] = length >> 8;
      target[position++] = length & 0xff;
    } else {
      ({ target, position } = allocateForWrite(length + 5));
      target[position++] = 0xc6;
      position = writeUint32(target, position, length);
    }
    target.set(bytes, position);
    return;
  }
  const type =
    value instanceof ArrayBuffer
      ? 0x10
      : value instanceof DataView
        ? 0x11
        : MSGPACKR_TYPED_ARRAY_NAMES.indexOf(value.constructor.name); // -1 (written as 255) for subclasses, as msgpackr does
  let target: Uint8Array;
  let position: number;
  if (length + 1 < 0x100) {
    ({ target, position } = allocateForWrite(4 + length));
    target[position++] = 0xc7;
    target[position++] = length + 1;
  } else if (length + 1 < 0x10000) {
    ({ target, position } = allocateForWrite(5 + length));
    target[position++] = 0xc8;
    target[position++] = (length + 1) >> 8;
    target[position++] = (length + 1) & 0xff;
  } else {
    ({ target, position } = allocateForWrite(7 + length));
    target[position++] = 0xc9;
    position = writeUint32(target, position, length + 1); // plus one for the type byte
  }
  target[position++] = 0x74; // msgpackr's 't' (typed array) extension
  target[position++] = type;
  target.set(bytes, position);
}

function writeUint32(target: Uint8Array, position: number, n: number): number {
  target[position] = n >>> 24;
  target[position + 1] = (n >>> 16) & 0xff;
  target[position + 2] = (n >>> 8) & 0xff;
  target[position + 3] = n & 0xff;
  return position + 4;
}
