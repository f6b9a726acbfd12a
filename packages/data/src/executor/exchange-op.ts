/** An all-to-all operator: a barrier that takes every input block, then emits the exchange's blocks in order. */
import { allToAllName, type AllToAllSpec } from "../plan.js";
import type { Bundle, ExecutionHooks } from "./bundle.js";
import { exchange } from "./exchange.js";
import { MAX_RECOMPUTES, isLost, remakeInputs } from "./lineage.js";
import { Operator } from "./operator.js";

export class AllToAllOp extends Operator {
  private running = false;
  /** Inputs made again after a loss: freed with the others once the exchange ended. */
  private readonly remade: Bundle[] = [];
  private finished = false;

  constructor(
    exec: ExecutionHooks,
    upstream: Operator,
    readonly spec: AllToAllSpec,
    private readonly maxRetries: number,
  ) {
    super(allToAllName(spec), exec, [upstream]);
  }

  get active(): number {
    return this.running ? 1 : 0;
  }

  canLaunch(): boolean {
    return this.upstreamDone && !this.running && !this.finished && !this.stopped;
  }

  launch(): void {
    this.running = true;
    const inputs = this.inputs.splice(0);
    const work = this.startWork();
    this.exchangeRemaking(inputs)
      .then((result) => {
        this.stats.tasks += result.tasks;
        for (const b of result.bundles) this.addOutput(work, b);
      })
      .catch((e: unknown) => this.exec.fail(e))
      .finally(() => {
        this.running = false;
        this.finished = true;
        this.exec.release(inputs);
        this.exec.hold(this.remade);
        this.exec.release(this.remade.splice(0));
        this.finishWork(work);
      });
  }

  /** The exchange; if input blocks were lost with their node, they are made again and it runs again. */
  private async exchangeRemaking(inputs: readonly Bundle[]): ReturnType<typeof exchange> {
    let current = inputs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await exchange(this.spec, current, this.maxRetries);
      } catch (e) {
        if (!isLost(e) || attempt >= MAX_RECOMPUTES) throw e;
        current = await remakeInputs(current);
        this.remade.push(...current);
      }
    }
  }

  protected override hasNoMoreWork(): boolean {
    return this.finished;
  }

  /** Inputs wait here until all have come; they are not "queued" for the upstream's backpressure. */
  override get maxConcurrency(): number {
    return 1;
  }
}

export type { Bundle };
