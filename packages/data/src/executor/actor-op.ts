/**
 * A class UDF's operator: a pool of MapWorker actors, `min` at first, one more (up to `max`)
 * while blocks queue for it; each actor runs up to two blocks at once (one running, one
 * waiting) so it never idles between blocks. The actors end with the operator.
 */
import * as lux from "lux";
import type { ActorHandle, ObjectRefGenerator } from "lux";
import { MapWorkerActor, remakePoolBlockTask, type MapWorker } from "../map-worker.js";
import type { ActorCompute, MapOp } from "../plan.js";
import type { BlockItem } from "../tasks.js";
import type { Bundle, ExecutionHooks } from "./bundle.js";
import { readGenerator, stopGenerator, taskFailure } from "./generator-reader.js";
import { MAX_RECOMPUTES, blockOfRun, isLost, isNodeLost, remakeInputs } from "./lineage.js";
import { Operator, type WorkOutputs } from "./operator.js";

const CALLS_PER_ACTOR = 2;

interface PoolActor {
  readonly handle: ActorHandle<MapWorker>;
  busy: number;
}

export class ActorPoolOp extends Operator {
  private readonly actors: PoolActor[] = [];
  private readonly running = new Set<ObjectRefGenerator<BlockItem>>();
  private launched = 0;

  constructor(
    name: string,
    exec: ExecutionHooks,
    upstream: readonly Operator[],
    readonly compute: ActorCompute,
    readonly chain: readonly MapOp[],
  ) {
    super(name, exec, upstream);
  }

  get active(): number {
    return this.running.size;
  }

  override get maxConcurrency(): number {
    return this.compute.max * CALLS_PER_ACTOR;
  }

  /** CPUs the pool holds now (its actors'), and would hold with one actor more. */
  get cpusHeld(): number {
    return this.actors.length * this.compute.numCpus;
  }

  /** Starts the pool's first `min` actors (at the execution's start). */
  start(): void {
    while (this.actors.length < this.compute.min) this.addActor();
  }

  private addActor(): void {
    const c = this.compute;
    const handle = MapWorkerActor.options({ numCpus: c.numCpus, maxRestarts: c.maxRestarts, maxTaskRetries: c.maxTaskRetries, maxConcurrency: CALLS_PER_ACTOR }).remote(
      c.cls as never,
      c.ctorArgs,
      this.chain,
    );
    this.actors.push({ handle, busy: 0 });
  }

  /** Grows the pool while blocks wait for it and it is below `max`; `cpusFree` says whether the cluster has room. */
  scaleUp(cpusFree: number): void {
    const waiting = this.inputs.length;
    const free = this.actors.reduce((n, a) => n + (CALLS_PER_ACTOR - a.busy), 0);
    if (waiting > free && this.actors.length < this.compute.max && cpusFree >= this.compute.numCpus) this.addActor();
  }

  canLaunch(): boolean {
    return this.inputs.length > 0 && !this.stopped && this.actors.some((a) => a.busy < CALLS_PER_ACTOR);
  }

  launch(): void {
    const actor = this.actors.reduce((best, a) => (a.busy < best.busy ? a : best));
    const input = this.inputs.shift() as Bundle;
    const key = String(this.launched++);
    actor.busy++;
    const work = this.startWork();
    this.stats.tasks++;
    const remade: Bundle[] = [];
    this.call(actor, key, input, work, remade)
      .catch((e: unknown) => {
        if (!this.stopped) this.exec.fail(taskFailure(e, this.name, key));
      })
      .finally(() => {
        actor.busy--;
        this.exec.release([input, ...remade]);
        this.finishWork(work);
      });
  }

  /**
   * One call on `input`; if the input was lost with its node before the call read it, it is
   * made again and the call runs again; so it does if the actor's node died under the call.
   */
  private async call(actor: PoolActor, key: string, input: Bundle, work: WorkOutputs, remade: Bundle[]): Promise<void> {
    const recipe = this.recipe(key, input);
    let current = input;
    for (let attempt = 0; ; attempt++) {
      const gen = actor.handle.process.remote(this.exec.settings.targetMaxBlockSize, key, current.ref) as ObjectRefGenerator<BlockItem>;
      this.running.add(gen);
      let outputs = 0;
      try {
        const onBlock = (b: Bundle, index: number): void => {
          outputs++;
          this.addOutput(work, { ...b, recompute: recipe(index) });
        };
        await readGenerator(gen, this.exec, undefined, onBlock, () => this.stopped);
        return;
      } catch (e) {
        if (!(isLost(e) || isNodeLost(e)) || outputs > 0 || attempt >= MAX_RECOMPUTES) throw e;
        // The actor's node lost under the call: the same input again (if it went with it, the next call says so).
        if (!isLost(e)) continue;
        [current] = (await remakeInputs([current])) as [Bundle];
        this.exec.hold([current]);
        remade.push(current);
      } finally {
        this.running.delete(gen);
      }
    }
  }

  /** How to make output block `index` of call `key` again (its lineage): remakePoolBlockTask on the input made again. */
  private recipe(key: string, input: Bundle): (index: number) => () => Promise<Bundle> {
    const c = this.compute;
    const chain = this.chain;
    const target = this.exec.settings.targetMaxBlockSize;
    const options = { numCpus: c.numCpus, maxRetries: MAX_RECOMPUTES, generatorBackpressureNumObjects: 2 };
    const recipe =
      (index: number) =>
      async (): Promise<Bundle> => {
        const [remade] = await remakeInputs([input]);
        const gen = remakePoolBlockTask.options(options).remote(c.cls as never, c.ctorArgs, chain, target, key, (remade as Bundle).ref);
        return blockOfRun(gen as ObjectRefGenerator<BlockItem>, index, recipe(index));
      };
    return recipe;
  }

  /** Ends the actors once the operator has no more work (and on shutdown). */
  async endActors(): Promise<void> {
    await Promise.all(this.actors.splice(0).map((a) => lux.kill(a.handle).catch(() => undefined)));
  }

  override async shutdown(): Promise<void> {
    await Promise.all([...this.running].map(stopGenerator));
    await this.endActors();
  }
}
