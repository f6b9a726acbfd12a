/**
 * Reads a running task's generator: per block, its ref then its metadata. A source waits for
 * room in the object-store budget before taking each block (the worker pauses meanwhile, held
 * by the generator's backpressure). Errors become the execution's, naming operator and block.
 */
import * as lux from "lux";
import { TaskError } from "lux";
import type { EncodedBlock, BlockMeta } from "../block.js";
import type { BlockItem } from "../tasks.js";
import type { Bundle, ExecutionHooks } from "./bundle.js";

/** Data errors a task throws reach the consumer as they are; others are a TaskError naming operator and block. */
const DATA_ERRORS = [lux.InvalidBatchError, lux.InvalidRowError, lux.SchemaMismatchError, lux.UnknownColumnError, lux.DataPathNotFoundError];

export function taskFailure(error: unknown, operator: string, block: string): unknown {
  if (error instanceof TaskError) {
    if (DATA_ERRORS.some((cls) => error.cause instanceof cls)) return error.cause;
    return new TaskError({ taskId: error.taskId, functionName: `${operator} on block ${block}`, cause: error.cause });
  }
  return error;
}

export async function readGenerator(
  gen: lux.ObjectRefGenerator<BlockItem>,
  exec: ExecutionHooks,
  /** For a source: the size its next block is expected to have (undefined: not a source). */
  sourceBlockBytes: (() => number) | undefined,
  onBlock: (bundle: Bundle, index: number) => void,
  isStopped: () => boolean,
): Promise<void> {
  let index = 0;
  for (;;) {
    const reserved = sourceBlockBytes?.() ?? 0;
    if (sourceBlockBytes !== undefined) await exec.roomForSourceOutput(reserved);
    try {
      if (isStopped() || exec.failed) return;
      const block = await gen.next();
      if (block.done === true) break;
      const meta = await gen.next();
      if (meta.done === true) {
        // The generator ended on an error item: its get rejects with the task's error.
        await lux.get(block.value);
        break;
      }
      const m = (await lux.get(meta.value)) as BlockMeta;
      onBlock({ ref: block.value as lux.ObjectRef<EncodedBlock>, meta: m, owned: true }, index++);
    } finally {
      if (sourceBlockBytes !== undefined) exec.unreserve(reserved);
    }
  }
  await lux.get(gen.completed());
}

/** Stops a running generator task (no more items, the task cancelled) and waits until it ended. */
export async function stopGenerator(gen: lux.ObjectRefGenerator<BlockItem>): Promise<void> {
  await gen.return();
  await lux.cancel(gen).catch(() => undefined);
  await lux.get(gen.completed(), { timeoutMs: 30_000 }).catch(() => undefined);
}
