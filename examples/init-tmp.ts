import * as lux from "lux";
const t0 = performance.now();
await lux.init({ numCpus: 2 });
const t1 = performance.now();
await lux.get(lux.remote(() => 1).remote());
const t2 = performance.now();
await lux.shutdown();
const t3 = performance.now();
console.log({ init: t1 - t0, firstTask: t2 - t1, shutdown: t3 - t2, sinceStart: performance.now() });
