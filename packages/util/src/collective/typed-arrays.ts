/**
 * The arrays collective operations work on (every numeric typed array), their bytes, and the
 * element-wise reductions. Reductions run on whole ranges in tight loops, one per operation
 * and number kind (numbers or bigints), so no per-element branch on the operation.
 */
import { TYPED_ARRAY_CLASSES } from "@lux/core/internal";

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

/**
 * Combines `src` into `dst` element by element (`dst[i] = dst[i] op src[i]`); both of one
 * type and length. Integer results wrap as typed arrays do (Uint8ClampedArray clamps);
 * MIN and MAX of numbers propagate NaN.
 */
export function reduceInto(dst: CollectiveArray, src: CollectiveArray, op: ReduceOp): void {
  if (dst.length !== src.length) throw new RangeError(`reduceInto: ${dst.length} elements against ${src.length}`);
  if (dst instanceof BigInt64Array || dst instanceof BigUint64Array) {
    BIGINT_LOOPS[op](dst as BigInt64Array, src as BigInt64Array);
  } else {
    NUMBER_LOOPS[op](dst as unknown as Float64Array, src as unknown as Float64Array);
  }
}
