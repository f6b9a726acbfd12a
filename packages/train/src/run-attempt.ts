/**
 * One run of a worker group, in the driver: starts every rank's loop (a streaming `run` call),
 * reads their reports, and once every rank made report i registers it (`RunRecord.register`)
 * and answers every rank (the barrier). Ends when every loop returned (with as many reports
 * each), or with the errors of the ranks that failed: a loop that threw (its own error), a
 * worker process that died (ActorDiedError), a rank that returned while others still report.
 */
import * as lux from "lux";
import { CollectiveError, TaskError, TrainSessionError } from "lux";
import type { DataIterator } from "@lux/data";
import type { RunRecord } from "./run-record.js";
import type { ReportItem } from "./session.js";
import type { WorkerSetup } from "./train-worker.js";
import type { WorkerGroup } from "./worker-group.js";

/** How long, after a failure seen only as CollectiveErrors (a consequence), to wait for the rank that caused it. */
const ROOT_CAUSE_WAIT_MS = 5_000;

export interface AttemptSpec {
  readonly loop: lux.Shipped<(config: unknown) => unknown>;
  readonly config: unknown;
  readonly setup: WorkerSetup | undefined;
  readonly collectiveTimeoutMs: number;
  /** Per dataset, one shard per rank. */
  readonly shards: Readonly<Record<string, readonly DataIterator<never>[]>>;
  readonly scoreAttribute: string | undefined;
}

/** The remote error behind a rank's failure: a loop's own error rather than the TaskError around it. */
function unwrap(e: unknown): Error {
  if (e instanceof TaskError && e.cause instanceof Error) return e.cause;
  return e instanceof Error ? e : new TypeError(String(e));
}

export class RunAttempt {
  private readonly pending = new Map<number, (ReportItem | undefined)[]>();
  /** Reports each rank made so far; -1 … once its loop returned, the count it returned with. */
  private readonly made: number[];
  private readonly finished: (number | undefined)[];
  private readonly failures = new Map<number, Error>();
  private failed: () => void = () => undefined;
  /** The index of this attempt's first report (after a restart, the one after the checkpoint's). */
  private readonly first: number;

  constructor(
    private readonly group: WorkerGroup,
    private readonly record: RunRecord,
  ) {
    this.first = record.nextReportIndex;
    this.made = group.workers.map(() => 0);
    this.finished = group.workers.map(() => undefined);
  }

  /** Runs the loops; resolves to undefined when all returned, else to the failed ranks' errors. */
  async run(spec: AttemptSpec): Promise<Map<number, Error> | undefined> {
    const firstFailure = new Promise<void>((resolve) => (this.failed = resolve));
    const ranks = this.group.workers.map((w, r) =>
      this.consume(r, spec).then(
        () => this.returned(r),
        (e: unknown) => this.fail(r, unwrap(e)),
      ),
    );
    const all = Promise.all(ranks);
    await Promise.race([all, firstFailure]);
    if (this.failures.size === 0) return undefined;
    if ([...this.failures.values()].every((e) => e instanceof CollectiveError)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, ROOT_CAUSE_WAIT_MS)))]);
      clearTimeout(timer);
    }
    return new Map([...this.failures].sort(([a], [b]) => a - b));
  }

  private async consume(rank: number, spec: AttemptSpec): Promise<void> {
    const worker = this.group.workers[rank];
    if (worker === undefined) return;
    const shards = Object.fromEntries(Object.entries(spec.shards).map(([name, s]) => [name, s[rank] as DataIterator<never>]));
    const state = {
      context: worker.context,
      groupName: this.group.groupName,
      collectiveTimeoutMs: spec.collectiveTimeoutMs,
      shards,
      runPath: this.record.path,
      scoreAttribute: spec.scoreAttribute,
      nextReportIndex: this.first,
      ack: this.record.ack(),
    };
    const gen = worker.actor.run.remote({ ...state, loop: spec.loop, config: spec.config, setup: spec.setup });
    for await (const ref of gen) {
      // Read before looking at other ranks' failures: this one's may be this ref (its error item).
      const item = await lux.get(ref);
      if (this.failures.size > 0) return;
      await this.received(rank, item);
    }
  }

  private fail(rank: number, error: Error): void {
    if (!this.failures.has(rank)) this.failures.set(rank, error);
    this.failed();
  }

  private async received(rank: number, item: ReportItem): Promise<void> {
    this.made[rank] = item.index - this.first + 1;
    this.checkCounts();
    let items = this.pending.get(item.index);
    if (items === undefined) this.pending.set(item.index, (items = this.group.workers.map(() => undefined)));
    items[rank] = item;
    if (items.every((i) => i !== undefined) && this.failures.size === 0) {
      this.pending.delete(item.index);
      const ack = await this.record.register(item.index, items as ReportItem[]);
      for (const w of this.group.workers) {
        lux.get(w.actor.acknowledge.remote(item.index, ack)).catch(() => undefined);
      }
    }
  }

  private returned(rank: number): void {
    this.finished[rank] = this.made[rank];
    this.checkCounts();
  }

  /** A rank whose loop returned after n reports while another made more: the ranks reported unequally often. */
  private checkCounts(): void {
    this.finished.forEach((count, rank) => {
      if (count === undefined || this.failures.has(rank)) return;
      const other = this.made.findIndex((m) => m > count);
      if (other === -1) return;
      const reason =
        `rank ${rank} returned from its training loop after ${count} report${count === 1 ? "" : "s"}, while rank ${other} ` +
        `called report() ${this.made[other]} times: every rank must call train.report() equally often (it is a barrier)`;
      this.fail(rank, new TrainSessionError({ operation: "train.report()", reason }));
    });
  }
}
