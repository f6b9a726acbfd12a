/**
 * Re-cuts a stream of tables into batches of `batchSize` rows (the last may be smaller unless
 * `dropLast`), optionally mixing rows in a local shuffle buffer of at least
 * `localShuffleBufferSize` rows (seeded by `localShuffleSeed`).
 */
import type { Table } from "apache-arrow";
import { concatTables } from "./block.js";
import { seededRandom } from "./table-ops.js";
import { takeRows } from "./take.js";

export interface BatcherOptions {
  readonly batchSize: number | undefined;
  readonly dropLast: boolean;
  readonly shuffleBufferSize: number | undefined;
  readonly shuffleSeed: number | undefined;
}

export class Batcher {
  private buffer: Table[] = [];
  private rows = 0;
  private readonly random: (() => number) | undefined;

  constructor(private readonly options: BatcherOptions) {
    this.random = options.shuffleBufferSize === undefined ? undefined : seededRandom(options.shuffleSeed ?? Math.floor(Math.random() * 2 ** 31));
  }

  add(table: Table): void {
    if (table.numRows === 0) return;
    this.buffer.push(table);
    this.rows += table.numRows;
  }

  /** Batches ready now; at the end (`final`), the rest. */
  *take(final: boolean): Generator<Table> {
    const size = this.options.batchSize;
    if (size === undefined) {
      if (this.random === undefined || final || this.rows >= (this.options.shuffleBufferSize ?? 0)) {
        const all = this.drain(this.rows);
        if (all !== undefined) yield all;
      }
      return;
    }
    const floor = this.random === undefined ? size : Math.max(size, this.options.shuffleBufferSize ?? 0);
    while (this.rows >= floor || (final && this.rows > 0)) {
      if (this.rows < size && this.options.dropLast) {
        this.buffer = [];
        this.rows = 0;
        return;
      }
      const batch = this.drain(Math.min(size, this.rows));
      if (batch !== undefined) yield batch;
    }
  }

  /** The next `n` rows (random ones, when shuffling). */
  private drain(n: number): Table | undefined {
    if (n === 0) return undefined;
    const all = concatTables(this.buffer);
    if (this.random !== undefined) {
      const order = Array.from({ length: all.numRows }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      const mixed = takeRows(all, order);
      this.buffer = mixed.numRows > n ? [mixed.slice(n)] : [];
      this.rows = mixed.numRows - n;
      return mixed.slice(0, n);
    }
    this.buffer = all.numRows > n ? [all.slice(n)] : [];
    this.rows = all.numRows - n;
    return all.slice(0, n);
  }
}
