import type { CoreWorkerService, GeneratorItem, GeneratorSpec, ReturnValue, RpcConnection, TaskSpec } from "@lux/protocol";
import { UNTIL_PEER_LOST } from "@lux/protocol";
import { objectIdFor } from "@lux/common";
import { Fifo } from "./fifo.js";

/** The worker's side of the owner: where items go, and its answer to each. */
export type ItemSink = (item: GeneratorItem) => Promise<{ stop: boolean }>;

type AnyIterator = Iterator<unknown, unknown, undefined> | AsyncIterator<unknown, unknown, undefined>;

export interface GeneratorRunDeps {
  /** Serializes an item as a return value of the task (a large one into the node's store). */
  item(objectId: string, value: unknown): ReturnValue | Promise<ReturnValue>;
  /** Whether borrows of refs inside values are still unregistered (`flushBorrows` would wait). */
  borrowsPending(): boolean;
  flushBorrows(): Promise<void>;
  /** What an error the generator threw becomes (a TaskError naming the task). */
  userError(error: unknown): unknown;
  /** Whether the task was cancelled (its signal aborted). */
  cancelled(): boolean;
  /** Items sent ahead of the owner's answers without backpressure (config generatorItemsInFlight). */
  inFlight: number;
}

/**
 * Runs one streaming generator task in its worker: calls the generator's `next()`, sends each
 * item to the owner as it comes (in order, over the connection the task came on, so the task's
 * reply comes after its items), and stops early when the owner says so (the consumer ended or
 * dropped the generator), when the task is cancelled or its owner is gone: then it calls the
 * generator's `return()`, so its `finally` blocks run. With backpressure it waits for the owner's
 * answer to each item before calling `next()` again; without, it runs up to `inFlight` items ahead.
 * Items a retry finds the owner already has (`skip`) are run through, not sent again.
 */
export class GeneratorRun {
  private stopped = false;
  private readonly answers = new Fifo<Promise<void>>();

  constructor(
    private readonly spec: TaskSpec & { generator: GeneratorSpec },
    private readonly iterator: AnyIterator,
    private readonly sink: ItemSink,
    private readonly deps: GeneratorRunDeps,
  ) {}

  /** Resolves once the generator is done (or stopped); rejects as it threw (through `userError`) or an item failed to serialize. */
  async run(): Promise<void> {
    const { skip } = this.spec.generator;
    let index = 0;
    try {
      for (;;) {
        if (this.stopped || this.deps.cancelled()) {
          await this.user(() => this.iterator.return?.());
          return;
        }
        const step = await this.user(() => this.iterator.next());
        if (step.done === true) return;
        const i = index++;
        if (i >= skip) await this.send(i, step.value);
      }
    } finally {
      // The task's reply must come after every answer: the owner has then taken every item.
      while (this.answers.length > 0) await this.answers.shift();
    }
  }

  /** Calls the user's generator; what it throws becomes the task's error. Synchronous steps take no promise hop. */
  private user<R>(step: () => R | PromiseLike<R>): R | Promise<R> {
    let r: R | PromiseLike<R>;
    try {
      r = step();
    } catch (e) {
      throw this.deps.userError(e);
    }
    if (!isThenable(r)) return r;
    return Promise.resolve(r).catch((e: unknown) => {
      throw this.deps.userError(e);
    });
  }

  private async send(index: number, value: unknown): Promise<void> {
    const objectId = objectIdFor(this.spec.taskId, index + 1);
    let r = this.deps.item(objectId, value);
    if (r instanceof Promise) r = await r;
    // The owner must find our borrows registered before it may drop refs inside the item.
    if (this.deps.borrowsPending()) await this.deps.flushBorrows();
    const answer = this.sink(itemOf(this.spec.taskId, index, r)).then(
      (a) => {
        if (a.stop) this.stopped = true;
      },
      () => {
        this.stopped = true; // the owner is gone: nobody takes the items
      },
    );
    if (this.spec.generator.backpressure > 0) {
      await answer;
      return;
    }
    this.answers.push(answer);
    if (this.answers.length >= this.deps.inFlight) await this.answers.shift();
  }
}

/** Sends items to the owner over `connection` (the one the task was pushed on). */
export function sinkOver(connection: RpcConnection<CoreWorkerService>): ItemSink {
  return (item) => connection.call("reportGeneratorItem", item, UNTIL_PEER_LOST);
}

/** The iterator a generator function returned; a TypeError if it returned something else. */
export function iteratorOf(result: unknown, name: string): AnyIterator {
  if (result !== null && typeof result === "object" && typeof (result as { next?: unknown }).next === "function") return result as AnyIterator;
  throw new TypeError(`${name} was called as a generator function, but returned ${result === null ? "null" : typeof result}, not a generator`);
}

function itemOf(taskId: string, index: number, r: ReturnValue): GeneratorItem {
  const item: GeneratorItem = { taskId, index };
  if (r.value !== undefined) item.value = r.value;
  if (r.nodeId !== undefined) item.nodeId = r.nodeId;
  if (r.size !== undefined) item.size = r.size;
  if (r.contained !== undefined) item.contained = r.contained;
  return item;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}
