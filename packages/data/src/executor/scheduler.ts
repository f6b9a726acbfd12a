/**
 * Which operators start work now: the ones nearest the consumer first (so blocks drain before
 * more are read), each while it has input, a free slot (its concurrency, the cluster's CPUs)
 * and room in the queue of the operator it feeds; sources also need room in the budget.
 */
import type { DataSettings } from "../context.js";
import { ActorPoolOp } from "./actor-op.js";
import { AllToAllOp } from "./exchange-op.js";
import type { Operator } from "./operator.js";
import { LimitOp, UnionOp } from "./simple-ops.js";

/** Blocks the consumer may have waiting for it before the execution holds back. */
const SINK_QUEUE = 4;

export class Scheduler {
  constructor(
    private readonly ops: readonly Operator[],
    private readonly downstream: ReadonlyMap<Operator, Operator>,
    private readonly cpus: number,
    private readonly settings: DataSettings,
  ) {}

  private cpusInUse(): number {
    let n = 0;
    for (const op of this.ops) n += op instanceof ActorPoolOp ? op.cpusHeld : Math.ceil(op.active / op.launchesPerSlot) * op.cpusPerLaunch;
    return n;
  }

  launch(sinkQueued: number, budgetAllows: (op: Operator) => boolean, limitAllows: (op: Operator) => boolean): void {
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i] as Operator;
      if (op instanceof ActorPoolOp) op.scaleUp(this.cpus - this.cpusInUse());
      while (op.canLaunch() && op.active < op.maxConcurrency && this.cpuFor(op) && this.roomBelow(op, sinkQueued)) {
        if (op.isSource && (!budgetAllows(op) || !limitAllows(op))) break;
        op.launch();
      }
    }
  }

  private cpuFor(op: Operator): boolean {
    if (op.cpusPerLaunch === 0) return true;
    // One task of an operator with none running always may start: a pool holding every CPU must not starve the reads.
    if (op.active === 0) return true;
    // A slot the operator holds with room for one more task behind the first takes no more CPUs.
    const more = op.active % op.launchesPerSlot === 0 ? op.cpusPerLaunch : 0;
    return this.cpusInUse() + more <= this.cpus;
  }

  /** Whether what `op` makes has somewhere to wait. */
  private roomBelow(op: Operator, sinkQueued: number): boolean {
    let down = this.downstream.get(op);
    // Limits and unions pass blocks on at once: look at what they feed.
    while (down instanceof LimitOp || down instanceof UnionOp) down = this.downstream.get(down);
    if (down === undefined) return sinkQueued + op.active < SINK_QUEUE + 1 || op.active === 0;
    if (down instanceof AllToAllOp) return true;
    const slots = Math.min(down.maxConcurrency, this.cpus);
    return down.inputs.length + op.active <= this.settings.maxQueuedBlocksPerTask * Math.max(1, slots);
  }
}
