/**
 * The actor behind `streamingSplit(n)`: it runs the dataset's execution and hands its blocks
 * out to `n` readers. Each epoch (each `iterBatches` of every split) is a new execution, which
 * starts once all `n` splits asked for it (a barrier). With `equal`, every split gets the same
 * number of rows (blocks are cut at the boundaries, the remainder is dropped); else whole blocks
 * go round robin (block k to split k mod n), or by locality hints (split-assign.ts).
 */
import * as lux from "lux";
import { DataIteratorError } from "lux";
import { decodeBlock, encodeBlock, metaOf, type EncodedBlock } from "./block.js";
import type { DataSettings } from "./context.js";
import { BlockAssigner } from "./split-assign.js";
import type { Bundle } from "./executor/bundle.js";
import { Execution } from "./executor/executor.js";
import { knownCount, type PlanNode, type StoredBlock } from "./plan.js";

/** What to do about a split read by two readers. */
const ONE_READER_EACH = (n: number): string => `streamingSplit(${n}) makes ${n} splits: give each to one consumer, and no more consumers than splits`;

/** An epoch's barrier: readers wait on `opened` until every split started the epoch. */
interface Gate {
  count: number;
  readonly open: () => void;
  /** Fails every reader waiting (the splits were given out wrongly), each with an error naming its split. */
  readonly fail: (reason: string) => void;
  readonly opened: Promise<void>;
  /** Resolves with the reason when the barrier failed. */
  readonly failed: Promise<string>;
}

interface SplitState {
  readonly queue: Bundle[];
  /** Whether a reader is iterating it now. */
  reading: boolean;
  epoch: number;
  /**
   * Blocks handed out and maybe not fetched yet: the reader asks for the next block while it
   * fetches the last one, so a block is freed only when a second one was asked for after it.
   */
  readonly handedOut: Bundle[];
}

interface Epoch {
  readonly number: number;
  started: Promise<Execution>;
  rowsAssigned: number;
  readonly blocks: BlockAssigner;
  /** Rows per split with `equal` (the remainder dropped), else undefined. */
  target: number | undefined;
  done: boolean;
}

export class SplitCoordinator {
  private readonly splits: SplitState[];
  private epoch: Epoch | undefined;
  private readonly barrier = new Map<number, Gate>();
  private pulling: Promise<void> | undefined;

  constructor(
    private readonly plan: PlanNode,
    private readonly n: number,
    private readonly equal: boolean,
    private readonly settings: DataSettings,
    /** Node ids, one per split: whole blocks go to the split whose node holds them (as balance allows). */
    private readonly localityHints?: readonly string[],
  ) {
    this.splits = Array.from({ length: n }, () => ({ queue: [], reading: false, epoch: -1, handedOut: [] }));
  }

  /** A reader starts iterating `split`: its next epoch, once every split started it. */
  async start(split: number): Promise<number> {
    const s = this.splitOf(split);
    if (s.reading) {
      this.failBarrier(s.epoch, split);
      throw new DataIteratorError({ split, reason: `another reader is iterating it now; ${ONE_READER_EACH(this.n)}` });
    }
    s.reading = true;
    s.epoch++;
    try {
      await this.arrive(s.epoch, split);
    } catch (e) {
      s.reading = false;
      s.epoch--;
      throw e;
    }
    return s.epoch;
  }

  /** The next block of `split` in `epoch` (a ref the reader gets), or null at its end. */
  async next(split: number, epoch: number): Promise<StoredBlock | null> {
    const s = this.splitOf(split);
    if (s.handedOut.length >= 2) await this.releaseHandedOut(s, 1);
    const current = this.epoch;
    if (current === undefined || current.number !== epoch) return null;
    const exec = await current.started;
    while (s.queue.length === 0 && !current.done) await this.pull(exec, current);
    const b = s.queue.shift();
    if (b === undefined) return null;
    s.handedOut.push(b);
    return { ref: b.ref, meta: b.meta };
  }

  /** The reader of `split` is done with its epoch. */
  async finish(split: number): Promise<void> {
    const s = this.splitOf(split);
    await this.releaseHandedOut(s, s.handedOut.length);
    s.reading = false;
  }

  private splitOf(split: number): SplitState {
    const s = this.splits[split];
    if (s === undefined) throw new DataIteratorError({ split, reason: `there are only ${this.n} splits` });
    return s;
  }

  private async releaseHandedOut(s: SplitState, count: number): Promise<void> {
    const done = s.handedOut.splice(0, count);
    if (done.length > 0) (await this.epoch?.started)?.release(done);
  }

  /**
   * Waits until all splits started `epoch`; the last one starts its execution. A split that
   * waits longer than `splitBarrierTimeoutMs` fails, naming the splits that did not come: more
   * readers than splits, or a split nobody reads, would otherwise wait forever.
   */
  private async arrive(epoch: number, split: number): Promise<void> {
    let gate = this.barrier.get(epoch);
    if (gate === undefined) {
      let open!: () => void;
      let fail!: (reason: string) => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      const failed = new Promise<string>((resolve) => (fail = resolve));
      gate = { count: 0, open, fail, opened, failed };
      this.barrier.set(epoch, gate);
    }
    gate.count++;
    if (gate.count === this.n) {
      this.barrier.delete(epoch);
      this.startEpoch(epoch);
      gate.open();
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const missing = this.splits.flatMap((other, i) => (other.epoch < epoch ? [i] : []));
        const reason =
          `its reader waited ${this.settings.splitBarrierTimeoutMs} ms for epoch ${epoch} of split${missing.length === 1 ? "" : "s"} ${missing.join(", ")}, ` +
          `which no reader started: read every split (one reader each), and as many epochs of each`;
        reject(new DataIteratorError({ split, reason }));
      }, this.settings.splitBarrierTimeoutMs);
    });
    try {
      const failure = await Promise.race([gate.opened.then(() => undefined), gate.failed, timeout]);
      if (failure !== undefined) throw new DataIteratorError({ split, reason: failure });
    } finally {
      clearTimeout(timer);
    }
    if (this.barrier.get(epoch) === gate) gate.count--;
  }

  /**
   * A second reader asked for `split` while its reader waits for `epoch`'s barrier: if some
   * split has not started that epoch, nobody may be left to read it (the splits went to the
   * wrong consumers), so the readers waiting fail now instead of at the barrier's timeout.
   */
  private failBarrier(epoch: number, split: number): void {
    const gate = this.barrier.get(epoch);
    if (gate === undefined) return;
    const missing = this.splits.flatMap((other, i) => (other.epoch < epoch ? [i] : []));
    this.barrier.delete(epoch);
    gate.fail(
      `a second reader asked for split ${split} while split${missing.length === 1 ? "" : "s"} ${missing.join(", ")} had no reader for epoch ${epoch}; ` +
        ONE_READER_EACH(this.n),
    );
  }

  private startEpoch(number: number): void {
    const previous = this.epoch;
    const epoch: Epoch = { number, started: Promise.resolve(undefined as never), rowsAssigned: 0, blocks: new BlockAssigner(this.n, this.localityHints), target: undefined, done: false };
    this.epoch = epoch;
    epoch.started = this.run(previous, epoch);
    epoch.started.catch(() => undefined);
  }

  /** Ends the previous epoch's execution, then starts this one's (after counting the rows, with `equal`). */
  private async run(previous: Epoch | undefined, epoch: Epoch): Promise<Execution> {
    if (previous !== undefined) await (await previous.started.catch(() => undefined))?.close();
    if (this.equal) epoch.target = Math.floor((knownCount(this.plan) ?? (await countRows(this.plan, this.settings))) / this.n);
    return Execution.start(this.plan, this.settings);
  }

  /** Takes one block from the execution and assigns it (one puller at a time). */
  private async pull(exec: Execution, epoch: Epoch): Promise<void> {
    this.pulling ??= (async () => {
      const b = await exec.next();
      if (b === undefined) epoch.done = true;
      else await this.assign(exec, epoch, b);
    })().finally(() => (this.pulling = undefined));
    await this.pulling;
  }

  private async assign(exec: Execution, epoch: Epoch, b: Bundle): Promise<void> {
    const target = epoch.target;
    if (target === undefined) {
      (this.splits[epoch.blocks.assign(b.meta.node)] as SplitState).queue.push(b);
      return;
    }
    let offset = 0;
    let keptWhole = false;
    while (offset < b.meta.numRows && epoch.rowsAssigned < target * this.n) {
      const split = Math.floor(epoch.rowsAssigned / target);
      const take = Math.min(b.meta.numRows - offset, target * (split + 1) - epoch.rowsAssigned);
      keptWhole = offset === 0 && take === b.meta.numRows;
      const piece = keptWhole ? b : await slice(b, offset, take);
      if (!keptWhole) exec.hold([piece]);
      (this.splits[split] as SplitState).queue.push(piece);
      epoch.rowsAssigned += take;
      offset += take;
    }
    // Cut into pieces, or past the rows the splits get: the block itself is no longer needed.
    if (!keptWhole) exec.release([b]);
  }
}

async function slice(b: Bundle, offset: number, rows: number): Promise<Bundle> {
  const table = decodeBlock(await lux.get(b.ref)).slice(offset, offset + rows);
  const block = encodeBlock(table);
  return { ref: lux.put(block) as lux.ObjectRef<EncodedBlock>, meta: metaOf(table, block), owned: true };
}

async function countRows(plan: PlanNode, settings: DataSettings): Promise<number> {
  const exec = await Execution.start(plan, settings);
  let n = 0;
  try {
    for (let b = await exec.next(); b !== undefined; b = await exec.next()) {
      n += b.meta.numRows;
      exec.release([b]);
    }
  } finally {
    await exec.close();
  }
  return n;
}

export const SplitCoordinatorActor = lux.remote(SplitCoordinator);
