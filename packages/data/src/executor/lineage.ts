/**
 * Lineage for blocks: how to make a block again when its only copy was lost with its node.
 * Core re-creates task results from lineage, but not the items of streaming generators, which
 * are what read and map tasks yield; so each block keeps the recipe of the task that made it
 * (the task again, on its inputs made again first, and the block's index among its outputs).
 */
import * as lux from "lux";
import type { EncodedBlock, BlockMeta } from "../block.js";
import type { BlockItem } from "../tasks.js";
import type { Bundle } from "./bundle.js";

/** Attempts to make one block again before the loss is the execution's error. */
const MAX_RECOMPUTES = 3;

export function isLost(e: unknown): boolean {
  return e instanceof lux.ObjectLostError || (e instanceof lux.TaskError && e.cause instanceof lux.ObjectLostError);
}

/**
 * The task's node died under it: its worker lost its raylet while it ran (storing a result
 * there, say) and reported that as the task's error before the worker itself ended. Running
 * it again elsewhere is the remedy, as for a worker that died.
 */
export function isNodeLost(e: unknown): boolean {
  return e instanceof lux.TaskError && e.cause instanceof lux.ClusterLostError;
}

/** The `index`-th block a fresh run of a task yields (the others are freed). */
export async function blockOfRun(gen: lux.ObjectRefGenerator<BlockItem>, index: number, recompute: () => Promise<Bundle>): Promise<Bundle> {
  let k = 0;
  let found: Bundle | undefined;
  for (;;) {
    const block = await gen.next();
    if (block.done === true) break;
    const meta = await gen.next();
    if (meta.done === true) {
      await lux.get(block.value);
      break;
    }
    if (k++ === index) found = { ref: block.value as lux.ObjectRef<EncodedBlock>, meta: (await lux.get(meta.value)) as BlockMeta, owned: true, recompute };
    else await lux.free([block.value, meta.value]);
  }
  await lux.get(gen.completed());
  if (found === undefined) throw new lux.LuxError(`a task run again to make block ${index} of its output gave ${k} blocks: does it give the same blocks each run?`);
  return found;
}

/** The inputs of a task, made again where they were lost (each by its own recipe). */
export async function remakeInputs(inputs: readonly Bundle[]): Promise<Bundle[]> {
  return Promise.all(inputs.map((b) => (b.recompute === undefined ? b : b.recompute())));
}

/** `get` of a block that makes the block again (up to a few times) when it was lost. */
export async function getBlock(bundle: Bundle): Promise<{ block: EncodedBlock; bundle: Bundle }> {
  let current = bundle;
  for (let attempt = 0; ; attempt++) {
    try {
      return { block: await lux.get(current.ref), bundle: current };
    } catch (e) {
      if (!isLost(e) || current.recompute === undefined || attempt >= MAX_RECOMPUTES) throw e;
      current = await current.recompute();
    }
  }
}

export { MAX_RECOMPUTES };
