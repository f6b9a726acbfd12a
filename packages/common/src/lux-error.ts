/**
 * The base class of every Lux error and the registry (code → class) that lets
 * `fromWireError` re-create an error as its own class.
 */
import { inspect } from "node:util";

/** A LuxError class as the registry sees it: its constructor and static `code`. */
export type LuxErrorClass = (abstract new (...args: never) => LuxError) & { readonly code: string };

// Must be initialized before the classes below run their static blocks.
const classesByCode = new Map<string, LuxErrorClass>();

/**
 * Registers an error class under its static `code` and sets `name` on its prototype,
 * so `fromWireError` re-creates it. Packages call this from a `static {}` block.
 * Throws if another class already holds the code.
 */
export function registerErrorClass(ctor: LuxErrorClass, name: string): void {
  const existing = classesByCode.get(ctor.code);
  if (existing !== undefined && existing !== ctor) {
    throw new Error(`error code ${ctor.code} is registered twice (${existing.name} and ${name}); give ${name} its own code`);
  }
  Object.defineProperty(ctor.prototype, "name", { value: name, writable: true, configurable: true, enumerable: false });
  classesByCode.set(ctor.code, ctor);
}

/** The class registered for `code`, if any. */
export function errorClassForCode(code: string): LuxErrorClass | undefined {
  return classesByCode.get(code);
}

/** Codes of every registered class (this package's and any other package's). */
export function registeredErrorCodes(): string[] {
  return [...classesByCode.keys()];
}

/** Options every Lux error accepts. */
export interface LuxErrorOptions {
  /** The underlying error; kept as `error.cause` and sent across the wire. */
  readonly cause?: unknown;
}

/** Base class of every Lux error. Used directly it means an internal error (a bug). */
export class LuxError extends Error {
  /** The code instances of this class carry. Subclasses override it. */
  static readonly code: string = "LUX_INTERNAL";
  /** Stable machine-readable code, e.g. "LUX_GET_TIMEOUT"; see docs/errors.md. */
  readonly code: string;

  constructor(message: string, options?: LuxErrorOptions & { readonly code?: string }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = options?.code ?? new.target.code;
  }

  static {
    registerErrorClass(this, "LuxError");
  }
}

/** "Name: message" of any thrown value, for embedding in another message. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === "string") return value;
  return inspect(value, { depth: 2, breakLength: Infinity, maxStringLength: 200 });
}

