/**
 * `DataContext.getCurrent()`: settings of the executions this process starts. An execution
 * reads them when it starts (a split's coordinator gets a copy).
 */

/** The settings an execution reads, as a plain object (what travels to a split's coordinator). */
export interface DataSettings {
  /** Output order = input order for every operator (else blocks come as they are ready). */
  preserveOrder: boolean;
  /** One live progress line per operator on a TTY (never when stderr is not a TTY). */
  enableProgressBars: boolean;
  /** Share of the cluster's object store an execution may fill with blocks before it stops reading. */
  objectStoreMemoryLimitFraction: number;
  /** Bytes; an explicit budget for an execution's blocks (overrides the fraction). */
  objectStoreMemoryLimit: number | undefined;
  /** A read task cuts its output into blocks of about this many bytes. */
  targetMaxBlockSize: number;
  /** Blocks an operator may hold waiting for the next one, per task it can run at once. */
  maxQueuedBlocksPerTask: number;
  /** How long a streamingSplit reader waits for the other splits to start an epoch before it fails. */
  splitBarrierTimeoutMs: number;
}

export class DataContext implements DataSettings {
  preserveOrder = false;
  enableProgressBars = true;
  objectStoreMemoryLimitFraction = 0.5;
  objectStoreMemoryLimit: number | undefined = undefined;
  targetMaxBlockSize = 128 * 1024 * 1024;
  maxQueuedBlocksPerTask = 2;
  splitBarrierTimeoutMs = 600_000;

  private static current: DataContext | undefined;

  /** This process's context (made on first use). */
  static getCurrent(): DataContext {
    return (DataContext.current ??= new DataContext());
  }

  /** The settings now, as a plain object. */
  snapshot(): DataSettings {
    return {
      preserveOrder: this.preserveOrder,
      enableProgressBars: this.enableProgressBars,
      objectStoreMemoryLimitFraction: this.objectStoreMemoryLimitFraction,
      objectStoreMemoryLimit: this.objectStoreMemoryLimit,
      targetMaxBlockSize: this.targetMaxBlockSize,
      maxQueuedBlocksPerTask: this.maxQueuedBlocksPerTask,
      splitBarrierTimeoutMs: this.splitBarrierTimeoutMs,
    };
  }
}
