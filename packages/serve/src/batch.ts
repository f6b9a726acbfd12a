/**
 * `serve.batch(fn, { maxBatchSize, batchWaitTimeoutMs })`: turns `(xs: T[]) => Promise<R[]>`
 * into `(x: T) => Promise<R>`. Calls are gathered until maxBatchSize are waiting or
 * batchWaitTimeoutMs passed since the first; then `fn` runs once on them (one batch at a time
 * per batcher, so a slow batch gathers the next one meanwhile). Used as a class field, `fn`
 * is an arrow function and `this` is the instance.
 *
 * @example
 * ```ts
 * class Model {
 *   predict = serve.batch(async (xs: number[]) => xs.map((x) => x * 2), { maxBatchSize: 8, batchWaitTimeoutMs: 5 });
 * }
 * ```
 */
import { BatchSizeMismatchError } from "lux";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";

export interface BatchOptions {
  /** The most calls in one batch. Default 10. */
  maxBatchSize?: number;
  /** How long the first call of a batch waits for others. Default 10 ms. */
  batchWaitTimeoutMs?: number;
  /** @internal Tests drive the wait with a fake clock. */
  clock?: Clock;
}

interface Call<T, R> {
  input: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

class Batcher<T, R> {
  private readonly queue: Call<T, R>[] = [];
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly fn: (xs: T[]) => R[] | Promise<R[]>,
    private readonly maxBatchSize: number,
    private readonly waitMs: number,
    private readonly clock: Clock,
  ) {}

  submit(input: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length >= this.maxBatchSize) {
      this.timer?.cancel();
      this.timer = undefined;
      void this.run();
    } else if (this.timer === undefined && this.queue.length > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        void this.run();
      }, this.waitMs);
    }
  }

  private async run(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.maxBatchSize);
    try {
      const results = await this.fn(batch.map((c) => c.input));
      if (!Array.isArray(results) || results.length !== batch.length) {
        const error = new BatchSizeMismatchError({ functionName: this.fn.name || "(anonymous)", inputs: batch.length, outputs: Array.isArray(results) ? results.length : 0 });
        for (const c of batch) c.reject(error);
      } else {
        batch.forEach((c, i) => c.resolve(results[i] as R));
      }
    } catch (e) {
      // A throw fails only this batch's callers.
      for (const c of batch) c.reject(e);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}

/** Makes a batching function of `fn`: each call passes one input and gets its own result. */
export function batch<T, R>(fn: (xs: T[]) => R[] | Promise<R[]>, options: BatchOptions = {}): (x: T) => Promise<R> {
  if (typeof fn !== "function") throw new TypeError(`serve.batch() takes a function (xs: T[]) => R[], got ${typeof fn}`);
  const maxBatchSize = options.maxBatchSize ?? 10;
  const waitMs = options.batchWaitTimeoutMs ?? 10;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new RangeError(`serve.batch(): maxBatchSize must be an integer >= 1, got ${String(maxBatchSize)}`);
  if (typeof waitMs !== "number" || !Number.isFinite(waitMs) || waitMs < 0) throw new RangeError(`serve.batch(): batchWaitTimeoutMs must be a number >= 0, got ${String(waitMs)}`);
  const batcher = new Batcher(fn, maxBatchSize, waitMs, options.clock ?? systemClock);
  return (x: T) => batcher.submit(x);
}
