/**
 * The base class of every Lux error, `defineError` (each error class is declared once:
 * code, name, fields, message), and the registry (code → class) that lets an error sent
 * across the wire come back as its own class. It lives here, in the package that imports
 * nothing of ours, so the protocol's own connection errors are Lux errors too;
 * @lux/common re-exports all of it.
 */
import { inspect } from "node:util";
import type { ErrorCode } from "./error-codes.js";

/**
 * Marks the prototype of each error class with the code it declares. A global symbol, so
 * every copy of this package (two installed versions of lux) marks with the same key and
 * `instanceof` can match an error made by another copy by its code.
 */
const DECLARED_CODE = Symbol.for("lux.errorCode");
/** A declared class's spec, on the class (inherited by subclasses that declare no code). */
const SPEC = Symbol("lux.errorSpec");

/** A LuxError class as the registry sees it: its constructor and static `code`. */
export type LuxErrorClass = (abstract new (...args: never) => LuxError) & { readonly code: ErrorCode };

const classesByCode = new Map<string, LuxErrorClass>();

function register(ctor: LuxErrorClass, name: string): void {
  const existing = classesByCode.get(ctor.code);
  if (existing !== undefined && existing.prototype.name !== name) {
    throw new Error(`error code ${ctor.code} is declared twice (${existing.prototype.name} and ${name}); give ${name} its own code`);
  }
  Object.defineProperty(ctor.prototype, "name", { value: name, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(ctor.prototype, DECLARED_CODE, { value: ctor.code });
  // The same name under the same code is the class of another copy of this package: the first stays.
  if (existing === undefined) classesByCode.set(ctor.code, ctor);
}

/** The class registered for `code`, if any. */
export function errorClassForCode(code: string): LuxErrorClass | undefined {
  return classesByCode.get(code);
}

/** Codes of every registered class. */
export function registeredErrorCodes(): ErrorCode[] {
  return [...classesByCode.values()].map((c) => c.code);
}

/** Whether `value` has, along its prototype chain, the code that `cls` itself declares. */
function hasDeclaredCode(cls: { readonly prototype: object }, value: unknown): boolean {
  const own = Object.getOwnPropertyDescriptor(cls.prototype, DECLARED_CODE);
  if (own === undefined || typeof value !== "object" || value === null) return false;
  for (let p: object | null = Object.getPrototypeOf(value) as object | null; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    if (Object.getOwnPropertyDescriptor(p, DECLARED_CODE)?.value === own.value) return true;
  }
  return false;
}

/** Options every Lux error accepts. */
export interface LuxErrorOptions {
  /** The underlying error; kept as `error.cause` and sent across the wire. */
  readonly cause?: unknown;
}

/** Base class of every Lux error. Used directly it means an internal error (a bug). */
export class LuxError extends Error {
  /** The code instances of this class carry. Each declared class has its own. */
  static readonly code: ErrorCode = "LUX_INTERNAL";
  /** Stable machine-readable code, e.g. "LUX_GET_TIMEOUT"; see docs/errors.md. */
  readonly code: ErrorCode;

  constructor(message: string, options?: LuxErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = (new.target as LuxErrorClass).code;
  }

  /**
   * `instanceof` that also holds for an error made by another copy of Lux (two installed
   * versions): it holds when the error's prototype chain has the code this class declares.
   * A subclass that declares no code of its own matches its own instances only.
   */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never) => T, value: unknown): value is T {
    return (
      (Function.prototype[Symbol.hasInstance] as (v: unknown) => boolean).call(this, value) ||
      hasDeclaredCode(this as unknown as { prototype: object }, value)
    );
  }

  static {
    register(this, "LuxError");
  }
}

interface Spec {
  message(input: object, fields: object): string;
  fields?: (input: object) => object;
}

/** The constructor of every declared class: the fields object in, the message and own fields out. */
abstract class DeclaredError extends LuxError {
  constructor(input?: object) {
    const spec = (new.target as unknown as { [SPEC]: Spec })[SPEC];
    const given = input ?? {};
    const fields = (spec.fields?.(given) ?? given) as Record<string, unknown>;
    const cause = spec.fields !== undefined && "cause" in fields ? fields["cause"] : (given as LuxErrorOptions).cause;
    super(spec.message(given, fields), cause === undefined ? undefined : { cause });
    for (const key of Object.keys(fields)) {
      if (key === "cause" || fields[key] === undefined) continue;
      Object.defineProperty(this, key, { value: fields[key], writable: true, enumerable: true, configurable: true });
    }
  }
}

/** An instance's fields: those whose type admits `undefined` are optional (left out when undefined). */
export type ErrorFields<P> = { readonly [K in keyof P as undefined extends P[K] ? never : K]: P[K] } & {
  readonly [K in keyof P as undefined extends P[K] ? K : never]?: Exclude<P[K], undefined>;
};

/** A class made by `defineError`: `new` takes the fields object (optional when every field is). */
export interface DeclaredErrorClass<C extends ErrorCode, F, I extends LuxError> {
  new (...args: {} extends F ? [fields?: F] : [fields: F]): I;
  readonly code: C;
  readonly prototype: I;
}

/** What `defineError` takes besides the code, name and message. */
export interface DeclareOptions<F, P, B extends LuxError> {
  /**
   * An instance's own fields, from what the constructor was given; by default, all of it
   * but `cause`. Undefined ones are left out. A `cause` returned here (e.g. made an Error)
   * becomes `error.cause`; otherwise the given `cause` does.
   */
  readonly fields?: (input: F & LuxErrorOptions) => P;
  /** A declared class this one extends (its instances are also instances of that class). */
  readonly extends?: abstract new (...args: never) => B;
}

/**
 * Declares an error class once: its code, its name (`error.name`: the name of the constant
 * it is assigned to), and its message (what happened, with the fields that matter, and what
 * to do next) from the fields object its constructor takes. The class is registered under
 * its code, so `fromWireError` re-creates it on the other side of a connection.
 *
 * @example
 * ```ts
 * export const GetTimeoutError = defineError("LUX_GET_TIMEOUT", "GetTimeoutError", (f: { timeoutMs: number }) =>
 *   `get timed out after ${f.timeoutMs} ms`);
 * export type GetTimeoutError = InstanceType<typeof GetTimeoutError>;
 * ```
 */
export function defineError<C extends ErrorCode, F extends object, P extends object = Omit<F, "cause">, B extends LuxError = LuxError>(
  code: C,
  name: string,
  message: (input: F & LuxErrorOptions, fields: P) => string,
  options: DeclareOptions<F, P, B> = {},
): DeclaredErrorClass<C, F & LuxErrorOptions, B & ErrorFields<P>> {
  const parent = options.extends ?? DeclaredError;
  if (!(parent === DeclaredError || SPEC in parent)) throw new TypeError(`${name} can extend only a class made by defineError`);
  const Declared = class extends (parent as typeof DeclaredError) {
    static override readonly code: ErrorCode = code;
  };
  Object.defineProperty(Declared, "name", { value: name });
  Object.defineProperty(Declared, SPEC, { value: { message, fields: options.fields } });
  register(Declared, name);
  return Declared as unknown as DeclaredErrorClass<C, F & LuxErrorOptions, B & ErrorFields<P>>;
}

/** "Name: message" of any thrown value, for embedding in another message. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === "string") return value;
  return inspect(value, { depth: 2, breakLength: Infinity, maxStringLength: 200 });
}
