/**
 * One startup measurement, in a fresh process (`lux microbenchmark` runs it as a child):
 * `lux.init()` on a new private cluster until the first task's result is back. Prints
 * `{"seconds": ...}` on stdout.
 */
import "../register-launcher.js";
import * as lux from "@lux/core";

const first = lux.remote(function first(): number {
  return 1;
});

lux.main(async () => {
  const start = process.hrtime.bigint();
  await lux.init({ address: "" });
  const value = await lux.get(first.remote());
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (value !== 1) throw new lux.LuxError(`the first task returned ${value}, not 1`);
  process.stdout.write(`${JSON.stringify({ seconds })}\n`);
});
