/**
 * A training worker's session: what `train.report`, `train.getContext`, `train.getCheckpoint`,
 * `train.getDatasetShard` and `train.collective` read, held in an AsyncLocalStorage around the
 * user's loop (so it holds across awaits, and only inside the loop). A report goes to the
 * driver as an item of the worker's streaming `run` call; the driver answers every rank once all
 * ranks made that report (the barrier), with the checkpoints the run keeps.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import * as fs from "node:fs";
import * as path from "node:path";
import type { DataIterator } from "@lux/data";
import { InvalidMetricError, TrainSessionError } from "lux";
import { Checkpoint, type ReportedCheckpoint } from "./checkpoint.js";
import { checkMetrics, type Metrics } from "./metrics.js";
import { checkpointDirName } from "./run-folder.js";

/** Where this worker sits in the group. */
export interface TrainContext {
  /** Workers in the group. */
  readonly worldSize: number;
  /** This worker's rank, 0 … worldSize-1 (workers of one node have consecutive ranks). */
  readonly worldRank: number;
  /** Its rank among the group's workers on its node. */
  readonly localRank: number;
  /** The group's workers on its node. */
  readonly localWorldSize: number;
  /** Its node's number among the group's nodes (0: the node of rank 0). */
  readonly nodeRank: number;
  /** The run's name (`runConfig.name`). */
  readonly experimentName: string;
}

/** One report of one rank, as it goes to the driver. */
export interface ReportItem {
  readonly index: number;
  readonly metrics: Metrics;
  /** Whether this rank gave a checkpoint (its files are in the report's checkpoint folder). */
  readonly checkpointed: boolean;
}

/** The driver's answer to a report, once every rank made it. */
export interface ReportAck {
  /** The latest checkpoint the run has (this report's, if it had one). */
  readonly checkpoint: Checkpoint | undefined;
  /** The checkpoints the run keeps, in report order. */
  readonly reported: readonly ReportedCheckpoint[];
  /** The folder number the next checkpoint goes to. */
  readonly nextCheckpointIndex: number;
}

/** What a worker's session starts from. */
export interface SessionState {
  readonly context: TrainContext;
  readonly groupName: string;
  readonly collectiveTimeoutMs: number;
  readonly shards: Readonly<Record<string, DataIterator<never>>>;
  readonly runPath: string;
  readonly scoreAttribute: string | undefined;
  readonly nextReportIndex: number;
  readonly ack: ReportAck;
}

const STORAGE = Symbol.for("lux.train.session");
/** One store per process, even with two copies of this package loaded. */
const storage = ((globalThis as Record<symbol, unknown>)[STORAGE] ??= new AsyncLocalStorage<TrainSession>()) as AsyncLocalStorage<TrainSession>;

/** Runs `fn` with `session` as the current session. */
export function runInSession<T>(session: TrainSession, fn: () => T): T {
  return storage.run(session, fn);
}

/** The current session, or TrainSessionError saying where `operation` works. */
export function currentSession(operation: string): TrainSession {
  const s = storage.getStore();
  if (s === undefined) {
    throw new TrainSessionError({
      operation,
      reason: "called outside a training worker: it works only inside the training loop that a DataParallelTrainer (or TfjsTrainer) runs in its workers, and in what that loop calls (report and getCheckpoint also in a Tune trial's trainable)",
    });
  }
  return s;
}

export class TrainSession {
  private readonly queue: ReportItem[] = [];
  private wake: (() => void) | undefined;
  private readonly acks = new Map<number, (ack: ReportAck) => void>();
  private chain: Promise<void> = Promise.resolve();
  private nextReportIndex: number;
  private ack: ReportAck;

  constructor(readonly state: SessionState) {
    this.nextReportIndex = state.nextReportIndex;
    this.ack = state.ack;
  }

  get latestCheckpoint(): Checkpoint | undefined {
    return this.ack.checkpoint;
  }

  get reported(): readonly ReportedCheckpoint[] {
    return this.ack.reported;
  }

  /** Reports in the order called (a report waits for the one before it). */
  report(metrics: unknown, checkpoint: unknown): Promise<void> {
    const done = this.chain.then(() => this.reportNow(metrics, checkpoint));
    this.chain = done.catch(() => undefined);
    return done;
  }

  private async reportNow(metrics: unknown, checkpoint: unknown): Promise<void> {
    const checked = checkMetrics(metrics);
    if (checkpoint !== undefined && !(checkpoint instanceof Checkpoint)) {
      throw new TrainSessionError({ operation: "train.report()", reason: "its checkpoint option takes a Checkpoint (train.Checkpoint.fromDirectory(dir))" });
    }
    const attribute = this.state.scoreAttribute;
    if (checkpoint !== undefined && attribute !== undefined && typeof checked[attribute] !== "number") {
      throw new InvalidMetricError({ metric: attribute, problem: "is missing from a report with a checkpoint: checkpointScoreAttribute names it, so every such report must have it as a number" });
    }
    if (checkpoint !== undefined) {
      const dir = path.join(this.state.runPath, checkpointDirName(this.ack.nextCheckpointIndex));
      await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.cp(checkpoint.path, dir, { recursive: true, force: true });
    }
    const index = this.nextReportIndex++;
    const acked = new Promise<ReportAck>((resolve) => this.acks.set(index, resolve));
    this.queue.push({ index, metrics: checked, checkpointed: checkpoint !== undefined });
    this.wake?.();
    this.ack = await acked;
  }

  /** The driver's answer to report `index`. */
  acknowledge(index: number, ack: ReportAck): void {
    this.acks.get(index)?.(ack);
    this.acks.delete(index);
  }

  /** The reports as they are made, until `loop` settles; then its error, if it threw. */
  async *items(loop: Promise<unknown>): AsyncGenerator<ReportItem, void> {
    let settled: { error: unknown } | undefined;
    void loop.then(
      () => (settled = { error: undefined }),
      (error: unknown) => (settled = { error: error ?? new TypeError("the training loop threw undefined") }),
    ).finally(() => this.wake?.());
    for (;;) {
      const item = this.queue.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (settled !== undefined) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if ((settled as { error: unknown }).error !== undefined) throw (settled as { error: unknown }).error;
  }
}
