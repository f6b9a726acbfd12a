/**
 * Where `train.report` and `train.getCheckpoint` go outside a training worker: another library
 * that runs users' code in a session of its own (a Tune trial's trainable) installs a
 * ReportHost around that code (`runWithReportHost`, an AsyncLocalStorage, so it holds across
 * awaits). A DataParallelTrainer whose `fit()` runs inside a host forwards each report it
 * registers (rank 0's metrics, and the report's checkpoint folder) to the host before its
 * workers' `report` calls return, and its run ends with the host's error, without a restart,
 * when the host refuses a report (Tune stopping the trial).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Checkpoint } from "./checkpoint.js";
import type { Metrics } from "./metrics.js";

export interface ReportHost {
  /**
   * A report, its metrics checked: resolves when the caller's `report` may return (Tune: once
   * its scheduler decided the trial goes on). A rejection is thrown by that `report`.
   */
  report(metrics: Metrics, checkpoint: Checkpoint | undefined): Promise<void>;
  /** What `train.getCheckpoint()` returns in the host's code. */
  readonly latestCheckpoint: Checkpoint | undefined;
}

const HOSTS = Symbol.for("lux.train.reportHost");
/** One store per process, even with two copies of this package loaded. */
const hosts = ((globalThis as Record<symbol, unknown>)[HOSTS] ??= new AsyncLocalStorage<ReportHost>()) as AsyncLocalStorage<ReportHost>;

/** Runs `fn` with `host` receiving its `train.report` calls (and those of trainers it runs). */
export function runWithReportHost<T>(host: ReportHost, fn: () => T): T {
  return hosts.run(host, fn);
}

/** The host of the code running now, if a library installed one. */
export function currentReportHost(): ReportHost | undefined {
  return hosts.getStore();
}
