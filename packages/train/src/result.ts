/** What `trainer.fit()` resolves to. */
import type { Checkpoint } from "./checkpoint.js";
import type { Metrics } from "./metrics.js";

export interface Result {
  /** Rank 0's metrics of the last report (`{}` when the loop reported nothing). */
  readonly metrics: Metrics;
  /** The run's latest checkpoint, or undefined when it reported none. */
  readonly checkpoint: Checkpoint | undefined;
  /** The run's folder: `storagePath/name`. */
  readonly path: string;
  /** The checkpoints kept (see `numToKeep`), best first, each with its report's metrics. */
  readonly bestCheckpoints: readonly { readonly checkpoint: Checkpoint; readonly metrics: Metrics }[];
  /** Rank 0's metrics of every report, in order (after a restart, those before its checkpoint and those made since). */
  readonly metricsHistory: readonly Metrics[];
  /** Undefined for a run that finished (a run that failed makes `fit()` reject with TrainingFailedError). */
  readonly error: Error | undefined;
}
