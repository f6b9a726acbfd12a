/**
 * What a handle call returns: a `DeploymentResponse` (awaitable; `result({ timeoutMs })`;
 * passable un-awaited to another handle call, whose replica receives the value), or for
 * `options({ stream: true })` a `DeploymentResponseGenerator` (an AsyncIterable of what the
 * method yields; leaving the loop early calls the replica generator's `return()`).
 */
import * as lux from "lux";
import { GetTimeoutError } from "lux";
import { systemClock, type Clock } from "./clock.js";

/** `response.result(options)`. */
export interface ResultOptions {
  /** Reject with GetTimeoutError after this many ms (queueing included); the request goes on. */
  timeoutMs?: number;
}

/**
 * The result of one handle call, on its way. `await response` (or `response.result()`) gives
 * the method's value; a throw in the method rejects with `TaskError` (its `cause` is what was
 * thrown). Give it un-awaited to another handle call: the other replica gets its value.
 */
export class DeploymentResponse<R> implements PromiseLike<R> {
  readonly #assigned: Promise<lux.ObjectRef<R>>;
  readonly #value: Promise<R>;
  readonly #clock: Clock;
  #ref: lux.ObjectRef<R> | undefined;

  /** @internal Made by handles: `assigned` resolves once a replica took the request. */
  constructor(assigned: Promise<lux.ObjectRef<R>>, value: Promise<R>, clock: Clock = systemClock) {
    this.#assigned = assigned;
    this.#value = value;
    this.#clock = clock;
    // Settled by whoever awaits; a response nobody awaits must not be an unhandled rejection.
    value.catch(() => undefined);
    assigned.then(
      (ref) => (this.#ref = ref),
      () => undefined,
    );
  }

  then<A = R, B = never>(onFulfilled?: ((value: R) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.#value.then(onFulfilled, onRejected);
  }

  /** The value, waiting at most `timeoutMs` (then `GetTimeoutError`; the request is not cancelled). */
  result(options: ResultOptions = {}): Promise<R> {
    const timeoutMs = options.timeoutMs;
    if (timeoutMs === undefined) return this.#value;
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) throw new TypeError(`result({ timeoutMs }) takes a number >= 0, got ${String(timeoutMs)}`);
    return new Promise<R>((resolve, reject) => {
      // Still waiting for a replica at the timeout: no object to name yet.
      const timer = this.#clock.setTimeout(() => reject(new GetTimeoutError({ timeoutMs, objectIds: this.#ref === undefined ? [] : [this.#ref.id] })), timeoutMs);
      this.#value.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (e: unknown) => {
          timer.cancel();
          reject(e);
        },
      );
    });
  }

  /** @internal The ref of the result, once a replica took the request (for passing it on un-awaited). */
  assigned(): Promise<lux.ObjectRef<R>> {
    return this.#assigned;
  }

  toString(): string {
    return "DeploymentResponse";
  }
}

/**
 * A streaming handle call (`handle.options({ stream: true }).method.remote(…)`): what the
 * replica's method yields, in order. Breaking out of `for await` (or `return()`) ends the
 * replica's generator (its `finally` blocks run).
 */
export class DeploymentResponseGenerator<R> implements AsyncIterableIterator<R> {
  readonly #refs: Promise<AsyncIterator<lux.ObjectRef<R>>>;
  readonly #onEnd: (error?: unknown) => void;
  #ended = false;

  /** @internal Made by handles. */
  constructor(refs: Promise<AsyncIterator<lux.ObjectRef<R>>>, onEnd: (error?: unknown) => void) {
    this.#refs = refs;
    this.#onEnd = onEnd;
    refs.catch(() => undefined);
  }

  async next(): Promise<IteratorResult<R>> {
    if (this.#ended) return { done: true, value: undefined };
    try {
      const item = await (await this.#refs).next();
      if (item.done === true) {
        this.end();
        return { done: true, value: undefined };
      }
      return { done: false, value: await lux.get(item.value) };
    } catch (e) {
      this.end(e);
      await this.#refs.then((it) => it.return?.()).catch(() => undefined);
      throw e;
    }
  }

  async return(): Promise<IteratorResult<R>> {
    if (!this.#ended) {
      this.end();
      await this.#refs.then((it) => it.return?.()).catch(() => undefined);
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#onEnd(error);
  }
}
