import { getRuntimeContext, remote } from "@lux/core";
import { loadShippedFunction, type ShippedFunction } from "@lux/core/internal";

/** A call of the pool's function (or its initializer) threw: which item, what, in which actor call. */
export interface ChunkFailure {
  /** The item's position in the input; -1 for the initializer. */
  readonly index: number;
  readonly error: unknown;
  readonly taskId: string;
}

/** What a chunk gives back: every item's result in order, or the first failure. */
export type ChunkOutcome = { readonly values: unknown[] } | { readonly failure: ChunkFailure };

/**
 * One process of a `Pool`: an actor running the pool's function on chunks of items, one chunk
 * at a time, in the same process for its whole life (so what the initializer set up stays).
 * Failures of the user's code come back as values, so the pool can say which item failed.
 */
export class PoolWorker {
  private initFailure: unknown = undefined;
  private initFailed = false;

  /** Runs the pool's initializer once, first of all the actor's calls; its failure fails every later call. */
  async initialize(initializer: ShippedFunction | undefined, initargs: unknown[]): Promise<void> {
    if (initializer === undefined) return;
    try {
      const init = await loadShippedFunction(initializer);
      await init(...initargs);
    } catch (e) {
      this.initFailed = true;
      this.initFailure = e;
    }
  }

  /** `fn` on each item (spread as arguments with `star`); `start` is the first item's position in the input. */
  async runChunk(fn: ShippedFunction, items: unknown[], star: boolean, start: number): Promise<ChunkOutcome> {
    const taskId = getRuntimeContext().taskId ?? "";
    if (this.initFailed) return { failure: { index: -1, error: this.initFailure, taskId } };
    const call = await loadShippedFunction(fn);
    const values: unknown[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      try {
        const result = star ? call(...(items[i] as unknown[])) : call(items[i]);
        values[i] = isThenable(result) ? await result : result;
      } catch (error) {
        return { failure: { index: start + i, error, taskId } };
      }
    }
    return { values };
  }

  /** `fn(...args)` once (Pool.apply): its result is the call's result, its throw the call's TaskError. */
  async apply(fn: ShippedFunction, args: unknown[]): Promise<unknown> {
    if (this.initFailed) throw this.initFailure;
    return (await loadShippedFunction(fn))(...args);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

/** Made remote while this module is evaluated: workers find it by importing the module. */
export const PoolWorkerClass = remote(PoolWorker);
