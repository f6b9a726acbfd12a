/**
 * The driver's record of a run across restarts of its worker group: its folder, the reports
 * registered (rank 0's metrics), the checkpoints kept, the numbers of the next report and
 * checkpoint folder. A restart goes back to the latest checkpoint: reports after it are
 * forgotten (the loop makes them again) and folders a failed report left half written go.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Checkpoint, checkpointAt } from "./checkpoint.js";
import { CheckpointManager, type RetentionPolicy } from "./checkpoint-manager.js";
import type { Metrics } from "./metrics.js";
import type { ReportHost } from "./report-host.js";
import type { Result } from "./result.js";
import { checkpointDirName, nextCheckpointIndex, removeCheckpointsFrom } from "./run-folder.js";
import type { ReportAck, ReportItem } from "./session.js";

export class RunRecord {
  private readonly checkpoints: CheckpointManager;
  private history: { readonly reportIndex: number; readonly metrics: Metrics }[] = [];
  /** The index of the next report (of the next attempt, after a restart). */
  nextReportIndex = 0;
  private nextCheckpoint: number;
  /** What the host refused a report with: the run ends with it (see report-host.ts). */
  hostError: unknown;

  private constructor(
    /** `storagePath/name`. */
    readonly path: string,
    policy: RetentionPolicy,
    /** `resumeFromCheckpoint`: the latest checkpoint until the run reports one. */
    private readonly resumedFrom: Checkpoint | undefined,
    /** Where each registered report goes too, when fit() runs inside a ReportHost. */
    private readonly host: ReportHost | undefined,
  ) {
    this.checkpoints = new CheckpointManager(policy);
    this.nextCheckpoint = nextCheckpointIndex(path);
  }

  /** Makes the run's folder. */
  static async open(runPath: string, policy: RetentionPolicy, resumedFrom: Checkpoint | undefined, host?: ReportHost): Promise<RunRecord> {
    await fs.promises.mkdir(runPath, { recursive: true });
    return new RunRecord(runPath, policy, resumedFrom, host);
  }

  /** What a worker starts from, and what every rank gets after a report. */
  ack(): ReportAck {
    return {
      checkpoint: this.checkpoints.latest()?.checkpoint ?? this.resumedFrom,
      reported: this.checkpoints.reported(),
      nextCheckpointIndex: this.nextCheckpoint,
    };
  }

  /** Registers report `index` once every rank made it (items by rank): rank 0's metrics, and the checkpoint if a rank gave one. */
  async register(index: number, items: readonly ReportItem[]): Promise<ReportAck> {
    const metrics = items[0]?.metrics ?? {};
    this.history.push({ reportIndex: index, metrics });
    this.nextReportIndex = index + 1;
    let checkpoint: Checkpoint | undefined;
    if (items.some((i) => i.checkpointed)) {
      const folder = this.nextCheckpoint++;
      checkpoint = checkpointAt(path.join(this.path, checkpointDirName(folder)));
      const dropped = this.checkpoints.register({ checkpoint, metrics, index: folder, reportIndex: index });
      await Promise.all(dropped.map((c) => fs.promises.rm(c.checkpoint.path, { recursive: true, force: true })));
    }
    await this.forward(metrics, checkpoint);
    return this.ack();
  }

  /** Gives the report to the host (waiting for it); its refusal is kept and ends the run. */
  private async forward(metrics: Metrics, checkpoint: Checkpoint | undefined): Promise<void> {
    try {
      await this.host?.report(metrics, checkpoint);
    } catch (e) {
      this.hostError ??= e ?? new TypeError("the report host refused a report with undefined");
      throw e;
    }
  }

  /** Before the group starts again: back to the latest checkpoint (or to the start). */
  async restart(): Promise<void> {
    const latest = this.checkpoints.latest();
    const upTo = latest?.reportIndex ?? -1;
    this.history = this.history.filter((h) => h.reportIndex <= upTo);
    this.nextReportIndex = upTo + 1;
    await removeCheckpointsFrom(this.path, this.nextCheckpoint);
  }

  result(): Result {
    return {
      metrics: this.history.at(-1)?.metrics ?? {},
      checkpoint: this.checkpoints.latest()?.checkpoint,
      path: this.path,
      bestCheckpoints: this.checkpoints.ranked().map(({ checkpoint, metrics }) => ({ checkpoint, metrics })),
      metricsHistory: this.history.map((h) => h.metrics),
      error: undefined,
    };
  }
}
