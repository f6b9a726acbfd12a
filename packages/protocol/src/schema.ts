/**
 * Shapes of wire messages as values: each RPC request is declared once as a schema, its
 * TypeScript type is inferred from it (`Infer<S>`), and the same schema checks what a peer
 * sent before a handler sees it. The types and the checks thus cannot drift apart.
 *
 * A check is built once per schema (closures over the shape) and allocates nothing when the
 * value is good; only a bad value pays for a second pass (`explain`) that names where it is
 * bad. Objects must be plain (their `constructor` is `Object`), carry only the keys their
 * schema names, and never the keys `constructor`, `prototype`, `__proto__`, or `__proto_`
 * (what msgpackr makes of a `__proto__` key), at any depth. Every check takes a depth: how
 * many levels of objects and arrays the value may nest (config `rpcMaxMessageDepth` at
 * dispatch); a typed shape is shallow, so the bound matters for `anything` values.
 */

/** A value's expected shape at run time; `T` is the type it stands for. */
export interface Schema<T> {
  /** Phantom: the type this schema stands for (never set). */
  readonly __type?: T;
  /** What is expected, for messages: "a string", "an object", … */
  readonly expected: string;
  /** Whether `value` has this shape, nesting at most `depth` levels of objects and arrays. Allocates nothing. */
  readonly test: (value: unknown, depth: number) => boolean;
  /** Why `value` does not have this shape ("PATH: expected …, got …"), or undefined if it has. */
  readonly explain: (value: unknown, path: string, depth: number) => string | undefined;
}

/** A property that may be absent (or undefined): `key?: T`. Made by `opt`. */
export interface OptionalSchema<T> extends Schema<T> {
  readonly optional: true;
}

/** The type a schema stands for. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Readonly<Record<string, Schema<unknown>>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
type Required<S extends Shape> = { -readonly [K in keyof S]: Infer<S[K]> };
type Optional<S extends Shape> = { -readonly [K in keyof S]?: Infer<S[K]> };
type Flat<T> = { [K in keyof T]: T[K] } & {};
/** The object type an `obj` shape stands for: `opt` keys optional, the others required. */
export type InferShape<S extends Shape> = Flat<Required<Omit<S, OptionalKeys<S>>> & Optional<Pick<S, OptionalKeys<S>>>>;
type InferItems<S extends readonly Schema<unknown>[]> = { -readonly [I in keyof S]: Infer<S[I]> };

/** Keys refused in any object of a message; `__proto_` is what msgpackr decodes `__proto__` to. */
const FORBIDDEN_KEYS: readonly string[] = ["constructor", "prototype", "__proto__", "__proto_"];
/**
 * How many levels of objects and arrays a message may nest by default (config
 * `rpcMaxMessageDepth`): far above Lux's own messages (a serialized error with its causes is
 * the deepest), and a bound on the walk of an `anything` value.
 */
export const DEFAULT_MESSAGE_DEPTH = 64;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "bytes";
  if (typeof value === "object") return (value as object).constructor === Object ? "an object" : "a non-plain object";
  if (typeof value === "string") return "a string";
  return typeof value === "undefined" ? "nothing" : `${typeof value} ${String(value)}`;
}

const where = (path: string): string => (path === "" ? "the body" : path);

function mismatch(path: string, expected: string, value: unknown): string {
  return `${where(path)}: expected ${expected}, got ${describe(value)}`;
}

function tooDeep(path: string): string {
  return `${where(path)}: nested too deep (config rpcMaxMessageDepth)`;
}

/** A plain object without a forbidden key of its own (a `constructor` key makes it non-plain). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as object).constructor === Object &&
    !Object.hasOwn(value, "prototype") &&
    !Object.hasOwn(value, "__proto_") &&
    !Object.hasOwn(value, "__proto__")
  );
}

function forbiddenKeyOf(value: object): string | undefined {
  return FORBIDDEN_KEYS.find((k) => Object.hasOwn(value, k));
}

function explainObject(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return mismatch(path, "an object", value);
  const key = forbiddenKeyOf(value);
  if (key !== undefined) return `${where(path)}: the key "${key}" is not allowed`;
  if ((value as object).constructor !== Object) return mismatch(path, "an object", value);
  return depth < 1 ? tooDeep(path) : undefined;
}

/** How many enumerable keys `value` has, without making an array of them. */
function keyCount(value: object): number {
  let n = 0;
  for (const _ in value) n++;
  return n;
}

function leaf<T>(expected: string, test: (value: unknown) => boolean): Schema<T> {
  return { expected, test, explain: (value, path) => (test(value) ? undefined : mismatch(path, expected, value)) };
}

export const str: Schema<string> = leaf("a string", (v) => typeof v === "string");
export const num: Schema<number> = leaf("a number", (v) => typeof v === "number");
export const bool: Schema<boolean> = leaf("a boolean", (v) => typeof v === "boolean");
export const bytes: Schema<Uint8Array> = leaf("bytes", (v) => v instanceof Uint8Array);
/** A safe integer at least `min` (default 0) and at most `max` when given: sizes, offsets, counts. */
export function int(min = 0, max?: number): Schema<number> {
  if (max === undefined) return leaf(`an integer >= ${min}`, (v) => Number.isSafeInteger(v) && (v as number) >= min);
  return leaf(`an integer from ${min} to ${max}`, (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max);
}

/** Exactly one of `values`. */
export function lit<const V extends readonly (string | number | boolean | null)[]>(...values: V): Schema<V[number]> {
  const expected = values.map((v) => JSON.stringify(v)).join(" or ");
  return leaf(expected, (v) => values.includes(v as V[number]));
}

/** A property that may be left out: `key?: T` (undefined is accepted too). */
export function opt<T>(schema: Schema<T>): OptionalSchema<T> {
  return {
    optional: true,
    expected: schema.expected,
    test: (v, depth) => v === undefined || schema.test(v, depth),
    explain: (v, path, depth) => (v === undefined ? undefined : schema.explain(v, path, depth)),
  };
}

/** A required property whose value may be undefined: `key: T | undefined`. */
export function maybe<T>(schema: Schema<T>): Schema<T | undefined> {
  return {
    expected: `${schema.expected} or nothing`,
    test: (v, depth) => v === undefined || schema.test(v, depth),
    explain: (v, path, depth) => (v === undefined ? undefined : schema.explain(v, path, depth)),
  };
}

/** `T | null`. */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return {
    expected: `${schema.expected} or null`,
    test: (v, depth) => v === null || schema.test(v, depth),
    explain: (v, path, depth) => (v === null ? undefined : schema.explain(v, path, depth)),
  };
}

/** Any one of `schemas` (tried in order). */
export function union<const S extends readonly Schema<unknown>[]>(...schemas: S): Schema<Infer<S[number]>> {
  const expected = schemas.map((s) => s.expected).join(" or ");
  const test = (v: unknown, depth: number): boolean => {
    for (let i = 0; i < schemas.length; i++) if ((schemas[i] as Schema<unknown>).test(v, depth)) return true;
    return false;
  };
  return {
    expected,
    test,
    explain: (v, path, depth) => {
      if (test(v, depth)) return undefined;
      // The alternative of the same kind says best what is wrong inside it.
      const near = schemas.find((s) => s.expected.startsWith(describe(v)));
      return near !== undefined ? near.explain(v, path, depth) : mismatch(path, expected, v);
    },
  };
}

/** A plain object with the properties of `shape` and no others (an `opt` one may be left out). */
export function obj<const S extends Shape>(shape: S): Schema<InferShape<S>> {
  const keys = Object.keys(shape);
  const schemas = keys.map((k) => shape[k] as Schema<unknown>);
  const n = keys.length;
  const test = (v: unknown, depth: number): boolean => {
    if (depth < 1 || !isPlainObject(v)) return false;
    let present = 0;
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      const value = v[key];
      if (!(schemas[i] as Schema<unknown>).test(value, depth - 1)) return false;
      if (value !== undefined || Object.hasOwn(v, key)) present++;
    }
    // Every key it has is one of the shape's: as many as the shape's it has.
    return keyCount(v) === present;
  };
  const explain = (v: unknown, path: string, depth: number): string | undefined => {
    const bad = explainObject(v, path, depth);
    if (bad !== undefined) return bad;
    for (const key in v as object) {
      if (!Object.hasOwn(shape, key)) return `${where(path)}: the key "${key}" is not one of this message's`;
    }
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      const inner = (schemas[i] as Schema<unknown>).explain((v as Record<string, unknown>)[key], path === "" ? key : `${path}.${key}`, depth - 1);
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  return { expected: "an object", test, explain };
}

/** `Record<string, never>`: a plain object, for requests that carry nothing. */
export const empty: Schema<Record<string, never>> = obj({}) as Schema<never>;

/** `Record<string, T>`: a plain object whose every value is a `T`. */
export function record<T>(values: Schema<T>): Schema<Record<string, T>> {
  const test = (v: unknown, depth: number): boolean => {
    if (depth < 1 || !isPlainObject(v)) return false;
    for (const key in v) if (!values.test(v[key], depth - 1)) return false;
    return true;
  };
  const explain = (v: unknown, path: string, depth: number): string | undefined => {
    const bad = explainObject(v, path, depth);
    if (bad !== undefined) return bad;
    for (const key in v as object) {
      const inner = values.explain((v as Record<string, unknown>)[key], `${path}[${JSON.stringify(key)}]`, depth - 1);
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  return { expected: "an object", test, explain };
}

/** `T[]`. */
export function arr<T>(items: Schema<T>): Schema<T[]> {
  const test = (v: unknown, depth: number): boolean => {
    if (depth < 1 || !Array.isArray(v)) return false;
    for (let i = 0; i < v.length; i++) if (!items.test(v[i], depth - 1)) return false;
    return true;
  };
  const explain = (v: unknown, path: string, depth: number): string | undefined => {
    if (!Array.isArray(v)) return mismatch(path, "an array", v);
    if (depth < 1) return tooDeep(path);
    for (let i = 0; i < v.length; i++) {
      const inner = items.explain(v[i], `${path}[${i}]`, depth - 1);
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  return { expected: "an array", test, explain };
}

/** A positional array: `items` in order, then any of `optionalItems` (each may be left out). */
export function tuple<const S extends readonly Schema<unknown>[], const O extends readonly Schema<unknown>[] = []>(
  items: S,
  optionalItems?: O,
): Schema<[...InferItems<S>, ...Partial<InferItems<O>>]> {
  const all: readonly Schema<unknown>[] = [...items, ...(optionalItems ?? [])];
  const min = items.length;
  const max = all.length;
  const expected = min === max ? `an array of ${min}` : `an array of ${min} to ${max}`;
  const test = (v: unknown, depth: number): boolean => {
    if (depth < 1 || !Array.isArray(v) || v.length < min || v.length > max) return false;
    for (let i = 0; i < v.length; i++) if (!(all[i] as Schema<unknown>).test(v[i], depth - 1)) return false;
    return true;
  };
  const explain = (v: unknown, path: string, depth: number): string | undefined => {
    if (!Array.isArray(v)) return mismatch(path, expected, v);
    if (v.length < min || v.length > max) return `${where(path)}: expected ${expected}, got ${v.length} items`;
    if (depth < 1) return tooDeep(path);
    for (let i = 0; i < v.length; i++) {
      const inner = (all[i] as Schema<unknown>).explain(v[i], `${path}[${i}]`, depth - 1);
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  return { expected, test, explain };
}

/** The problem of a value of any shape: only the keys and depth rules apply. */
function explainAnything(v: unknown, path: string, depth: number): string | undefined {
  if (typeof v !== "object" || v === null || v instanceof Uint8Array) return undefined;
  if (depth < 1) return tooDeep(path);
  if (v instanceof Map || v instanceof Set) {
    let i = 0;
    for (const item of v.values()) {
      const inner = explainAnything(item, `${path}[${i++}]`, depth - 1);
      if (inner !== undefined) return inner;
    }
    if (v instanceof Map) for (const key of v.keys()) if (!anythingOk(key, depth - 1)) return `${where(path)}: a key nested too deep (config rpcMaxMessageDepth)`;
    return undefined;
  }
  if (!Array.isArray(v)) {
    const key = forbiddenKeyOf(v);
    if (key !== undefined) return `${where(path)}: the key "${key}" is not allowed`;
  }
  for (const key in v) {
    const inner = explainAnything((v as Record<string, unknown>)[key], Array.isArray(v) ? `${path}[${key}]` : `${path}.${key}`, depth - 1);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** `explainAnything` without the paths: whether `v` keeps the key and depth rules. */
function anythingOk(v: unknown, depth: number): boolean {
  if (typeof v !== "object" || v === null || v instanceof Uint8Array) return true;
  if (depth < 1) return false;
  if (v instanceof Map || v instanceof Set) {
    for (const item of v.values()) if (!anythingOk(item, depth - 1)) return false;
    if (v instanceof Map) for (const key of v.keys()) if (!anythingOk(key, depth - 1)) return false;
    return true;
  }
  if (!Array.isArray(v) && forbiddenKeyOf(v) !== undefined) return false;
  for (const key in v) if (!anythingOk((v as Record<string, unknown>)[key], depth - 1)) return false;
  return true;
}

/** Any value (e.g. a serialized error), walked only for forbidden keys and excessive depth. */
export const anything: Schema<unknown> = {
  expected: "any value",
  test: anythingOk,
  explain: explainAnything,
};
