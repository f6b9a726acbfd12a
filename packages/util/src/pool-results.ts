import { TaskError } from "@lux/core";
import type { ChunkFailure, ChunkOutcome } from "./pool-worker.js";

/** How a chunk ended: its values, or the error to throw (already made readable). */
type Settled = { readonly values: unknown[] } | { readonly error: unknown };

/** Names for the errors of one map call. */
export interface FailureNames {
  /** The pool's function, as lux.remote would name it. */
  readonly fn: string;
  /** The pool's initializer's name, if it has one. */
  readonly initializer: string | undefined;
}

/**
 * The results of one map call's chunks as they arrive, read in one of three ways: all at
 * once in input order (`all`), chunk by chunk in input order (`ordered`) or as they come
 * (`unordered`). A failed item becomes a TaskError naming its index.
 */
export class ChunkResults {
  private readonly settled: (Settled | undefined)[];
  /** Chunk numbers in the order they settled. */
  private readonly arrivals: number[] = [];
  private wake: (() => void) | undefined;

  constructor(
    readonly count: number,
    private readonly names: FailureNames,
  ) {
    this.settled = new Array<Settled | undefined>(count);
  }

  settle(chunk: number, outcome: ChunkOutcome | { readonly error: unknown }): void {
    this.settled[chunk] = "failure" in outcome ? { error: this.failed(outcome.failure) } : outcome;
    this.arrivals.push(chunk);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Every value in input order; rejects with the first failure to arrive. */
  async all(): Promise<unknown[]> {
    for await (const _ of this.unordered()) {
      // Drained for the failures: the values are read below, in input order.
    }
    return this.settled.flatMap((s) => (s as { values: unknown[] }).values);
  }

  /** Values in input order, each chunk's once it and all before it arrived. */
  async *ordered(): AsyncIterableIterator<unknown> {
    for (let chunk = 0; chunk < this.count; chunk++) {
      while (this.settled[chunk] === undefined) await this.arrival();
      yield* valuesOf(this.settled[chunk] as Settled);
    }
  }

  /** Values chunk by chunk as chunks arrive (input order within a chunk). */
  async *unordered(): AsyncIterableIterator<unknown> {
    for (let read = 0; read < this.count; read++) {
      while (this.arrivals.length <= read) await this.arrival();
      yield* valuesOf(this.settled[this.arrivals[read] as number] as Settled);
    }
  }

  private arrival(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private failed(f: ChunkFailure): TaskError {
    const functionName = f.index < 0 ? `${this.names.initializer ?? "<anonymous>"} (the pool's initializer)` : `${this.names.fn} on item ${f.index}`;
    return new TaskError({ taskId: f.taskId, functionName, cause: f.error });
  }
}

function valuesOf(s: Settled): unknown[] {
  if ("error" in s) throw s.error;
  return s.values;
}

/** `items` cut into runs of `size`, each with the position of its first item. */
export function chunksOf<T>(items: readonly T[], size: number): { start: number; items: T[] }[] {
  const chunks: { start: number; items: T[] }[] = [];
  for (let start = 0; start < items.length; start += size) chunks.push({ start, items: items.slice(start, start + size) });
  return chunks;
}
