import { RESERVED_EXTENSION_TYPES, addRawExtension, packr, type WriteSpace } from "./packr.js";

/**
 * Errors cross the wire with their class, message, stack, `cause`, own enumerable
 * properties (`code`, `errno`, ...) and, for AggregateError, `errors`.
 *
 * The class is the nearest built-in one: a TypeError comes back as a TypeError, a
 * `class NotFound extends Error` comes back as an `Error` whose `name` is "NotFound".
 * An Error reachable from its own properties or cause (`err.self = err`) comes back
 * as a plain object: msgpackr rebuilds a cycle by filling a placeholder created before
 * the value is read, and that placeholder is a plain object for extension values.
 */

const BUILT_IN_ERRORS = {
  AggregateError,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  Error,
} as const;
type ErrorKind = keyof typeof BUILT_IN_ERRORS;
const KINDS = Object.keys(BUILT_IN_ERRORS) as ErrorKind[];

const HAS_CAUSE = 1;
const HAS_ERRORS = 2;

/**
 * [kind, message, stack, name, props, flags, cause, errors]
 * - message/stack: undefined when not own properties
 * - name: set when `name` is not an own enumerable property and differs from the class's
 * - props: own enumerable properties as [key, value, key, value, ...]
 * - cause/errors: own non-enumerable `cause`/`errors` (enumerable ones are in props)
 */
type ErrorData = [
  kind: ErrorKind,
  message: unknown,
  stack: unknown,
  name: unknown,
  props: unknown[],
  flags: number,
  cause: unknown,
  errors: unknown,
];

function kindOf(error: Error): ErrorKind {
  for (const kind of KINDS) {
    if (error instanceof BUILT_IN_ERRORS[kind]) return kind;
  }
  return "Error";
}

function ownHidden(error: Error, key: string): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(error, key);
  return descriptor !== undefined && !descriptor.enumerable;
}

function encodeError(error: Error): ErrorData {
  const kind = kindOf(error);
  const keys = Object.keys(error);
  const props: unknown[] = new Array(keys.length * 2);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    props[2 * i] = key;
    props[2 * i + 1] = (error as unknown as Record<string, unknown>)[key];
  }
  let flags = 0;
  if (ownHidden(error, "cause")) flags |= HAS_CAUSE;
  if (kind === "AggregateError" && ownHidden(error, "errors")) flags |= HAS_ERRORS;
  const nameIsOwnEnumerable = Object.prototype.propertyIsEnumerable.call(error, "name");
  const name = nameIsOwnEnumerable || error.name === BUILT_IN_ERRORS[kind].prototype.name ? undefined : error.name;
  return [
    kind,
    Object.hasOwn(error, "message") ? error.message : undefined,
    Object.hasOwn(error, "stack") ? error.stack : undefined,
    name,
    props,
    flags,
    flags & HAS_CAUSE ? error.cause : undefined,
    flags & HAS_ERRORS ? (error as AggregateError).errors : undefined,
  ];
}

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}

function decodeError(data: unknown): Error {
  const [kind, message, stack, name, props, flags, cause, errors] = data as ErrorData;
  const Class = Object.hasOwn(BUILT_IN_ERRORS, kind) ? BUILT_IN_ERRORS[kind] : Error;
  const options = flags & HAS_CAUSE ? { cause } : undefined;
  const text = message as string | undefined;
  // The stack is replaced below; skip capturing a fresh one.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let error: Error;
  try {
    error =
      Class === AggregateError
        ? new AggregateError(flags & HAS_ERRORS ? (errors as unknown[]) : [], text, options)
        : new (Class as ErrorConstructor)(text, options);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (message !== undefined && typeof message !== "string") define(error, "message", message, false);
  if (stack === undefined) delete (error as { stack?: string }).stack;
  else define(error, "stack", stack, false);
  if (name !== undefined) define(error, "name", name, false);
  for (let i = 0; i + 1 < props.length; i += 2) define(error, String(props[i]), props[i + 1], true);
  return error;
}

/** msgpackr's own Error encoding, used when another Packr in the process packs an Error. */
function packLikeMsgpackr(
  packer: { moreTypes?: boolean; useToJSON?: boolean },
  error: Error,
  allocateForWrite: (size: number) => WriteSpace,
  pack: (value: unknown) => void,
): void {
  const toJSON = (error as { toJSON?: () => unknown }).toJSON;
  if (error.constructor !== Error && packer.useToJSON !== false && typeof toJSON === "function") {
    const json = toJSON.call(error);
    if (json !== error) {
      allocateForWrite(0);
      pack(json);
      return;
    }
  }
  const { target, position } = allocateForWrite(packer.moreTypes ? 3 : 0);
  if (packer.moreTypes) {
    target[position] = 0xd4;
    target[position + 1] = 0x65; // msgpackr's 'e' extension
    target[position + 2] = 0;
  }
  const data: unknown[] = [error.name, error.message, error.cause];
  if (error instanceof AggregateError) data.push(error.errors);
  pack(data);
}

addRawExtension({
  Class: Error,
  type: RESERVED_EXTENSION_TYPES.error,
  pack(this: unknown, error: Error, allocateForWrite, pack): void {
    if (this !== packr) {
      packLikeMsgpackr(this as { moreTypes?: boolean }, error, allocateForWrite, pack);
      return;
    }
    const { target, position } = allocateForWrite(3);
    target[position] = 0xd4; // fixext 1: [type, 0], then the data as the next value
    target[position + 1] = RESERVED_EXTENSION_TYPES.error;
    target[position + 2] = 0;
    pack(encodeError(error));
  },
  read: decodeError,
});
