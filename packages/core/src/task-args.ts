import { ObjectRef, containedRefs } from "./object-ref.js";
import { SerializationError, serialize } from "./serialization/index.js";
import type { Dependency } from "./dependency-resolver.js";

const NO_REFS: readonly ObjectRef[] = Object.freeze([]);
const NO_DEPS: readonly Dependency[] = Object.freeze([]);

/**
 * Serializes a call's arguments; every ref inside them (at any depth), and the ref of every
 * actor handle, is returned to be held.
 */
export function encodeArgs(args: unknown[], name: string): { bytes: Uint8Array; held: readonly ObjectRef[] } {
  // Calls without arguments share one encoding (read only): a queued task holds no bytes of its own.
  if (args.length === 0) return (noArgs ??= { bytes: serialize([], "no arguments", "args").bytes, held: NO_REFS });
  let encoded: ReturnType<typeof serialize>;
  try {
    encoded = serialize(args, `the arguments of ${name}`, "args");
  } catch (e) {
    // Name the argument ("argument 2 of f: args[1].cb is a function"): serializing that
    // argument alone throws the same problem.
    const index = e instanceof SerializationError ? /^\[(\d+)\]/.exec(e.path)?.[1] : undefined;
    if (index !== undefined) serialize(args[Number(index)], `argument ${Number(index) + 1} of ${name}`, `args[${index}]`);
    throw e;
  }
  const { bytes, contained } = encoded;
  return { bytes, held: contained.length === 0 ? NO_REFS : containedRefs(contained) };
}

let noArgs: { bytes: Uint8Array; held: readonly ObjectRef[] } | undefined;

/** The refs passed as arguments themselves (not nested): their values are resolved before the call. */
export function topLevelRefs(args: readonly unknown[]): readonly Dependency[] {
  let deps: Dependency[] | undefined;
  for (let index = 0; index < args.length; index++) {
    const a = args[index];
    if (a instanceof ObjectRef) (deps ??= []).push({ index, ref: a });
  }
  return deps ?? NO_DEPS;
}
