/**
 * The driver's record of a run's checkpoints: which are kept, in what order they rank, and which
 * to delete. `numToKeep` keeps the best k by `checkpointScoreAttribute` (else the latest k); the
 * latest checkpoint is kept as well, whatever its score, because a restart after a failure
 * starts from it.
 */
import type { Checkpoint, ReportedCheckpoint } from "./checkpoint.js";
import type { Metrics } from "./metrics.js";

/** A checkpoint the run registered. */
export interface RegisteredCheckpoint extends ReportedCheckpoint {
  readonly metrics: Metrics;
  /** Its folder's number (checkpoint_000007: 7). */
  readonly index: number;
  /** The report it came with (0 for the run's first report). */
  readonly reportIndex: number;
}

export interface RetentionPolicy {
  readonly numToKeep: number | undefined;
  readonly scoreAttribute: string | undefined;
  readonly scoreOrder: "min" | "max";
}

export class CheckpointManager {
  /** Kept checkpoints, in report order. */
  private kept: RegisteredCheckpoint[] = [];

  constructor(private readonly policy: RetentionPolicy) {}

  /** Registers a reported checkpoint; returns those that are no longer kept (their folders go). */
  register(entry: RegisteredCheckpoint): RegisteredCheckpoint[] {
    this.kept.push(entry);
    const { numToKeep } = this.policy;
    if (numToKeep === undefined || this.kept.length <= numToKeep) return [];
    const ranked = this.ranked();
    const dropped = ranked.slice(numToKeep).filter((c) => c !== entry);
    this.kept = this.kept.filter((c) => !dropped.includes(c));
    return dropped;
  }

  /** The latest kept checkpoint. */
  latest(): RegisteredCheckpoint | undefined {
    return this.kept.at(-1);
  }

  /** Kept checkpoints, best first. */
  ranked(): RegisteredCheckpoint[] {
    const attribute = this.policy.scoreAttribute;
    if (attribute === undefined) return [...this.kept].reverse();
    const sign = this.policy.scoreOrder === "max" ? -1 : 1;
    const score = (c: RegisteredCheckpoint): number | undefined => {
      const v = c.metrics[attribute] as unknown;
      return typeof v === "number" && !Number.isNaN(v) ? v : undefined;
    };
    return [...this.kept].sort((a, b) => {
      const sa = score(a);
      const sb = score(b);
      // A checkpoint without a score ranks last; equal scores: the later one first.
      if (sa === undefined || sb === undefined) return sa === sb ? b.reportIndex - a.reportIndex : sa === undefined ? 1 : -1;
      return sa === sb ? b.reportIndex - a.reportIndex : sign * (sa - sb);
    });
  }

  /** Kept checkpoints in report order, as workers see them. */
  reported(): ReportedCheckpoint[] {
    return this.kept.map(({ checkpoint, metrics }) => ({ checkpoint, metrics }));
  }

  /** Whether `checkpoint`'s folder is one the run keeps. */
  keeps(checkpoint: Checkpoint): boolean {
    return this.kept.some((c) => c.checkpoint.path === checkpoint.path);
  }
}
