import { classInfoOf, refusedBuiltIn, type Refusal } from "./classes.js";
import { wireClasses, wireExtensionOf } from "./wire-extension.js";
import { TYPED_ARRAY_CLASSES } from "./typed-arrays.js";

/**
 * How msgpackr (as configured in packr.ts) will write an object; the pre-walk and the
 * rewrite (rewrite.ts) follow the same split so they see what msgpackr sees.
 *
 * - plain:  own enumerable string keys (also objects with a null prototype, which come
 *           back with Object.prototype).
 * - instance: an instance of a class (or another object with a prototype of its own):
 *           sent with its class if the class travels (classes.ts, instance-extension.ts),
 *           refused otherwise (generators, iterators, WeakMaps, host objects, ...).
 * - json:   a non-plain object with `toJSON()`; msgpackr writes what it returns.
 * - opaque: written whole by an extension: Date, RegExp (subclasses come back as these).
 * - binary: typed arrays, Buffer, DataView, ArrayBuffer (never walked element-wise).
 * - view-subclass, map-subclass: msgpackr would corrupt a typed-array subclass and
 *   write a Map subclass as an empty object; they are rewritten as their base class.
 */
export type Kind =
  | "plain"
  | "array"
  | "map"
  | "set"
  | "error"
  | "binary"
  | "opaque"
  | "wire"
  | "json"
  | "promise"
  | "view-subclass"
  | "map-subclass"
  | "instance";

/** Views msgpackr writes with their own type: it finds typed arrays by constructor name. */
const VIEW_CLASSES: ReadonlySet<unknown> = new Set<unknown>([...TYPED_ARRAY_CLASSES, Buffer, DataView]);

export function classify(value: object): Kind {
  const ctor: unknown = value.constructor;
  if (ctor === Object) return "plain";
  if (ctor === Array) return "array";
  if (ctor === Map) return "map";
  // msgpackr checks registered extension classes next, newest first.
  for (let i = wireClasses.length - 1; i >= 0; i--) {
    if (value instanceof wireClasses[i]!) return "wire";
  }
  if (ArrayBuffer.isView(value)) return VIEW_CLASSES.has(ctor) ? "binary" : "view-subclass";
  if (value instanceof ArrayBuffer) return "binary";
  if (value instanceof Error) return "error";
  if (value instanceof Set) return "set";
  if (value instanceof Date || value instanceof RegExp) return "opaque";
  if (value instanceof Promise) return "promise";
  if (Array.isArray(value)) return "array";
  if ((value as { toJSON?: unknown }).toJSON) return "json";
  if (value instanceof Map) return "map-subclass";
  return hasPlainPrototype(value) ? "plain" : "instance";
}

/** Object.prototype (of this realm or another one) or none. */
function hasPlainPrototype(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  if (prototype === null || prototype === Object.prototype) return true;
  return Object.getPrototypeOf(prototype) === null && prototype.constructor?.name === "Object";
}

/** The built-in class a typed-array (or Buffer, DataView) subclass instance derives from. */
export function viewBaseClass(view: ArrayBufferView): unknown {
  let prototype: { constructor?: unknown } | null = Object.getPrototypeOf(view) as object | null;
  while (prototype !== null && !VIEW_CLASSES.has(prototype.constructor)) {
    prototype = Object.getPrototypeOf(prototype) as object | null;
  }
  return prototype?.constructor;
}

export type ProblemKind = "function" | "symbol" | "Promise" | "refused";

/** Something that cannot cross the wire, with the path to it (built while unwinding). */
export class Problem {
  /** Path segments, innermost first. */
  readonly segments: string[] = [];
  constructor(
    readonly kind: ProblemKind,
    /** For "refused": an object whose class cannot travel (classes.ts says what it is and why). */
    readonly refusal?: Refusal,
  ) {}

  get path(): string {
    return this.segments.reduceRight((path, segment) => path + segment, "");
  }
}

export interface WalkResult {
  readonly problem: Problem | undefined;
  /**
   * The value holds something msgpackr gets wrong (-0 outside binary data, which it
   * writes as 0; a typed-array or Map subclass; a class instance met twice); pack a
   * rewritten copy instead.
   */
  readonly rewrite: boolean;
  /**
   * Total byteLength of the binary values written in band (those below the out-of-band
   * threshold), to size the output buffer up front.
   */
  readonly binaryBytes: number;
}

/**
 * Objects met so far. A short list is scanned linearly (most values hold a handful of
 * objects, and that beats hashing); past 32 objects it moves into a Set.
 */
class Seen {
  private readonly list: object[] = [];
  private set: Set<object> | null = null;

  /** Records `object`; false if it was met before (shared or cyclic). */
  add(object: object): boolean {
    const set = this.set;
    if (set !== null) {
      const size = set.size;
      return set.add(object).size !== size;
    }
    const list = this.list;
    for (let i = 0, n = list.length; i < n; i++) if (list[i] === object) return false;
    if (list.length < 32) list.push(object);
    else (this.set = new Set(list)).add(object);
    return true;
  }

  clear(): void {
    this.list.length = 0;
    this.set = null;
  }
}

interface WalkState {
  readonly deep: boolean;
  readonly seen: Seen;
  readonly threshold: number;
  rewrite: boolean;
  binaryBytes: number;
}

/**
 * The pre-walk run before packing: finds functions, symbols, Promises and objects whose
 * class cannot travel (msgpackr would drop or mangle them), notices what msgpackr would
 * get wrong (see rewrite.ts)
 * and sums binary sizes. It never iterates the elements of binary values, and it
 * calls no user code except property getters.
 *
 * `deep` also follows `toJSON()` results and wire-extension encodings; it is used only
 * after packing failed, to find where. Binary values of at least `threshold` bytes go
 * out of band (parts.ts) and are left out of `binaryBytes`.
 */
export function walk(value: unknown, deep = false, threshold = Infinity): WalkResult {
  // Reuse one Seen unless a getter re-entered walk.
  const seen = spareSeen ?? new Seen();
  spareSeen = undefined;
  const state: WalkState = { deep, seen, threshold, rewrite: false, binaryBytes: 0 };
  const problem = walkValue(value, state); // a throwing getter just leaves spareSeen unset
  seen.clear();
  spareSeen = seen;
  return { problem, rewrite: state.rewrite, binaryBytes: state.binaryBytes };
}

let spareSeen: Seen | undefined = new Seen();

function walkValue(value: unknown, state: WalkState): Problem | undefined {
  switch (typeof value) {
    case "object":
      return value === null ? undefined : walkObject(value, state);
    case "number":
      if (value === 0 && 1 / value < 0) state.rewrite = true;
      return undefined;
    case "function":
      return new Problem("function");
    case "symbol":
      return new Problem("symbol");
    default:
      return undefined;
  }
}

function walkObject(object: object, state: WalkState): Problem | undefined {
  if (!state.seen.add(object)) {
    // Met before (shared or cyclic): a class instance keeps one identity through rewrite.ts.
    if (classify(object) === "instance") state.rewrite = true;
    return undefined;
  }
  let problem: Problem | undefined;
  const kind = classify(object);
  switch (kind) {
    case "plain":
      return walkKeys(object as Record<string, unknown>, state);
    case "instance": {
      const { refusal } = classInfoOf(object);
      return refusal === undefined ? walkKeys(object as Record<string, unknown>, state) : new Problem("refused", refusal);
    }
    case "array": {
      const array = object as unknown[];
      for (let i = 0, n = array.length; i < n; i++) {
        if ((problem = walkValue(array[i], state))) return at(problem, `[${i}]`);
      }
      return undefined;
    }
    case "map":
    case "map-subclass":
      if (kind === "map-subclass") state.rewrite = true;
      return walkMap(object as Map<unknown, unknown>, state);
    case "set":
      return walkSet(object as Set<unknown>, state);
    case "error":
      if ((problem = walkKeys(object as Record<string, unknown>, state))) return problem;
      for (const key of ["cause", "errors"] as const) {
        if (Object.hasOwn(object, key) && (problem = walkValue((object as Error & { errors?: unknown })[key], state))) {
          return at(problem, `.${key}`);
        }
      }
      return undefined;
    case "binary":
    case "view-subclass": {
      if (kind === "view-subclass") state.rewrite = true;
      const size = (object as ArrayBufferLike | ArrayBufferView).byteLength;
      if (size < state.threshold) state.binaryBytes += size;
      return undefined;
    }
    case "promise":
      return new Problem("Promise");
    case "json":
      if (!state.deep) return undefined;
      problem = walkValue((object as { toJSON(): unknown }).toJSON(), state);
      return problem && at(problem, ".toJSON()");
    case "wire":
      if (!state.deep) return undefined;
      problem = walkValue(wireExtensionOf(object)?.encode(object), state);
      return problem && at(problem, `<encoded ${object.constructor.name}>`);
    case "opaque":
      return undefined;
  }
}

function walkMap(map: Map<unknown, unknown>, state: WalkState): Problem | undefined {
  let problem: Problem | undefined;
  let i = 0;
  for (const [key, entry] of map) {
    if ((problem = walkValue(key, state))) return at(problem, `.keys()[${i}]`);
    if ((problem = walkValue(entry, state))) return at(problem, `.get(${describeKey(key)})`);
    i++;
  }
  return undefined;
}

function walkSet(set: Set<unknown>, state: WalkState): Problem | undefined {
  let problem: Problem | undefined;
  let i = 0;
  for (const element of set) {
    if ((problem = walkValue(element, state))) return at(problem, `.values()[${i}]`);
    i++;
  }
  return undefined;
}

function walkKeys(object: Record<string, unknown>, state: WalkState): Problem | undefined {
  const keys = Object.keys(object);
  // Built-in iterators (of Maps, Sets, arrays, strings) inherit Object as their constructor
  // and have no own properties: told apart from empty objects by their prototype.
  if (keys.length === 0 && Object.getPrototypeOf(object) !== Object.prototype) {
    const refusal = refusedBuiltIn(object);
    if (refusal !== undefined) return new Problem("refused", refusal);
  }
  for (let i = 0, n = keys.length; i < n; i++) {
    const key = keys[i]!;
    const problem = walkValue(object[key], state);
    if (problem) return at(problem, propertySegment(key));
  }
  return undefined;
}

function at(problem: Problem, segment: string): Problem {
  problem.segments.push(segment);
  return problem;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function propertySegment(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeKey(key: unknown): string {
  switch (typeof key) {
    case "string":
      return JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}...` : key);
    case "bigint":
      return `${key}n`;
    case "object":
      return key === null ? "null" : `<${key.constructor?.name ?? "object"}>`;
    case "function":
      return "<function>";
    default:
      return String(key);
  }
}
