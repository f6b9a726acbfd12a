/** Prints the progress table (verbose >= 1) to stdout, and with verbose 2 a line per trial status change. */
import type { Experiment } from "./experiment.js";
import { usageLine, type Resources } from "./capacity.js";
import { formatProgress } from "./progress.js";
import { domainsOf, pathKey } from "./search/space.js";
import type { Trial } from "./trial.js";

export interface ProgressSource {
  readonly trials: readonly Trial[];
  readonly startTime: number;
  readonly used: Resources;
  readonly totals: Resources;
}

export class ProgressPrinter {
  private readonly params: string[];
  private readonly startedAt = performance.now();

  constructor(
    private readonly x: Experiment,
    private readonly source: ProgressSource,
  ) {
    this.params = domainsOf(x.paramSpace).map((d) => pathKey(d.path));
  }

  print(final: boolean): void {
    if (this.x.run.verbose < 1) return;
    const text = formatProgress({
      now: new Date(),
      elapsedMs: performance.now() - this.startedAt,
      usage: usageLine(final ? {} : this.source.used, this.source.totals),
      metric: this.x.metric,
      mode: this.x.mode,
      trials: this.source.trials,
      params: this.params,
    });
    process.stdout.write(text + "\n\n");
  }

  statusChanged(trial: Trial): void {
    if (this.x.run.verbose >= 2) process.stdout.write(`Trial ${trial.trialName} ${trial.status}${trial.lastResult !== undefined ? ` at iteration ${trial.iteration}` : ""}\n`);
  }
}
