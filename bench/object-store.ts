/**
 * The object store on one node, with a 256 MiB Float64Array, beside memcpy measured in
 * the same run: `npx tsx bench/object-store.ts [--runs N]` (part of `npm run bench`).
 *   memcpy              copy into an already-used array (warm pages)
 *   put                 lux.put (one copy into the node's shared-memory arena)
 *   get                 lux.get on the same node (a mapping of the arena: no copy)
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lux from "lux";
import { flag } from "./flags.js";


lux.main(async () => {
  await lux.init({ numCpus: 1 });
  await objectStore(flag("runs", 5));
});

/** A full collection, so refs dropped by the previous run free their objects (and warm pages are reused). */
const gc: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

async function objectStore(runs: number): Promise<void> {
  const bytes = 256 * 1024 * 1024;
  const src = new Float64Array(bytes / 8).fill(1.5);
  const dst = new Float64Array(bytes / 8).fill(0);
  const gbps = (seconds: number): number => bytes / seconds / 1e9;
  const time = async (fn: () => unknown): Promise<number> => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const memcpy: number[] = [];
  const put: number[] = [];
  const get: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const m = await time(() => dst.set(src));
    let ref: lux.ObjectRef<Float64Array> | undefined;
    const p = await time(() => (ref = lux.put(src)));
    let view: Float64Array | undefined;
    const g = await time(async () => (view = await lux.get(ref as lux.ObjectRef<Float64Array>)));
    if (view?.[bytes / 8 - 1] !== 1.5) throw new Error("object store bench read a wrong value");
    if (i > 0) (memcpy.push(gbps(m)), put.push(gbps(p)), get.push(gbps(g)));
    ref = undefined;
    view = undefined;
    gc();
    await new Promise((r) => setTimeout(r, 50)); // let the store free the object before the next put
  }
  const copy = median(memcpy);
  console.log(`object store, 256 MiB Float64Array (median of ${runs}):`);
  console.log(`${"memcpy".padEnd(20)} ${copy.toFixed(2).padStart(8)} GB/s`);
  console.log(`${"put".padEnd(20)} ${median(put).toFixed(2).padStart(8)} GB/s  (${((median(put) / copy) * 100).toFixed(0)}% of memcpy)`);
  console.log(`${"get (same node)".padEnd(20)} ${median(get).toFixed(2).padStart(8)} GB/s  (${(median(get) / copy).toFixed(0)}x memcpy: a view, no copy)`);
}
