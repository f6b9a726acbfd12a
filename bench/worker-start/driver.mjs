// One measurement of bench/worker-start.ts: lux.init({ numCpus: N }) on a fresh private
// cluster, then N tasks that each hold their worker for a while; prints, as JSON, how long
// after the init call the last of them started (every task running at once) and when the
// first result came back. Plain JavaScript so that it runs with and without tsx's loader.
import * as lux from "lux";

const n = Number(process.argv[2] ?? 8);
const holdMs = 300;

const hold = lux.remote(async (ms) => {
  const started = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return started;
});

const t0 = Date.now();
await lux.init({ numCpus: n });
const initMs = Date.now() - t0;
const starts = await lux.get(Array.from({ length: n }, () => hold.remote(holdMs)));
const allRunningMs = Math.max(...starts) - t0;
await lux.shutdown();
console.log(JSON.stringify({ initMs, allRunningMs }));
