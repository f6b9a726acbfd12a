/**
 * `DataIterator`: one split of `streamingSplit(n)`. A small value that travels to other
 * processes (give each to one consumer, e.g. a training actor): it reads its blocks from the
 * split's coordinator actor, one epoch per `iterBatches`.
 */
import * as lux from "lux";
import { Batcher } from "./batcher.js";
import { toFormat } from "./batch.js";
import { decodeBlock, type EncodedBlock } from "./block.js";
import type { IterBatchesOptions } from "./consume.js";
import { checkBatchFormat, checkBatchSize } from "./options.js";
import type { StoredBlock } from "./plan.js";
import type { SplitCoordinator } from "./split-coordinator.js";
import type { BatchFormat, BatchOf, Row } from "./types.js";

/** The coordinator's own errors reach the reader as they are (not as the TaskError of its call). */
async function call<T>(ref: lux.ObjectRef<T>): Promise<T> {
  try {
    return await lux.get(ref);
  } catch (e) {
    if (e instanceof lux.TaskError && e.cause instanceof lux.DataIteratorError) throw e.cause;
    throw e;
  }
}

export class DataIterator<R extends Row = Record<string, unknown>> {
  constructor(
    readonly coordinator: lux.ActorHandle<SplitCoordinator>,
    /** Which split this is (0 … n-1). */
    readonly split: number,
  ) {}

  /** The split's blocks of one epoch (a new execution), one after the other, each fetched as the previous is read. */
  private async *blocks(): AsyncGenerator<StoredBlock> {
    const epoch = await call(this.coordinator.start.remote(this.split));
    try {
      let next = this.coordinator.next.remote(this.split, epoch);
      for (;;) {
        const block = await call(next);
        if (block === null) return;
        next = this.coordinator.next.remote(this.split, epoch);
        yield block;
      }
    } finally {
      await lux.get(this.coordinator.finish.remote(this.split));
    }
  }

  /** Batches of this split's rows (options as Dataset.iterBatches). */
  async *iterBatches<F extends BatchFormat = "columns">(options: IterBatchesOptions<F> = {}): AsyncGenerator<BatchOf<R, F>> {
    const format = checkBatchFormat(options.batchFormat);
    const batchSize = options.batchSize === null ? undefined : (checkBatchSize(options.batchSize) ?? 256);
    const batcher = new Batcher({ batchSize, dropLast: options.dropLast === true, shuffleBufferSize: options.localShuffleBufferSize, shuffleSeed: options.localShuffleSeed });
    for await (const block of this.blocks()) {
      batcher.add(decodeBlock(await lux.get(block.ref as lux.ObjectRef<EncodedBlock>)));
      for (const batch of batcher.take(false)) yield toFormat(batch, format) as BatchOf<R, F>;
    }
    for (const batch of batcher.take(true)) yield toFormat(batch, format) as BatchOf<R, F>;
  }

  /** This split's rows, one at a time. */
  async *iterRows(): AsyncGenerator<R> {
    for await (const rows of this.iterBatches({ batchFormat: "rows", batchSize: null })) yield* rows;
  }
}
