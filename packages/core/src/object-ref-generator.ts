import type { GeneratorStream } from "./generator-stream.js";
import type { ObjectRef } from "./object-ref.js";
import { refuseClass } from "./serialization/index.js";

/** A generator the program dropped while its task may still run: the task stops, what it yielded and nobody took is freed. */
const dropped = new FinalizationRegistry<GeneratorStream>((stream) => stream.close());

let streamOf: (generator: ObjectRefGenerator<unknown>) => GeneratorStream;

/**
 * What `.remote()` of a generator function or generator actor method returns: a ref to each
 * value the generator yields, in order, as soon as the worker yields it (before the task
 * ends). Iterate it with `for await`, or call `next()`.
 *
 * ```ts
 * const range = lux.remote(function* (n: number) { for (let i = 0; i < n; i++) yield i; });
 * for await (const ref of range.remote(3)) console.log(await lux.get(ref)); // 0, 1, 2
 * ```
 *
 * If the generator throws, the refs of what it yielded before come first, then one ref whose
 * `get` rejects with `TaskError`, then the end. It works with `lux.wait` (ready when its next
 * ref is available or it ended) and `lux.cancel`. Leaving a `for await` early (`return()`), or
 * dropping the generator, stops the task's generator (its `finally` blocks run) and frees what
 * it yielded that was not taken. It cannot be passed to a task or `put` (TypeError): pass the
 * refs it yields.
 *
 * @typeParam T - the type of the values the remote generator yields.
 */
export class ObjectRefGenerator<T = unknown> implements AsyncIterableIterator<ObjectRef<T>> {
  readonly #stream: GeneratorStream;
  readonly #completion: ObjectRef<void>;

  static {
    streamOf = (generator) => generator.#stream;
  }

  /** @internal generators are made by Lux, not by users. */
  constructor(stream: GeneratorStream, completion: ObjectRef<void>) {
    this.#stream = stream;
    this.#completion = completion;
    dropped.register(this, stream);
  }

  /** The ref of the next value yielded, once the worker yielded it; `done` after the last one. */
  next(): Promise<IteratorResult<ObjectRef<T>>> {
    return this.#stream.next() as Promise<IteratorResult<ObjectRef<T>>>;
  }

  /**
   * Ends the stream early (a `for await` that breaks calls it): the task's generator is
   * stopped at its next `yield` (its `finally` blocks run) and the refs not taken are freed.
   */
  return(): Promise<IteratorResult<ObjectRef<T>>> {
    this.#stream.close();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** A ref that resolves (to undefined) when the task ended, and rejects as the task failed. */
  completed(): ObjectRef<void> {
    return this.#completion;
  }

  /** Whether `next()` would resolve `done` at once: the task ended and every ref was taken (or `return()` was called). */
  isFinished(): boolean {
    return this.#stream.finished;
  }

  toString(): string {
    return `ObjectRefGenerator(${this.#stream.taskId})`;
  }
}

/** @internal The owner's stream behind a generator (for `lux.wait`). */
export function generatorStream(generator: ObjectRefGenerator<unknown>): GeneratorStream {
  return streamOf(generator);
}

refuseClass(ObjectRefGenerator, {
  is: "an ObjectRefGenerator",
  advice: "a generator's stream stays with the process that called .remote(): pass the refs it yields (for await (const ref of gen)) or gen.completed() instead",
});
