/**
 * A task an operator started on its input blocks, and how its blocks are read: a streaming
 * generator (a read: any number of blocks, each its block then its metadata), or a plain
 * task's two returns (a map step: one block and its metadata, with no item round trips).
 */
import * as lux from "lux";
import type { EncodedBlock, BlockMeta } from "../block.js";
import type { BlockItem } from "../tasks.js";
import type { Bundle, ExecutionHooks } from "./bundle.js";
import { readGenerator, stopGenerator } from "./generator-reader.js";
import { blockOfRun } from "./lineage.js";

export type TaskRun = lux.ObjectRefGenerator<BlockItem> | readonly [lux.ObjectRef<EncodedBlock>, lux.ObjectRef<BlockMeta>];

/** Hands each block of the run to `onBlock` as it comes; resolves once the task ended (rejects as it failed). */
export async function readRun(
  run: TaskRun,
  exec: ExecutionHooks,
  sourceBlockBytes: (() => number) | undefined,
  onBlock: (bundle: Bundle, index: number) => void,
  isStopped: () => boolean,
): Promise<void> {
  if (!Array.isArray(run)) return readGenerator(run as lux.ObjectRefGenerator<BlockItem>, exec, sourceBlockBytes, onBlock, isStopped);
  const [ref, meta] = run as readonly [lux.ObjectRef<EncodedBlock>, lux.ObjectRef<BlockMeta>];
  // A stopped operator frees the block when it is handed over.
  onBlock({ ref, meta: await lux.get(meta), owned: true }, 0);
}

/** The `index`-th block of a fresh run of the task (its other blocks freed). */
export async function blockOfTaskRun(run: TaskRun, index: number, recompute: () => Promise<Bundle>): Promise<Bundle> {
  if (!Array.isArray(run)) return blockOfRun(run as lux.ObjectRefGenerator<BlockItem>, index, recompute);
  const [ref, meta] = run as readonly [lux.ObjectRef<EncodedBlock>, lux.ObjectRef<BlockMeta>];
  return { ref, meta: await lux.get(meta), owned: true, recompute };
}

/** Stops the task (cancelled) and waits until it ended. */
export async function stopRun(run: TaskRun): Promise<void> {
  if (!Array.isArray(run)) return stopGenerator(run as lux.ObjectRefGenerator<BlockItem>);
  const [ref, meta] = run as readonly [lux.ObjectRef<EncodedBlock>, lux.ObjectRef<BlockMeta>];
  await lux.cancel(ref).catch(() => undefined);
  await lux.get(meta, { timeoutMs: 30_000 }).catch(() => undefined);
}
