/**
 * A function trainable's side of its reports, in the trial's actor: `tune.report` (train's
 * `report`, through its ReportHost) copies the checkpoint into the trial's folder as the next
 * `checkpoint_NNNNNN`, queues the report for the driver (the trial actor's streaming call yields
 * it) and waits for the driver's decision: go on, or stop, in which case the report never
 * returns (the trial is over; nothing of it runs again) and the stream ends.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Checkpoint } from "@lux/train";
import type { ReportHost } from "@lux/train/internal";
import { checkpointDirName } from "@lux/train/internal";
import type { Metrics } from "./metrics.js";

/** One report as it goes to the driver. */
export interface ReportItem {
  readonly index: number;
  readonly metrics: Metrics;
  /** The folder (a name in the trial's folder) of the report's checkpoint. */
  readonly checkpoint: string | undefined;
  readonly timeTotalMs: number;
  readonly timeThisIterMs: number;
}

export interface FunctionHostSpec {
  readonly trialDir: string;
  /** The checkpoint the trial continues from (getCheckpoint() until it reports one). */
  readonly checkpoint: string | undefined;
  readonly nextCheckpointIndex: number;
  /** The trial's time before this run (from its checkpoint). */
  readonly timeOffsetMs: number;
}

export class FunctionHost implements ReportHost {
  latestCheckpoint: Checkpoint | undefined;
  private readonly queue: ReportItem[] = [];
  private wake: (() => void) | undefined;
  private readonly decisions = new Map<number, (proceed: boolean) => void>();
  private chain: Promise<void> = Promise.resolve();
  private nextIndex = 0;
  private nextCheckpoint: number;
  private readonly startedAt = performance.now();
  private lastReportAt = this.startedAt;
  private stopped = false;

  constructor(private readonly spec: FunctionHostSpec) {
    this.nextCheckpoint = spec.nextCheckpointIndex;
    this.latestCheckpoint = spec.checkpoint === undefined ? undefined : Checkpoint.fromDirectory(spec.checkpoint);
  }

  /** Reports in the order made (one waits for the one before). */
  report(metrics: Metrics, checkpoint: Checkpoint | undefined): Promise<void> {
    const done = this.chain.then(() => this.reportNow(metrics, checkpoint));
    this.chain = done.catch(() => undefined);
    return done;
  }

  private async reportNow(metrics: Metrics, checkpoint: Checkpoint | undefined): Promise<void> {
    let dirName: string | undefined;
    let copy: Checkpoint | undefined;
    if (checkpoint !== undefined) {
      dirName = checkpointDirName(this.nextCheckpoint++);
      const dest = path.join(this.spec.trialDir, dirName);
      await fs.promises.mkdir(dest, { recursive: true });
      if (path.resolve(checkpoint.path) !== dest) await fs.promises.cp(checkpoint.path, dest, { recursive: true, force: true });
      copy = Checkpoint.fromDirectory(dest);
    }
    const now = performance.now();
    const item = { index: this.nextIndex++, metrics, checkpoint: dirName, timeTotalMs: this.spec.timeOffsetMs + (now - this.startedAt), timeThisIterMs: now - this.lastReportAt };
    this.lastReportAt = now;
    const proceed = await new Promise<boolean>((resolve) => {
      this.decisions.set(item.index, resolve);
      this.queue.push(item);
      this.wake?.();
    });
    if (!proceed) return new Promise<never>(() => undefined);
    if (copy !== undefined) this.latestCheckpoint = copy;
    this.lastReportAt = performance.now();
  }

  /** The driver's decision on report `index`. */
  decide(index: number, proceed: boolean): void {
    if (!proceed) this.stopped = true;
    this.decisions.get(index)?.(proceed);
    this.decisions.delete(index);
    this.wake?.();
  }

  /** The reports as they are made, until `run` settles (then its error, if it threw) or a decision stops the trial. */
  async *items(run: Promise<unknown>): AsyncGenerator<ReportItem, void> {
    let settled: { error: unknown } | undefined;
    void run.then(
      () => (settled = { error: undefined }),
      (error: unknown) => (settled = { error: error ?? new TypeError("the trainable threw undefined") }),
    ).finally(() => this.wake?.());
    for (;;) {
      const item = this.queue.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.stopped) return;
      if (settled !== undefined) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if ((settled as { error: unknown }).error !== undefined) throw (settled as { error: unknown }).error;
  }
}
