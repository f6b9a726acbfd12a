/**
 * The actor of a class UDF's pool: it builds the user's class once (its constructor runs once
 * per actor, with `fnConstructorArgs`) and runs the step's chain on each block it is given,
 * calling the instance's `call(batch)` for the class's step.
 */
import * as lux from "lux";
import { concatTables, decodeBlock, type EncodedBlock } from "./block.js";
import { applyChain, loadChain } from "./chain.js";
import type { MapOp } from "./plan.js";
import { blockItems } from "./tasks.js";

type Fn = (...args: unknown[]) => unknown;
type UdfClass = new (...args: unknown[]) => { call: Fn };

export class MapWorker {
  private readonly ready: Promise<{ steps: Awaited<ReturnType<typeof loadChain>>; call: Fn }>;

  constructor(cls: lux.Shipped<UdfClass>, ctorArgs: readonly unknown[], chain: readonly MapOp[]) {
    this.ready = this.setUp(cls, ctorArgs, chain);
    // Failing later, at the first block, with the constructor's error.
    this.ready.catch(() => undefined);
  }

  private async setUp(cls: lux.Shipped<UdfClass>, ctorArgs: readonly unknown[], chain: readonly MapOp[]) {
    const [Cls, steps] = await Promise.all([lux.loadShipped(cls), loadChain(chain)]);
    const instance = new Cls(...ctorArgs);
    if (typeof instance.call !== "function") throw new TypeError(`${Cls.name} has no call(batch) method; a class UDF needs one`);
    return { steps, call: instance.call.bind(instance) as Fn };
  }

  /** Resolves once the user's class is built (the pool waits for it before counting the actor ready). */
  async started(): Promise<boolean> {
    await this.ready;
    return true;
  }

  async *process(targetBytes: number, taskKey: string, ...blocks: EncodedBlock[]) {
    const { steps, call } = await this.ready;
    const input = concatTables(blocks.map(decodeBlock));
    yield* blockItems(await applyChain(input, steps, call, taskKey), targetBytes);
  }
}

export const MapWorkerActor = lux.remote(MapWorker);

/**
 * A pool's block made again after its only copy was lost with its node: the pool may be gone
 * by then, so a task builds the class once more (its constructor runs again) and runs the
 * step's chain on the block's input, made again first.
 */
export const remakePoolBlockTask = lux.remote(async function* remakePoolBlock(
  cls: lux.Shipped<UdfClass>,
  ctorArgs: readonly unknown[],
  chain: readonly MapOp[],
  targetBytes: number,
  taskKey: string,
  ...blocks: EncodedBlock[]
) {
  yield* new MapWorker(cls, ctorArgs, chain).process(targetBytes, taskKey, ...blocks);
});
