/**
 * The arrays collective operations work on (every numeric typed array), their bytes, and the
 * element-wise reductions. Reductions run on whole ranges: in the object store's addon's
 * kernels (native loops the compiler vectorizes, several times faster than JavaScript's),
 * else in JavaScript loops, one per operation and number kind (numbers or bigints), so no
 * per-element branch on the operation. Both give the same bits.
 */
import { TYPED_ARRAY_CLASSES, loadShmAddon, type ShmAddon } from "@lux/core/internal";

/** A typed array a collective operation reads and writes in place. */
export type CollectiveArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** The class of a CollectiveArray (Float32Array, Int32Array, …), as `sharedArray` takes it. */
export interface CollectiveArrayType<A extends CollectiveArray> {
  new (length: number): A;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): A;
  readonly BYTES_PER_ELEMENT: number;
}

/** Whether `value` is one of the CollectiveArray classes itself (not a subclass such as Buffer). */
export function isCollectiveArrayType(value: unknown): boolean {
  return DTYPES.some((c) => c === value);
}

/** How `allreduce` and `reduce` combine the ranks' elements. */
export type ReduceOp = "SUM" | "PRODUCT" | "MIN" | "MAX";

export const REDUCE_OPS: readonly ReduceOp[] = ["SUM", "PRODUCT", "MIN", "MAX"];

const DTYPES = TYPED_ARRAY_CLASSES;

type Ctor = (typeof DTYPES)[number];

/** The typed array class `value` is (a Buffer is a Uint8Array), or undefined. */
function ctorOf(value: unknown): Ctor | undefined {
  return ArrayBuffer.isView(value) ? DTYPES.find((c) => value instanceof c) : undefined;
}

/** The element type's name ("Float32Array", …; a Buffer's is "Uint8Array"), or undefined when `value` is not a typed array collectives take. */
export function dtypeOf(value: unknown): string | undefined {
  return ctorOf(value)?.name;
}

/** A copy of `arr`, of its typed array class (not `slice()`: a Buffer's is a view). */
export function copyOf<A extends CollectiveArray>(arr: A): A {
  const ctor = ctorOf(arr) as Ctor;
  return new ctor(arr as never) as A;
}

/** The bytes of elements [from, to) of `arr`, as a view. */
export function bytesOf(arr: CollectiveArray, from = 0, to = arr.length): Uint8Array {
  const size = arr.BYTES_PER_ELEMENT;
  return new Uint8Array(arr.buffer, arr.byteOffset + from * size, (to - from) * size);
}

/** Elements [from, to) of `arr` as an array of the same type (a view). */
export function elementsOf<A extends CollectiveArray>(arr: A, from: number, to: number): A {
  return arr.subarray(from, to) as A;
}

/**
 * `bytes` as elements of `like`'s type: a view when they are aligned for it, else a copy (a
 * frame may place them at any offset).
 */
export function asElements<A extends CollectiveArray>(like: A, bytes: Uint8Array): A {
  const ctor = ctorOf(like) as Ctor;
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) throw new RangeError(`${bytes.byteLength} bytes are not a whole number of ${ctor.name} elements`);
  // new Uint8Array(bytes) copies (a Buffer's slice() would be another view at the same offset).
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  return new ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / size) as A;
}

type NumLoop = (dst: Float64Array, src: Float64Array) => void;
type BigLoop = (dst: BigInt64Array, src: BigInt64Array) => void;

// Typed as Float64Array/BigInt64Array: every number (bigint) typed array has the same
// element access, and these loops only index, read and assign.
const NUMBER_LOOPS: Record<ReduceOp, NumLoop> = {
  SUM: (dst, src) => {
    for (let i = 0; i < dst.length; i++) dst[i] = (dst[i] as number) + (src[i] as number);
  },
  PRODUCT: (dst, src) => {
    for (let i = 0; i < dst.length; i++) dst[i] = (dst[i] as number) * (src[i] as number);
  },
  MIN: (dst, src) => {
    for (let i = 0; i < dst.length; i++) dst[i] = Math.min(dst[i] as number, src[i] as number);
  },
  MAX: (dst, src) => {
    for (let i = 0; i < dst.length; i++) dst[i] = Math.max(dst[i] as number, src[i] as number);
  },
};

const BIGINT_LOOPS: Record<ReduceOp, BigLoop> = {
  SUM: (dst, src) => {
    for (let i = 0; i < dst.length; i++) dst[i] = (dst[i] as bigint) + (src[i] as bigint);
  },
  PRODUCT: (dst, src) => {
    for (let i = 0; i < dst.length; i++) dst[i] = (dst[i] as bigint) * (src[i] as bigint);
  },
  MIN: (dst, src) => {
    for (let i = 0; i < dst.length; i++) {
      const b = src[i] as bigint;
      if (b < (dst[i] as bigint)) dst[i] = b;
    }
  },
  MAX: (dst, src) => {
    for (let i = 0; i < dst.length; i++) {
      const b = src[i] as bigint;
      if (b > (dst[i] as bigint)) dst[i] = b;
    }
  },
};

/** The addon's reduction kernels, unless it did not build (or is disabled): then the loops above. */
function kernels(): ShmAddon | undefined {
  const loaded = loadShmAddon();
  return "addon" in loaded && typeof loaded.addon.reduce === "function" ? loaded.addon : undefined;
}

const OP_CODES: Readonly<Record<ReduceOp, number>> = { SUM: 0, PRODUCT: 1, MIN: 2, MAX: 3 };

/**
 * Combines `src` into `dst` element by element (`dst[i] = dst[i] op src[i]`); `src` is an
 * array of dst's type and length, or its bytes (at any alignment). Integer results wrap as typed arrays do
 * (Uint8ClampedArray clamps); MIN and MAX of numbers are Math.min's and Math.max's (NaN
 * propagates). The addon's kernels do it where they can, the same element by element as the
 * JavaScript loops.
 */
export function reduceInto(dst: CollectiveArray, src: CollectiveArray | Uint8Array, op: ReduceOp): void {
  if (src.byteLength !== dst.byteLength) throw new RangeError(`reduceInto: ${dst.byteLength} bytes against ${src.byteLength}`);
  if (dst.length === 0) return;
  if (kernels()?.reduce(dst, src, OP_CODES[op]) === true) return;
  reduceWithLoops(dst, src, op);
}

/** reduceInto with the JavaScript loops alone (what the kernels must match; tests compare them). */
export function reduceWithLoops(dst: CollectiveArray, src: CollectiveArray | Uint8Array, op: ReduceOp): void {
  const elements = src.constructor === dst.constructor ? (src as CollectiveArray) : asElements(dst, src instanceof Uint8Array ? src : bytesOf(src));
  if (elements.length !== dst.length) throw new RangeError(`reduceInto: ${dst.length} elements against ${elements.length}`);
  if (dst instanceof BigInt64Array || dst instanceof BigUint64Array) {
    BIGINT_LOOPS[op](dst as BigInt64Array, elements as BigInt64Array);
  } else {
    NUMBER_LOOPS[op](dst as unknown as Float64Array, elements as unknown as Float64Array);
  }
}

/**
 * Reduces into `dst` the bytes of `pieces`, which together are exactly dst's bytes cut at any
 * points (a frame's payload as the socket's chunks delivered it): each piece where it lies,
 * an element cut between two pieces put back together first.
 */
export function reducePiecesInto(dst: CollectiveArray, pieces: readonly Uint8Array[], op: ReduceOp): void {
  if (pieces.length === 1) {
    reduceInto(dst, pieces[0] as Uint8Array, op);
    return;
  }
  const size = dst.BYTES_PER_ELEMENT;
  const split = new Uint8Array(size);
  let filled = 0;
  let at = 0;
  for (const piece of pieces) {
    let p = 0;
    if (filled > 0) {
      p = Math.min(size - filled, piece.length);
      split.set(piece.subarray(0, p), filled);
      filled += p;
      if (filled < size) continue;
      reduceInto(dst.subarray(at, at + 1) as CollectiveArray, split, op);
      at++;
      filled = 0;
    }
    const whole = Math.floor((piece.length - p) / size);
    if (whole > 0) {
      reduceInto(dst.subarray(at, at + whole) as CollectiveArray, piece.subarray(p, p + whole * size), op);
      at += whole;
      p += whole * size;
    }
    if (p < piece.length) {
      split.set(piece.subarray(p), 0);
      filled = piece.length - p;
    }
  }
  if (at !== dst.length || filled !== 0) throw new RangeError(`reducePiecesInto: the pieces hold ${at * size + filled} bytes, not ${dst.byteLength}`);
}
