/** Operators without tasks: blocks already stored, a limit, a union. */
import * as lux from "lux";
import { decodeBlock, encodeBlock, metaOf, type EncodedBlock } from "../block.js";
import type { StoredBlock } from "../plan.js";
import type { Bundle, ExecutionHooks } from "./bundle.js";
import { Operator } from "./operator.js";

/** Blocks already in the store (fromItems, fromArrow, a materialized dataset): emitted at once, never freed. */
export class InputOp extends Operator {
  constructor(name: string, exec: ExecutionHooks, private readonly blocks: readonly StoredBlock[]) {
    super(name, exec, []);
    this.upstreamDone = true;
  }

  get active(): number {
    return 0;
  }

  canLaunch(): boolean {
    return false;
  }

  launch(): void {}

  /** Emits the blocks (at the execution's start). */
  start(): void {
    const work = this.startWork();
    this.stats.tasks = 0;
    for (const b of this.blocks) this.addOutput(work, { ref: b.ref, meta: b.meta, owned: false });
    this.finishWork(work);
  }
}

/**
 * Passes the first `n` rows on; the block that crosses `n` is cut in this process. Once it
 * has them, its upstream operators are stopped (see the executor).
 */
export class LimitOp extends Operator {
  private seen = 0;
  private cutting = 0;

  constructor(exec: ExecutionHooks, upstream: Operator, readonly n: number) {
    super(`Limit(${n})`, exec, [upstream]);
  }

  get active(): number {
    return this.cutting;
  }

  /** Whether it has its `n` rows (its upstream can stop). */
  get satisfied(): boolean {
    return this.seen >= this.n;
  }

  /** Rows it still needs. */
  get remaining(): number {
    return Math.max(0, this.n - this.seen);
  }

  canLaunch(): boolean {
    return this.inputs.length > 0;
  }

  launch(): void {
    const b = this.inputs.shift() as Bundle;
    const work = this.startWork();
    if (this.satisfied) {
      this.exec.release([b]);
      this.finishWork(work);
      return;
    }
    const take = Math.min(b.meta.numRows, this.n - this.seen);
    this.seen += take;
    if (take === b.meta.numRows) {
      this.addOutput(work, b);
      this.finishWork(work);
      return;
    }
    this.cutting++;
    cut(b, take)
      .then((cutBundle) => this.addOutput(work, cutBundle))
      .catch((e: unknown) => this.exec.fail(e))
      .finally(() => {
        this.cutting--;
        this.exec.release([b]);
        this.finishWork(work);
      });
  }
}

async function cut(b: Bundle, rows: number): Promise<Bundle> {
  const table = decodeBlock(await lux.get(b.ref)).slice(0, rows);
  const block = encodeBlock(table);
  return { ref: lux.put(block) as lux.ObjectRef<EncodedBlock>, meta: metaOf(table, block), owned: true };
}

/** The blocks of several datasets, one after the other when order is preserved. */
export class UnionOp extends Operator {
  private readonly finished = new Set<Operator>();

  constructor(exec: ExecutionHooks, upstream: readonly Operator[]) {
    super("Union", exec, upstream);
  }

  get active(): number {
    return 0;
  }

  canLaunch(): boolean {
    return this.inputs.length > 0;
  }

  launch(): void {
    const work = this.startWork();
    this.addOutput(work, this.inputs.shift() as Bundle);
    this.finishWork(work);
  }

  /** Inputs arrive per upstream; with order preserved the executor feeds them one upstream at a time. */
  noteUpstreamDone(op: Operator): void {
    this.finished.add(op);
    if (this.finished.size === this.upstream.length) this.upstreamDone = true;
  }
}
