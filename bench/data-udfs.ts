/** The functions bench/data.ts gives to @lux/data (a small module: workers import it to find them). */
import type * as data from "@lux/data";

/** About a microsecond of arithmetic per value. */
export function work(x: number): number {
  let y = x;
  for (let i = 0; i < 24; i++) y = Math.sin(y) + 1;
  return y;
}

export function cpuBound(batch: data.ColumnsBatch<{ id: number }>): { y: Float64Array } {
  const ids = batch.id;
  const y = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) y[i] = work(ids[i] as number);
  return { y };
}

export function identity(batch: data.ColumnsBatch<{ id: number }>): data.ColumnsBatch<{ id: number }> {
  return batch;
}
