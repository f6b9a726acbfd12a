/**
 * lux.ship / lux.loadShipped (grown for @lux/data, issue 18): a function or class shipped as
 * a value travels in task arguments and is loaded back in the worker, in its module's scope (a
 * library's, which has no scope there, as the library's own export).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as rl from "@lux/rl";
import { Scaler, addOffset, applyShipped, closureOver, constructShipped, shortestPathOfShipped } from "./fixtures/ship-defs.js";

before(async () => {
  await lux.init({ numCpus: 2 });
});

after(async () => {
  await lux.shutdown();
});

test("a shipped function runs in a task, with its module's top-level declarations", async () => {
  const shipped = lux.ship(addOffset);
  assert.equal(shipped.name, "addOffset");
  assert.deepEqual(lux.ship(addOffset), shipped, "shipping the same function again gives the same value");
  assert.equal(await lux.get(applyShipped.remote(shipped, 1)), 101);
});

test("a shipped class is loaded as the class itself: new works on it", async () => {
  assert.equal(await lux.get(constructShipped.remote(lux.ship(Scaler), 3, 7)), 21);
});

test("a library's class (here one of @lux/rl's, which uses its module's imports) is loaded as the library's own export", async () => {
  const config: rl.GridWorldConfig = { size: 3, walls: [], pits: [], goal: [2, 2] };
  assert.equal(await lux.get(shortestPathOfShipped.remote(lux.ship(rl.GridWorld), config)), 4);
});

test("a closure's local variables do not travel: the error names the variable", async () => {
  await assert.rejects(lux.get(applyShipped.remote(lux.ship(closureOver(5)), 1)), (e: unknown) => {
    assert.ok(e instanceof lux.TaskError);
    assert.match(String((e.cause as Error).message), /"k"/);
    return true;
  });
});

test("ship refuses what is not a function", () => {
  assert.throws(() => lux.ship(42 as never), TypeError);
});
