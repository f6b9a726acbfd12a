/**
 * Issue 15 point 5: `lux.util.ActorPool` (Ray's ActorPool): map in input order, mapUnordered,
 * submit / getNext / getNextUnordered with timeouts, hasNext, hasFree, popIdle, push; a
 * throwing call rejects its item with TaskError and its actor returns to the pool.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { DoublerActor, type Doubler } from "./fixtures/util-defs.js";
import { collect, waitFor } from "./helpers.js";

type Handle = lux.ActorHandle<Doubler>;
const DEADLINE = { timeoutMs: 60_000 };

let actors: Handle[] = [];

before(async () => {
  await lux.init({ numCpus: 2 });
  actors = [0, 1, 2].map(() => DoublerActor.remote());
  await lux.get(actors.map((a) => a.pid.remote()), DEADLINE);
});

after(async () => {
  await lux.shutdown();
});

const double = (a: Handle, x: number) => a.double.remote(x);

test("map yields results (values) in input order; every actor takes part", async () => {
  const pool = new lux.util.ActorPool(actors);
  const values = Array.from({ length: 30 }, (_, i) => i);
  assert.deepEqual(await collect(pool.map(double, values)), values.map((x) => 2 * x));
  const counts = await lux.get(actors.map((a) => a.count.remote()));
  assert.ok(counts.every((c) => c > 0), `each actor ran some values: ${counts.join(", ")}`);
  assert.equal(pool.hasNext(), false);
  assert.equal(pool.hasFree(), true);
});

test("mapUnordered yields each result as it is ready", async () => {
  const pool = new lux.util.ActorPool(actors);
  // The first value is the slowest: in order it would come first, unordered it comes last.
  const values = [{ x: 0, ms: 800 }, { x: 1, ms: 0 }, { x: 2, ms: 0 }, { x: 3, ms: 0 }];
  const got = await collect(pool.mapUnordered((a, v) => a.slow.remote(v), values));
  assert.deepEqual([...got].sort(), [0, 1, 2, 3]);
  assert.equal(got[got.length - 1], 0, `the slow one last: ${got.join(", ")}`);
  assert.deepEqual(await collect(pool.map((a, v) => a.slow.remote(v), values)), [0, 1, 2, 3], "map keeps input order");
});

test("submit and getNext: in submission order, queued beyond the free actors; hasNext and hasFree follow", async () => {
  const pool = new lux.util.ActorPool<Handle, number>(actors);
  assert.equal(pool.hasNext(), false);
  for (let i = 0; i < 5; i++) pool.submit(double, i); // 3 run, 2 wait for an actor
  assert.equal(pool.hasFree(), false);
  assert.equal(pool.hasNext(), true);
  const got: number[] = [];
  while (pool.hasNext()) got.push(await pool.getNext(DEADLINE));
  assert.deepEqual(got, [0, 2, 4, 6, 8]);
  assert.equal(pool.hasFree(), true);
});

test("getNextUnordered takes the first ready result", async () => {
  const pool = new lux.util.ActorPool<Handle, number>(actors);
  pool.submit((a, v) => a.slow.remote(v), { x: 1, ms: 1500 });
  pool.submit((a, v) => a.slow.remote(v), { x: 2, ms: 0 });
  assert.equal(await pool.getNextUnordered(DEADLINE), 2);
  assert.equal(await pool.getNextUnordered(DEADLINE), 1);
  assert.equal(pool.hasNext(), false);
});

test("getNext with nothing pending throws TypeError; a timeout throws GetTimeoutError and the result stays pending", async () => {
  const pool = new lux.util.ActorPool<Handle, number>(actors);
  await assert.rejects(pool.getNext(), (e: unknown) => e instanceof TypeError && /no result is pending/.test(e.message));
  await assert.rejects(pool.getNextUnordered(), TypeError);
  pool.submit((a, v) => a.slow.remote(v), { x: 7, ms: 1500 });
  await assert.rejects(pool.getNext({ timeoutMs: 50 }), lux.GetTimeoutError);
  await assert.rejects(pool.getNextUnordered({ timeoutMs: 50 }), lux.GetTimeoutError);
  assert.equal(pool.hasNext(), true, "the timed-out result is still pending");
  assert.equal(await pool.getNext(DEADLINE), 7);
  await assert.rejects(pool.getNext({ timeoutMs: -1 }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "timeoutMs");
});

test("a throwing call rejects its item with TaskError; its actor returns to the pool and the next items run", async () => {
  const pool = new lux.util.ActorPool<Handle, number>([actors[0] as Handle]); // one actor: the failure must hand it back
  for (const x of [1, -1, 2, 3]) pool.submit(double, x);
  assert.equal(await pool.getNext(DEADLINE), 2);
  await assert.rejects(pool.getNext(DEADLINE), (e: unknown) => {
    assert.ok(e instanceof lux.TaskError, String(e));
    assert.equal(e.cause.name, "RangeError");
    assert.match(e.cause.message, /negative: -1/);
    return true;
  });
  assert.equal(await pool.getNext(DEADLINE), 4);
  assert.equal(await pool.getNext(DEADLINE), 6);
  assert.equal(pool.hasFree(), true);
  // map: the iteration throws at the failing item; the pool stays usable.
  await assert.rejects(collect(pool.map(double, [1, -2, 3])), lux.TaskError);
  assert.deepEqual(await collect(pool.map(double, [5])), [10]);
});

test("popIdle takes an idle actor out; push adds one (and runs a queued value on it); a member cannot be pushed twice", async () => {
  const pool = new lux.util.ActorPool<Handle, number>(actors.slice(0, 2));
  const taken = pool.popIdle();
  assert.ok(taken !== undefined);
  const other = pool.popIdle();
  assert.ok(other !== undefined && other !== taken);
  assert.equal(pool.popIdle(), undefined, "no idle actor left");
  assert.equal(pool.hasFree(), false);
  pool.submit(double, 21); // queued: no actor
  assert.equal(pool.hasFree(), false);
  pool.push(taken); // runs the queued value
  assert.equal(await pool.getNext(DEADLINE), 42);
  assert.throws(() => pool.push(taken), TypeError);
  pool.push(other);
  assert.equal(pool.hasFree(), true);
  // With every actor taken out, a queued value has nothing to run it: getNext says so.
  pool.popIdle();
  pool.popIdle();
  pool.submit(double, 1);
  assert.equal(pool.hasNext(), true);
  await assert.rejects(pool.getNext(), (e: unknown) => e instanceof TypeError && /no actor to run them; push\(\) one/.test(e.message));
  pool.push(taken);
  assert.equal(await pool.getNext(DEADLINE), 2);
});

test("leaving map early drops its other results; the actors come back once their calls finish", async () => {
  const pool = new lux.util.ActorPool<Handle, number>(actors);
  for await (const v of pool.map((a, x) => a.slow.remote(x), [{ x: 1, ms: 0 }, { x: 2, ms: 300 }, { x: 3, ms: 300 }, { x: 4, ms: 0 }])) {
    assert.equal(v, 1);
    break;
  }
  assert.equal(pool.hasNext(), false, "the other results were dropped");
  const back = new Set<Handle>();
  await waitFor(() => {
    for (let a = pool.popIdle(); a !== undefined; a = pool.popIdle()) back.add(a);
    return back.size === 3;
  }, "the three actors to come back to the pool");
});
