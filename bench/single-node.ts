/**
 * The workloads of Ray's `single_node` release test (its figures: RAY-REFERENCE §4), for
 * bench/scale.ts: a task with 10,000 ref arguments, a task with 3,000 returns, a get of
 * 10,000 objects, and a large put+get through a store smaller than the data (spilling).
 */
import * as lux from "lux";

const sumArgs = lux.remote(function sumArgs(...xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
});

const manyOut = lux.remote(function manyOut(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
});

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`single_node: wrong result: ${what}`);
}

/** One task given `n` refs (of small put objects) as arguments: seconds from the puts to its result. */
export async function manyArgs(n: number): Promise<{ args: number; seconds: number }> {
  const start = process.hrtime.bigint();
  const refs = Array.from({ length: n }, () => lux.put(1));
  const sum = await lux.get(sumArgs.remote(...(refs as unknown as number[])));
  const time = seconds(start);
  check(sum === n, `sum of ${n} ones is ${sum}`);
  return { args: n, seconds: time };
}

/** One task with `n` returns: seconds until every return is gotten. */
export async function manyReturns(n: number): Promise<{ returns: number; seconds: number }> {
  const start = process.hrtime.bigint();
  const refs = manyOut.options({ numReturns: n }).remote(n) as unknown as lux.ObjectRef<number>[];
  const values = await lux.get(refs);
  const time = seconds(start);
  check(values.length === n && values[n - 1] === n - 1, `${n} returns`);
  return { returns: n, seconds: time };
}

/** `n` small objects put, then gotten in one get: seconds for both. */
export async function getMany(n: number): Promise<{ objects: number; seconds: number }> {
  const start = process.hrtime.bigint();
  const refs = Array.from({ length: n }, (_, i) => lux.put(i));
  const values = await lux.get(refs);
  const time = seconds(start);
  check(values[n - 1] === n - 1, `${n} objects`);
  return { objects: n, seconds: time };
}

/**
 * `totalBytes` put as objects of `objectBytes` (each filled with its index), all refs kept,
 * through a store of less than that (objects spill to disk), then each gotten back and
 * checked: seconds and GB/s for the whole.
 */
export async function largePutGet(totalBytes: number, objectBytes: number): Promise<{ bytes: number; seconds: number; gigabytes_per_second: number }> {
  const count = Math.ceil(totalBytes / objectBytes);
  const start = process.hrtime.bigint();
  const refs: lux.ObjectRef<Uint8Array>[] = [];
  for (let i = 0; i < count; i++) refs.push(lux.put(new Uint8Array(objectBytes).fill(i % 251)));
  for (let i = 0; i < count; i++) {
    const value = await lux.get(refs[i] as lux.ObjectRef<Uint8Array>);
    check(value.length === objectBytes && value[0] === i % 251 && value[objectBytes - 1] === i % 251, `object ${i}`);
  }
  const time = seconds(start);
  const bytes = count * objectBytes;
  return { bytes, seconds: time, gigabytes_per_second: (2 * bytes) / time / 1e9 };
}
