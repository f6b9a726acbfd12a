import { ObjectRef } from "./object-ref.js";
import { serialize } from "./serialization/index.js";
import { encodeArgs } from "./task-args.js";

/** A call's arguments and their encoding, as encodeArgs returns it. */
export interface EncodedCall {
  args: unknown[];
  encoded: ReturnType<typeof encodeArgs>;
}

/**
 * Arguments too large to travel inline in a task spec (more than `limit` bytes in all) go
 * through the object store instead: the largest top-level arguments are `put` (one copy into
 * the node's store) until the rest fits, and passed as refs, which the executor resolves to
 * their values before the call, as for any top-level ref argument. The refs are held by the
 * call until it ends. Only calls over the limit get here: the others pay one comparison.
 */
export function largeArgsThroughStore(args: unknown[], name: string, limit: number, put: (value: unknown) => ObjectRef): EncodedCall {
  const sizes = args.map((a, index) => ({ index, size: sizeOf(a) }));
  sizes.sort((a, b) => b.size - a.size);
  let total = sizes.reduce((sum, s) => sum + s.size, 0);
  const out = [...args];
  for (const { index, size } of sizes) {
    if (total <= limit || size === 0) break;
    out[index] = put(args[index]);
    total -= size;
  }
  return { args: out, encoded: encodeArgs(out, name) };
}

/** About the bytes `a` takes in a spec (binary values by their length, without serializing them again). */
function sizeOf(a: unknown): number {
  if (a instanceof ObjectRef) return 0;
  if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) return a.byteLength;
  return serialize(a).bytes.length;
}
