import { InvalidOptionError } from "@lux/common";
import { describe, requireConnected } from "./api.js";
import { ObjectRef } from "./object-ref.js";
import { ObjectRefGenerator, generatorStream } from "./object-ref-generator.js";
import type { ObjectWaiter, WaitOptions as WaiterOptions } from "./object-waiter.js";

/** Options of `lux.get`. */
export interface GetOptions {
  /** Reject with GetTimeoutError after this many ms; the refs stay valid. */
  timeoutMs?: number;
}

/** The values of refs, in input order; rejects with the first error. */
export function get<T>(ref: ObjectRef<T>, options?: GetOptions): Promise<T>;
export function get<const R extends readonly ObjectRef<unknown>[]>(
  refs: R,
  options?: GetOptions,
): Promise<{ -readonly [K in keyof R]: R[K] extends ObjectRef<infer T> ? T : never }>;
export function get<T>(refs: readonly ObjectRef<T>[], options?: GetOptions): Promise<T[]>;
export async function get(refs: ObjectRef | readonly ObjectRef[], options: GetOptions = {}): Promise<unknown> {
  const c = requireConnected("lux.get");
  const timeoutMs = checkTimeout(options.timeoutMs);
  if (refs instanceof ObjectRef) return (await c.objects.getter.get([refs], timeoutMs))[0];
  if (!Array.isArray(refs)) throw new TypeError(`lux.get() takes an ObjectRef or an array of ObjectRefs, got ${describe(refs)}`);
  refs.forEach((r, i) => {
    if (!(r instanceof ObjectRef)) throw new TypeError(`lux.get(): element ${i} is ${describe(r)}, not an ObjectRef`);
  });
  return c.objects.getter.get(refs, timeoutMs);
}

/** Stores a value in the object store now (it is serialized at once) and returns its ref. */
export function put<T>(value: T): ObjectRef<T> {
  if (value instanceof ObjectRef) {
    throw new TypeError("lux.put() was given an ObjectRef; to store a reference, wrap it: lux.put([ref]) or lux.put({ ref })");
  }
  const core = requireConnected("lux.put");
  const ref = core.objects.putter.put(value) as ObjectRef<T>;
  core.results.observed?.callSites?.record([ref.objectId]);
  return ref;
}

/**
 * Frees objects now, wherever their owner is: their values and every copy in the object
 * stores go at once, even while refs to them are held. Later gets of them (and tasks taking
 * them) fail with ObjectFreedError; a task result still pending fails the same way. Lux frees
 * an object by itself when its last ref is dropped: `free` is for memory you need back sooner.
 */
export async function free(refs: ObjectRef | readonly ObjectRef[]): Promise<void> {
  const c = requireConnected("lux.free");
  const list = refs instanceof ObjectRef ? [refs] : refs;
  if (!Array.isArray(list)) throw new TypeError(`lux.free() takes an ObjectRef or an array of ObjectRefs, got ${describe(refs)}`);
  list.forEach((r, i) => {
    if (!(r instanceof ObjectRef)) throw new TypeError(`lux.free(): element ${i} is ${describe(r)}, not an ObjectRef`);
  });
  await c.objects.freeRefs(list);
}

/** Options of `lux.wait`. */
export interface WaitOptions {
  /** How many ready refs to wait for. Default 1. */
  numReturns?: number;
  /** Return what is ready after this many ms. Default: no limit. */
  timeoutMs?: number;
  /** Accepted for Ray compatibility; objects are fetched on `get`. */
  fetchLocal?: boolean;
}

/**
 * Waits until `numReturns` refs are ready (or the timeout); returns `[ready, notReady]` in
 * input order. `wait([])` returns `[[], []]` at once. An ObjectRefGenerator in the list is
 * ready when its next ref is available or it ended (its task ended and every ref was taken).
 */
export function wait<T>(refs: readonly ObjectRef<T>[], options?: WaitOptions): Promise<[ObjectRef<T>[], ObjectRef<T>[]]>;
export function wait<E extends ObjectRef<unknown> | ObjectRefGenerator<unknown>>(refs: readonly E[], options?: WaitOptions): Promise<[E[], E[]]>;
export async function wait<T>(refs: readonly ObjectRef<T>[], options: WaitOptions = {}): Promise<[ObjectRef<T>[], ObjectRef<T>[]]> {
  const c = requireConnected("lux.wait");
  if (!Array.isArray(refs)) throw new TypeError(`lux.wait() takes an array of ObjectRefs, got ${describe(refs)}`);
  const numReturns = options.numReturns ?? 1;
  if (!Number.isInteger(numReturns) || numReturns <= 0 || (numReturns > refs.length && refs.length > 0)) {
    throw new InvalidOptionError({ option: "numReturns", expected: `an integer from 1 to refs.length (${refs.length})`, received: numReturns });
  }
  // Nothing to wait for: nothing is ready and nothing is not (as Ray's wait([])).
  if (refs.length === 0) return [[], []];
  // Answered at once (most calls of a drain loop), the answer resolves this call's promise without another.
  type Answer = [ObjectRef<T>[], ObjectRef<T>[]];
  const opts = { numReturns, timeoutMs: checkTimeout(options.timeoutMs), notARef: notARefInWait };
  let answer: Answer | Promise<Answer>;
  try {
    answer = c.objects.waiter.wait(refs, opts) as Answer | Promise<Answer>;
  } catch (e) {
    // Generators take another path, found only when the list holds one (no extra pass over every list).
    if (e !== GENERATOR_IN_WAIT) throw e;
    answer = waitWithGenerators(c.objects.waiter, refs, opts) as Promise<Answer>;
  }
  return answer;
}

/** Thrown by the waiter's check of each element at the first generator in the list. */
const GENERATOR_IN_WAIT = new TypeError("lux.wait(): a generator in the list");

function notARefInWait(index: number, value: unknown): TypeError {
  if (value instanceof ObjectRefGenerator) return GENERATOR_IN_WAIT;
  return new TypeError(`lux.wait(): element ${index} is ${describe(value)}, not an ObjectRef or an ObjectRefGenerator`);
}

/** `wait` over refs and generators: each generator is watched through a ref to its next item (see GeneratorStream.waitRef). */
async function waitWithGenerators(waiter: ObjectWaiter, items: readonly unknown[], opts: WaiterOptions): Promise<[unknown[], unknown[]]> {
  const refs: ObjectRef[] = [];
  const itemOf = new Map<ObjectRef, unknown>();
  items.forEach((item, i) => {
    const ref = item instanceof ObjectRefGenerator ? generatorStream(item).waitRef() : item;
    if (!(ref instanceof ObjectRef)) throw notARefInWait(i, item);
    refs.push(ref);
    itemOf.set(ref, item);
  });
  const [ready, notReady] = await waiter.wait(refs, opts);
  return [ready.map((r) => itemOf.get(r)), notReady.map((r) => itemOf.get(r))];
}

function checkTimeout(v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || Number.isNaN(v) || v < 0) {
    throw new InvalidOptionError({ option: "timeoutMs", expected: "a number of milliseconds >= 0", received: v });
  }
  return v;
}
