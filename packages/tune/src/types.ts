/** Types shared across @lux/tune: a trial's results, its status, the optimization mode. */

/** Whether the metric is minimized or maximized. */
export type Mode = "min" | "max";

/** A trial's status. PAUSED: stopped for now, to continue later from its latest checkpoint (HyperBand, PBT). */
export type TrialStatus = "PENDING" | "RUNNING" | "PAUSED" | "TERMINATED" | "ERROR";

/**
 * A result as Tune records it: the trainable's metrics, plus `trainingIteration` (reports made
 * so far, counted from 1), `timeTotalMs` (the trial's time so far), `timeThisIterMs`, `trialId`,
 * `config`, `timestamp` (ms since the epoch). Metrics are the user's own shape, read as
 * `result.loss`: typed loosely on purpose.
 */
export interface TrialResult extends Record<string, any> {
  readonly trainingIteration: number;
  readonly timeTotalMs: number;
  readonly timeThisIterMs: number;
  readonly trialId: string;
  readonly config: Record<string, unknown>;
  readonly timestamp: number;
}

/** Tune's own fields of a result (the rest are the trainable's metrics). */
export const RESULT_FIELDS = ["trainingIteration", "timeTotalMs", "timeThisIterMs", "trialId", "config", "timestamp"] as const;

/** A trial as searchers, schedulers and stoppers see it. */
export interface TrialInfo {
  readonly trialId: string;
  readonly trialName: string;
  readonly status: TrialStatus;
  readonly config: Record<string, unknown>;
  /** The latest result (undefined before the first). */
  readonly lastResult: TrialResult | undefined;
  /** Whether it has a persisted checkpoint to continue from. */
  readonly hasCheckpoint: boolean;
}

/** A value of `metric` in `result` ("a/b" reads result.a.b), when it is a finite number. */
export function metricOf(result: Record<string, unknown> | undefined, metric: string): number | undefined {
  if (result === undefined) return undefined;
  let v: unknown = result[metric];
  if (v === undefined && metric.includes("/")) v = metric.split("/").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], result);
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
