/**
 * Quick start: a private local cluster, tasks, an actor and put/get.
 * Run with `npm start` (or `npx tsx examples/quickstart.ts`).
 */
import * as lux from "lux";

const square = lux.remote((x: number) => x * x);

class Counter {
  n = 0;
  incr(by = 1): number {
    return (this.n += by);
  }
}
const CounterActor = lux.remote(Counter);

lux.main(async () => {
  const { address } = await lux.init({ numCpus: 2 });
  console.log(`cluster at ${address}`);

  const squares = await lux.get([1, 2, 3, 4].map((x) => square.remote(x)));
  console.log("squares:", squares);

  const counter = CounterActor.remote();
  await lux.get([counter.incr.remote(), counter.incr.remote(2)]);
  console.log("counter:", await lux.get(counter.incr.remote(3)));

  const ref = lux.put({ greeting: "hello", data: new Float64Array([1.5, 2.5]) });
  console.log("put/get:", await lux.get(ref));
  // lux.main shuts the cluster down when this function returns.
});
