/**
 * What every physical operator has: an input queue, outputs kept in input order when the
 * execution preserves order, its statistics, and the counts the executor schedules by.
 */
import type { Bundle, ExecutionHooks } from "./bundle.js";

export interface OperatorStats {
  name: string;
  rows: number;
  blocks: number;
  tasks: number;
  wallTimeMs: number;
}

/** One unit of work's outputs, emitted in order of `index` when order is preserved. */
export interface WorkOutputs {
  readonly index: number;
  readonly bundles: Bundle[];
  done: boolean;
}

export abstract class Operator {
  readonly inputs: Bundle[] = [];
  private readonly outputs: Bundle[] = [];
  private readonly pending: WorkOutputs[] = [];
  private nextIndex = 0;
  upstreamDone = false;
  /** Set when the operator will take no more input (a limit was reached): its work is dropped. */
  stopped = false;
  readonly stats: OperatorStats;
  private startedAt: number | undefined;
  private endedAt: number | undefined;
  /** Rows this operator is expected to output, when known (for progress lines). */
  estimatedRows: number | undefined;

  constructor(
    name: string,
    protected readonly exec: ExecutionHooks,
    readonly upstream: readonly Operator[],
  ) {
    this.stats = { name, rows: 0, blocks: 0, tasks: 0, wallTimeMs: 0 };
  }

  get name(): string {
    return this.stats.name;
  }

  /** The average size of its blocks so far (0 before the first). */
  get blockBytesEstimate(): number {
    return this.stats.blocks === 0 ? 0 : this.outputBytes / this.stats.blocks;
  }

  private outputBytes = 0;

  /** Whether it reads data into the execution (its outputs wait for the object-store budget). */
  get isSource(): boolean {
    return false;
  }

  /** Units of work running now. */
  abstract get active(): number;
  /** Whether it could start a unit of work now (inputs, slots). */
  abstract canLaunch(): boolean;
  /** CPUs one more unit of work takes. */
  get cpusPerLaunch(): number {
    return 0;
  }
  /** Units of work that may share one unit's CPUs (the later ones queued behind the first in its worker). */
  get launchesPerSlot(): number {
    return 1;
  }
  /** Starts one unit of work. */
  abstract launch(): void;
  /** At most this many units of work at once. */
  get maxConcurrency(): number {
    return Infinity;
  }

  /** Called when an upstream operator finished, or at once for a source. */
  onUpstreamDone(): void {}

  /** Ends what runs (a limit was reached, or the execution failed). */
  async shutdown(): Promise<void> {}

  /** Takes no more input and drops what it holds; what runs is ended by `shutdown`. */
  stop(): Promise<void> {
    this.stopped = true;
    this.exec.release(this.heldBundles());
    this.inputs.length = 0;
    this.outputs.length = 0;
    for (const w of this.pending) w.bundles.length = 0;
    return this.shutdown();
  }

  /** A new unit of work whose outputs come in order of its start. */
  protected startWork(): WorkOutputs {
    this.startedAt ??= Date.now();
    const work: WorkOutputs = { index: this.nextIndex++, bundles: [], done: false };
    this.pending.push(work);
    return work;
  }

  /** Outputs of a unit of work (to emit once the order allows). */
  protected addOutput(work: WorkOutputs, bundle: Bundle): void {
    if (this.stopped) {
      this.exec.release([bundle]);
      return;
    }
    work.bundles.push(bundle);
    this.outputBytes += bundle.meta.sizeBytes;
    this.stats.rows += bundle.meta.numRows;
    this.stats.blocks++;
    this.exec.hold([bundle]);
    this.flush();
  }

  protected finishWork(work: WorkOutputs): void {
    work.done = true;
    this.flush();
  }

  /** Moves outputs that may go now to the output queue. */
  private flush(): void {
    if (this.exec.settings.preserveOrder) {
      while (this.pending[0] !== undefined) {
        const first = this.pending[0];
        this.outputs.push(...first.bundles.splice(0));
        if (!first.done) break;
        this.pending.shift();
      }
    } else {
      for (const w of this.pending) this.outputs.push(...w.bundles.splice(0));
      for (let i = this.pending.length - 1; i >= 0; i--) if ((this.pending[i] as WorkOutputs).done) this.pending.splice(i, 1);
    }
    this.exec.notify();
  }

  /** Outputs ready to go downstream (taken). */
  takeOutputs(): Bundle[] {
    return this.outputs.splice(0);
  }

  get queuedOutputs(): number {
    return this.outputs.length;
  }

  /** Blocks held in this operator's queues and unfinished work (for the budget's accounting). */
  heldBundles(): Bundle[] {
    return [...this.inputs, ...this.outputs, ...this.pending.flatMap((w) => w.bundles)];
  }

  /** Whether it has no more work and every output was taken. */
  get done(): boolean {
    const finished = this.stopped || (this.upstreamDone && this.inputs.length === 0 && this.active === 0 && this.pending.length === 0 && this.hasNoMoreWork());
    if (finished && this.outputs.length === 0) {
      if (this.endedAt === undefined && this.startedAt !== undefined) this.endedAt = Date.now();
      this.stats.wallTimeMs = (this.endedAt ?? Date.now()) - (this.startedAt ?? Date.now());
    }
    return finished && this.outputs.length === 0;
  }

  /** Extra condition for `done` (a read with tasks not started yet has more work). */
  protected hasNoMoreWork(): boolean {
    return true;
  }

  /** Counts time from the first work, for a wall time even when the operator never launched work. */
  protected touch(): void {
    this.startedAt ??= Date.now();
  }
}
