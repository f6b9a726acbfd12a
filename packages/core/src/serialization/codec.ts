/**
 * The value codec for task arguments, return values and `put` objects.
 *
 * Round-trips exactly (same prototypes, deep-equal): JSON types, undefined (also as
 * property values and array elements; array holes come back as undefined), -0, NaN,
 * ±Infinity, BigInt of any size, Date, Map and Set (any keys), RegExp (source and flags),
 * every typed array, ArrayBuffer, DataView, Buffer (back as a Buffer), Errors (see
 * error-extension.ts), shared references and cycles, instances of classes registered
 * with `registerWireExtension`, and instances of classes declared at the top level of an
 * ES module (own enumerable properties on the receiver's copy of the class: methods,
 * getters and `instanceof` work; no constructor runs; see classes.ts).
 *
 * Not exact:
 * - a class instance with a `toJSON()` method is sent as what `toJSON()` returns;
 * - own properties that are not enumerable, symbol-keyed properties (of any object) and
 *   getters' own accessors are not sent (an own getter is read and sent as its value);
 * - objects with a null prototype come back with Object.prototype;
 * - instances of subclasses of Map, Set, Date, RegExp, typed arrays, Buffer, DataView
 *   and ArrayBuffer come back as the built-in class (Errors: see error-extension.ts);
 * - an Error reachable from its own properties or cause (err.self = err) comes back
 *   as a plain object: msgpackr can only rebuild cycles through objects, arrays,
 *   Maps and Sets;
 * - an own property named "__proto__" comes back named "__proto_" (msgpackr's guard);
 * - strings with unpaired UTF-16 surrogates get U+FFFD in their place (UTF-8 on the wire).
 *
 * Refused with a SerializationError that names the path: functions, symbols, Promises,
 * generators, iterators, WeakMap/WeakSet/WeakRef/FinalizationRegistry, boxed primitives,
 * and instances of classes that cannot travel (declared inside a function or block, made
 * by eval, with private members, built-in or Node.js classes such as URL or
 * SharedArrayBuffer) anywhere in the value.
 */
import "./error-extension.js";
import { loadClasses, type Refusal } from "./classes.js";
import { ClassesNotLoaded, enterPacking, finishDecoding, leavePacking, startDecoding } from "./instance-extension.js";
import { swapOutOfBandReader, swapOutOfBandWriter, type OutOfBandWriter } from "./out-of-band.js";
import { FunctionInValue, packr, startCollecting, stopCollecting } from "./packr.js";
import { rewrite } from "./rewrite.js";
import { SerializationError } from "./serialization-error.js";
import { walk, type Problem, type ProblemKind, type WalkResult } from "./walk.js";

export { SerializationError } from "./serialization-error.js";
export { registerWireExtension, type WireExtension } from "./wire-extension.js";

/** A serialized value: its bytes and the wire-extension instances (ObjectRefs, ...) inside it. */
export interface Serialized {
  /**
   * The encoded value. A view of a buffer that later messages may share (never
   * overwrite); copy it if you keep it for long and want the shared buffer freed.
   */
  readonly bytes: Uint8Array;
  /** Every instance of a registered wire-extension class inside the value, in encounter order. */
  readonly contained: object[];
}

/** Messages at least this large get their own output buffer (sized up front when binary). */
const LARGE_MESSAGE = 1024 * 1024;
/** Room for the non-binary part of a large message before msgpackr has to grow the buffer. */
const LARGE_MESSAGE_SLACK = 64 * 1024;
const SMALL_BUFFER = 8192;

/** > 0 while a serialize call is packing (an extension's encode may call serialize again). */
let depth = 0;

/**
 * Encodes `value` into bytes. `what` names the value in error messages, for example
 * "argument 2 of square", and `root` starts the paths into it there ("args[1].opts.cb").
 *
 * @throws SerializationError if the value holds something that cannot travel (a
 *   function, symbol, Promise, generator, iterator, weak collection, or an instance of
 *   a class that cannot travel; see the top of this file), or cannot be encoded for
 *   another reason (the original error is the `cause`).
 * @throws TypeError for an object of Lux that stays in its process (an ObjectRefGenerator).
 */
export function serialize(value: unknown, what?: string, root = "value"): Serialized {
  return serializeWith(value, what, null, root);
}

/**
 * `serialize`, with binary values of at least `outOfBand.threshold` bytes written as
 * placeholders and collected in `outOfBand.buffers` (parts.ts). With `null`, or when no
 * binary value is that large, the bytes are exactly those of `serialize`.
 */
export function serializeWith(value: unknown, what: string | undefined, outOfBand: OutOfBandWriter | null, root = "value"): Serialized {
  let scan: WalkResult;
  try {
    scan = walk(value, false, outOfBand === null ? Infinity : outOfBand.threshold);
  } catch (error) {
    // a property getter threw
    throw new SerializationError(`${lead(what)}: ${messageOf(error)}`, "", { cause: error });
  }
  if (scan.problem !== undefined) throw problemError(scan.problem, what, root);
  const contained: object[] = [];
  const previous = startCollecting(contained);
  // A serialize nested in this one (an extension's encode) keeps its binaries in band.
  const previousOutOfBand = swapOutOfBandWriter(outOfBand);
  const outermost = depth === 0;
  depth++;
  enterPacking();
  try {
    // A large binary payload gets an output buffer of about its size, so msgpackr
    // neither grows it (copying) nor over-allocates by 25%.
    if (outermost && scan.binaryBytes >= LARGE_MESSAGE) {
      packr.useBuffer(Buffer.allocUnsafeSlow(scan.binaryBytes + LARGE_MESSAGE_SLACK));
    }
    const bytes: Uint8Array = packr.pack(scan.rewrite ? rewrite(value) : value);
    return { bytes, contained };
  } catch (error) {
    throw packError(value, what, root, error);
  } finally {
    depth--;
    leavePacking();
    stopCollecting(previous);
    swapOutOfBandWriter(previousOutOfBand);
    // msgpackr writes the next messages after this one in the same buffer, and each
    // message is a view of it; small messages must not keep a large buffer alive.
    if (outermost && packr.position >= LARGE_MESSAGE) packr.useBuffer(Buffer.allocUnsafeSlow(SMALL_BUFFER));
    // msgpackr keeps the objects of the last value it packed (structuredClone's table) until
    // it packs another: a worker whose last result held a ref or an actor handle would keep
    // it alive, and with it the object or the actor. Packing null empties the table.
    if (outermost && contained.length > 0) packr.pack(null);
  }
}

/**
 * Decodes bytes produced by `serialize` (in any process that registered the same
 * wire extensions). Binary values in the result own their memory: nothing returned
 * is a view of `bytes`.
 *
 * @throws SerializationError if the bytes are not a value written by `serialize`.
 */
export function deserialize(bytes: Uint8Array): unknown {
  return deserializeWith(bytes, null);
}

/**
 * `deserialize`, with the placeholders `serializeWith` wrote turned into views of
 * `buffers` (see out-of-band.ts). With `null`, a placeholder is an error.
 */
export function deserializeWith(bytes: Uint8Array, buffers: readonly Uint8Array[] | null): unknown {
  // msgpackr hands back Buffers only when decoding from a Buffer.
  const source = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const previous = swapOutOfBandReader(buffers);
  const outerDecode = startDecoding();
  let missing: ReturnType<typeof finishDecoding>;
  let value: unknown;
  try {
    value = packr.unpack(source);
  } catch (error) {
    if (error instanceof SerializationError || error instanceof ClassesNotLoaded) throw error;
    throw new SerializationError(
      `cannot deserialize value (${bytes.byteLength} bytes): ${messageOf(error)}; ` +
        "the bytes are damaged, or were written by another codec or with other wire extensions registered",
      "",
      { cause: error },
    );
  } finally {
    missing = finishDecoding(outerDecode);
    swapOutOfBandReader(previous);
  }
  if (missing !== undefined) throw new ClassesNotLoaded(missing);
  return value;
}

/**
 * `deserialize`, for values that may hold instances of classes this process has not loaded
 * yet: their modules are imported first (then the result is a Promise). Otherwise, as
 * most of the time, the value itself, synchronously.
 */
export function deserializeLoading(bytes: Uint8Array, buffers: readonly Uint8Array[] | null = null): unknown {
  try {
    return deserializeWith(bytes, buffers);
  } catch (error) {
    if (!(error instanceof ClassesNotLoaded)) throw error;
    return loadClasses(error.refs).then(() => deserializeWith(bytes, buffers));
  }
}

const WHY: Record<Exclude<ProblemKind, "refused">, Refusal> = {
  function: {
    is: "a function",
    advice: "pass data, not functions (define the function with lux.remote and pass its result or an ObjectRef)",
  },
  symbol: { is: "a symbol", advice: "a symbol cannot cross the wire (pass a string instead)" },
  Promise: {
    is: "a Promise",
    advice: "a Promise cannot cross the wire (await it and pass the result, or pass an ObjectRef instead)",
  },
};

function lead(what: string | undefined): string {
  return what === undefined ? "cannot serialize value" : `cannot send ${what}`;
}

function problemError(problem: Problem, what: string | undefined, root: string): SerializationError | TypeError {
  const path = problem.path;
  // The whole value, or a path into it as the code would write it: result.items[3].gen
  const subject = path === "" ? "value" : `${root}${path}`;
  const { is, advice, typeError } = problem.refusal ?? WHY[problem.kind as Exclude<ProblemKind, "refused">];
  const message = `${lead(what)}: ${subject} is ${is}; ${advice}`;
  return typeError === true ? new TypeError(message) : new SerializationError(message, path);
}

/** Packing failed: find where (following toJSON() and wire encodings this time). */
function packError(value: unknown, what: string | undefined, root: string, error: unknown): SerializationError | TypeError {
  if (error instanceof SerializationError) return error;
  let problem: Problem | undefined;
  try {
    problem = walk(value, true).problem;
  } catch {
    problem = undefined; // a toJSON() or encode() that throws: report the original error
  }
  if (problem !== undefined) return problemError(problem, what, root);
  const reason =
    error instanceof FunctionInValue ? `value contains a function; ${WHY.function.advice}` : messageOf(error);
  return new SerializationError(`${lead(what)}: ${reason}`, "", { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
