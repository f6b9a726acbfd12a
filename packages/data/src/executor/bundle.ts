/** A block as an execution moves it between operators: its ref, its metadata, who may free it. */
import type { ObjectRef } from "lux";
import type { EncodedBlock, BlockMeta } from "../block.js";

export interface Bundle {
  readonly ref: ObjectRef<EncodedBlock>;
  readonly meta: BlockMeta;
  /** Whether the execution may free the block once used (false for a materialized dataset's blocks). */
  readonly owned: boolean;
  /** Makes the block again (by running the task that made it again) after its only copy was lost. */
  readonly recompute?: () => Promise<Bundle>;
}

/** What operators ask of the execution that runs them. */
export interface ExecutionHooks {
  /** Something changed: outputs came, a task ended. */
  notify(): void;
  /** The execution fails with `error` (the first one counts). */
  fail(error: unknown): void;
  /**
   * Resolves when a source may take one more block of about `bytes` from its running tasks
   * (the object-store budget): that room is reserved until `unreserve` (once the block is held).
   */
  roomForSourceOutput(bytes: number): Promise<void>;
  unreserve(bytes: number): void;
  /** Frees the blocks (those the execution owns) and stops counting them. */
  release(bundles: readonly Bundle[]): void;
  /** Counts new blocks against the budget. */
  hold(bundles: readonly Bundle[]): void;
  readonly settings: {
    readonly preserveOrder: boolean;
    readonly targetMaxBlockSize: number;
  };
  readonly failed: boolean;
}
