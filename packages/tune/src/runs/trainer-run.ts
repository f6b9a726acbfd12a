/**
 * A DataParallelTrainer's run as a trial: a copy of the trainer with the trial's
 * `trainLoopConfig` (merged over the trainer's), its folder as the run's folder (so its
 * checkpoints are the trial's `checkpoint_NNNNNN`) and the trial's latest checkpoint to resume
 * from, fit in this process with a ReportHost: each report the trainer registers becomes a
 * result of the trial, and a decision that ends the trial makes the host refuse the report,
 * which ends the trainer's run (its workers go). The trial's actors are the trainer's workers.
 */
import * as path from "node:path";
import type { DataParallelTrainer } from "@lux/train";
import { runWithReportHost, trainerLoopConfig, trainerVariant, type ReportHost } from "@lux/train/internal";
import { LuxError } from "lux";
import type { Resources } from "../capacity.js";
import type { Decision } from "../schedulers/scheduler.js";
import { isPlainObject } from "../search/space.js";
import type { Trial } from "../trial.js";
import { unwrap, type Outcome, type RunHost, type TrialRun } from "./run.js";

/** `over` merged into `base`, plain objects key by key. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

export class TrainerRun implements TrialRun {
  private aborted = false;
  private decided: Exclude<Decision, "CONTINUE"> | undefined;
  /** What the host refuses a report with: the trainer's fit() rejects with it. */
  private readonly stop = new LuxError("Tune ended this trial (a scheduler's or stopper's decision); this error never reaches users");

  constructor(
    readonly trial: Trial,
    readonly demand: Resources,
    private readonly trainer: DataParallelTrainer<never>,
    private readonly experimentDir: string,
    private readonly host: RunHost,
  ) {}

  async run(): Promise<Outcome> {
    const t = this.trial;
    const config = deepMerge(trainerLoopConfig(this.trainer), t.config["trainLoopConfig"]);
    const resume = t.checkpointObject(t.restoreFrom);
    const variant = trainerVariant(this.trainer, { trainLoopConfig: config, storagePath: this.experimentDir, name: t.trialName, resumeFromCheckpoint: resume });
    const started = performance.now();
    let last = started;
    const host: ReportHost = {
      latestCheckpoint: resume,
      report: async (metrics, checkpoint) => {
        if (this.aborted || this.decided !== undefined) throw this.stop;
        const now = performance.now();
        const dir = checkpoint === undefined ? undefined : path.relative(t.dir, checkpoint.path);
        const decision = this.host.result(t, { metrics, checkpoint: dir, timeTotalMs: t.timeTotalMs + (now - last), timeThisIterMs: now - last });
        last = now;
        if (decision !== "CONTINUE") {
          this.decided = decision;
          throw this.stop;
        }
      },
    };
    try {
      await runWithReportHost(host, () => variant.fit());
      return this.aborted ? { kind: "aborted" } : { kind: "completed" };
    } catch (e) {
      if (this.aborted) return { kind: "aborted" };
      if (e === this.stop && this.decided !== undefined) return { kind: "decided", decision: this.decided };
      return { kind: "failed", error: unwrap(e) };
    }
  }

  /** The trainer's run ends at its next report (its workers are its own to end). */
  abort(): void {
    this.aborted = true;
  }
}
