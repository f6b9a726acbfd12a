/**
 * Errors across the wire: `toWireError` turns any thrown value into plain data that
 * msgpack can carry; `fromWireError` turns it back into an Error. A LuxError comes
 * back as the same class with the same fields; any other error as an Error (or the
 * built-in class of the same name) with the same name, message, stack and own
 * enumerable properties.
 */
import { inspect, types } from "node:util";
import { LuxError, errorClassForCode } from "@lux/protocol";

/** An error as plain, msgpack-able data. */
export interface WireError {
  /** Set only for LuxErrors; selects the class on the receiving side. */
  code?: string;
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable properties (for a LuxError, its fields), made plain. */
  props: Record<string, unknown>;
  cause?: WireError;
}

/** Properties carried in their own WireError slots, never in `props` ("code" too, for LuxErrors). */
const RESERVED = new Set(["name", "message", "stack", "cause"]);
const MAX_CAUSE_DEPTH = 16;
const MAX_VALUE_DEPTH = 8;
/** The key of a Map's entries in a property (decodeValue makes it a Map again). */
const MAP_TAG = "lux:map";

const BUILTIN_ERRORS: Readonly<Record<string, ErrorConstructor>> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Converts any thrown value into a WireError. Never throws. */
export function toWireError(err: unknown): WireError {
  return encodeError(err, 0, new Set());
}

/**
 * Re-creates the error described by `w`, a WireError. Any value is accepted, since it
 * comes from a peer: malformed input gives an Error saying so, never a throw.
 */
export function fromWireError(w: unknown): Error {
  if (typeof w !== "object" || w === null) {
    return new Error(`malformed error received from a peer: ${safeInspect(w)}`);
  }
  return decodeError(w as WireError, 0);
}

/** `value` if it is an Error, otherwise an Error describing it (as the wire would). */
export function ensureError(value: unknown): Error {
  return isError(value) ? value : fromWireError(toWireError(value));
}

function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

function encodeError(err: unknown, depth: number, seen: Set<unknown>): WireError {
  if (!isError(err)) return encodeNonError(err, seen);
  seen.add(err);
  const name = safeGet(err, "name");
  const message = safeGet(err, "message");
  const stack = safeGet(err, "stack");
  const w: WireError = {
    name: typeof name === "string" ? name : "Error",
    message: typeof message === "string" ? message : String(message),
    props: encodeProps(err, seen, err instanceof LuxError),
  };
  if (err instanceof LuxError) w.code = err.code;
  if (typeof stack === "string") w.stack = stack;
  if (err instanceof AggregateError && Array.isArray(err.errors) && !("errors" in w.props)) {
    w.props["errors"] = err.errors.map((e: unknown) => encodeValue(e, 1, seen));
  }
  const cause = safeGet(err, "cause");
  if (cause !== undefined && depth < MAX_CAUSE_DEPTH && !seen.has(cause)) {
    w.cause = encodeError(cause, depth + 1, seen);
  }
  return w;
}

function encodeNonError(value: unknown, seen: Set<unknown>): WireError {
  if (typeof value === "string") return { name: "Error", message: value, props: {} };
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    const message = safeGet(obj, "message");
    const name = safeGet(obj, "name");
    const w: WireError = {
      name: typeof name === "string" ? name : "Error",
      message: typeof message === "string" ? message : `non-Error value thrown: ${safeInspect(value)}`,
      props: encodeProps(obj, seen, false),
    };
    const stack = safeGet(obj, "stack");
    if (typeof stack === "string") w.stack = stack;
    return w;
  }
  return { name: "Error", message: `non-Error value thrown: ${safeInspect(value)}`, props: {} };
}

function encodeProps(obj: object, seen: Set<unknown>, isLux: boolean): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const key of safeKeys(obj)) {
    if (RESERVED.has(key) || (isLux && key === "code")) continue;
    setOwn(props, key, encodeValue(safeGet(obj, key), 1, seen));
  }
  return props;
}

/** Makes `value` plain data: primitives, Date, binary, arrays, plain objects, Map, Set. */
function encodeValue(value: unknown, depth: number, seen: Set<unknown>): unknown {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return value;
    case "symbol":
      return value.toString();
    case "function":
      return `[Function: ${value.name || "anonymous"}]`;
  }
  if (value === null || value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return value;
  }
  if (seen.has(value)) return "[Circular]";
  if (depth > MAX_VALUE_DEPTH) return "[Truncated]";
  if (isError(value)) return encodeError(value, depth, seen);
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v: unknown) => encodeValue(v, depth + 1, seen));
    if (value instanceof Map) {
      // Tagged entries: the RPC codec would make a Map a plain object (and its keys strings).
      const entries = [...value].map(([k, v]) => [encodeValue(k, depth + 1, seen), encodeValue(v, depth + 1, seen)]);
      return { [MAP_TAG]: entries };
    }
    if (value instanceof Set) {
      const out = new Set<unknown>();
      for (const v of value) out.add(encodeValue(v, depth + 1, seen));
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const key of safeKeys(value as object)) setOwn(out, key, encodeValue(safeGet(value, key), depth + 1, seen));
    return out;
  } finally {
    seen.delete(value);
  }
}

function decodeError(w: WireError, depth: number): Error {
  const name = typeof w.name === "string" ? w.name : "Error";
  const message = typeof w.message === "string" ? w.message : "";
  const props: Record<string, unknown> = typeof w.props === "object" && w.props !== null ? w.props : {};
  const cause = isWireError(w.cause) && depth < MAX_CAUSE_DEPTH ? decodeError(w.cause, depth + 1) : undefined;
  const args = cause === undefined ? [message] : [message, { cause }];

  let err: Error;
  if (typeof w.code === "string") {
    // Build the registered class without running its constructor: the fields come from props.
    const ctor = errorClassForCode(w.code) ?? LuxError;
    err = Reflect.construct(Error, args, ctor) as Error;
    setOwn(err, "code", w.code);
  } else if (name === "AggregateError" && Array.isArray(props["errors"])) {
    const errors = props["errors"].map((e: unknown) => (isWireError(e) ? decodeError(e, depth + 1) : e));
    err = cause === undefined ? new AggregateError(errors, message) : new AggregateError(errors, message, { cause });
  } else {
    err = Reflect.construct(BUILTIN_ERRORS[name] ?? Error, args) as Error;
  }
  if (err.name !== name) {
    Object.defineProperty(err, "name", { value: name, writable: true, configurable: true, enumerable: false });
  }
  if (typeof w.stack === "string") {
    Object.defineProperty(err, "stack", { value: w.stack, writable: true, configurable: true, enumerable: false });
  }
  for (const key of Object.keys(props)) {
    if (RESERVED.has(key) || (key === "code" && typeof w.code === "string")) continue;
    if (key === "errors" && err instanceof AggregateError) continue;
    setOwn(err, key, decodeValue(props[key], depth + 1));
  }
  return err;
}

/**
 * A property as it was: a Map (tagged, since the RPC codec turns maps into plain objects) comes
 * back as a Map, with the errors in it as errors (WorkerGroupError's rank → error); arrays and
 * plain objects are gone through for maps in them.
 */
function decodeValue(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null || depth > MAX_VALUE_DEPTH + 1) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => decodeValue(v, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const entries = (value as Record<string, unknown>)[MAP_TAG];
  if (Array.isArray(entries) && Object.keys(value).length === 1) {
    return new Map(
      entries.map((e: unknown) => {
        const [k, v] = Array.isArray(e) ? (e as unknown[]) : [undefined, undefined];
        return [decodeValue(k, depth + 1), isEncodedError(v) ? decodeError(v, depth + 1) : decodeValue(v, depth + 1)];
      }),
    );
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(out, key, decodeValue((value as Record<string, unknown>)[key], depth + 1));
  return out;
}

function isEncodedError(v: unknown): v is WireError {
  if (!isWireError(v)) return false;
  const w = v as unknown as Record<string, unknown>;
  return typeof w["name"] === "string" && typeof w["props"] === "object" && w["props"] !== null;
}

function isWireError(v: unknown): v is WireError {
  return typeof v === "object" && v !== null && typeof (v as { message?: unknown }).message === "string";
}

/** Defines an own enumerable property, safe for keys like "__proto__". */
function setOwn(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function safeGet(obj: unknown, key: string): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch (e) {
    return `[getter threw: ${e instanceof Error ? e.message : String(e)}]`;
  }
}

function safeKeys(obj: object): string[] {
  try {
    return Object.keys(obj);
  } catch {
    return []; // e.g. a revoked Proxy
  }
}

function safeInspect(value: unknown): string {
  try {
    return inspect(value, { depth: 2, breakLength: Infinity, maxStringLength: 200 });
  } catch {
    return Object.prototype.toString.call(value);
  }
}
