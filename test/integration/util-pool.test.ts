/**
 * Issue 15 point 7: `lux.util.Pool`, a process pool on actors (Python's multiprocessing.Pool,
 * Ray's ray.util.multiprocessing.Pool): map with chunksize, imap, imapUnordered, starmap,
 * apply, applyAsync (an ObjectRef), close/terminate/join; the function ships as lux.remote
 * ships one (a top-level function of a module, with its module's state); the initializer runs
 * in each actor; maxTasksPerChild replaces actors; a throwing item rejects naming its index.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import * as lux from "lux";
import { add, failOn13, failingInit, greet, pid, setGreeting, slowSquare, square } from "./fixtures/util-defs.js";
import { collect } from "./helpers.js";

const CPUS = 3;
let pools: lux.util.Pool[] = [];

/** A pool terminated after the test, whatever happens. */
function pool(options: lux.util.PoolOptions = {}): lux.util.Pool {
  const p = new lux.util.Pool(options);
  pools.push(p);
  return p;
}

before(async () => {
  await lux.init({ numCpus: CPUS });
});

afterEach(async () => {
  await Promise.all(pools.map((p) => p.terminate()));
  pools = [];
});

after(async () => {
  await lux.shutdown();
});

test("map runs a module's function over the items, in input order, whatever the chunksize", async () => {
  const p = pool({ processes: 2 });
  const items = Array.from({ length: 101 }, (_, i) => i);
  const squares = items.map((x) => x * x);
  assert.deepEqual(await p.map(square, items), squares);
  assert.deepEqual(await p.map(square, items, { chunksize: 1 }), squares);
  assert.deepEqual(await p.map(square, items, { chunksize: 1000 }), squares);
  assert.deepEqual(await p.map(slowSquare, new Set([1, 2, 3, 4, 5])), [1, 4, 9, 16, 25], "async functions and any iterable");
  assert.deepEqual(await p.map(square, []), []);
  await assert.rejects(p.map(square, [1], { chunksize: 0 }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "chunksize");
});

test("the default processes is the cluster's CPUs, each a process of its own", async () => {
  const p = pool();
  const pids = new Set(await p.map(pid, Array.from({ length: 60 }, (_, i) => i), { chunksize: 1 }));
  assert.equal(pids.size, CPUS, `one process per CPU: ${[...pids].join(", ")}`);
});

test("imap yields in input order, imapUnordered as results are ready; starmap spreads each item as arguments", async () => {
  const p = pool({ processes: 2 });
  const items = Array.from({ length: 20 }, (_, i) => i);
  assert.deepEqual(await collect(p.imap(slowSquare, items, { chunksize: 2 })), items.map((x) => x * x));
  const unordered = await collect(p.imapUnordered(slowSquare, items, { chunksize: 2 }));
  assert.deepEqual([...unordered].sort((a, b) => a - b), items.map((x) => x * x));
  assert.deepEqual(await p.starmap(add, [[1, 2], [3, 4], [5, 6]]), [3, 7, 11]);
});

test("apply runs once; applyAsync returns an ObjectRef at once", async () => {
  const p = pool({ processes: 2 });
  assert.equal(await p.apply(add, [20, 22]), 42);
  const ref = p.applyAsync(square, [9]);
  assert.ok(ref instanceof lux.ObjectRef);
  assert.equal(await lux.get(ref), 81);
  await assert.rejects(lux.get(p.applyAsync(failOn13, [13])), (e: unknown) => e instanceof lux.TaskError && e.cause.name === "TypeError");
});

test("a throwing item rejects map with a TaskError naming its index; the pool stays usable", async () => {
  const p = pool({ processes: 2 });
  const items = Array.from({ length: 30 }, (_, i) => i);
  await assert.rejects(p.map(failOn13, items, { chunksize: 4 }), (e: unknown) => {
    assert.ok(e instanceof lux.TaskError, String(e));
    assert.match(e.message, /failOn13 on item 13/);
    assert.equal(e.cause.name, "TypeError");
    assert.match(e.cause.message, /unlucky 13/);
    return true;
  });
  await assert.rejects(collect(p.imap(failOn13, items)), /on item 13/);
  assert.deepEqual(await p.map(failOn13, [1, 2]), [1, 2]);
});

test("the initializer runs in each actor with initargs; the function sees the module state it set", async () => {
  const p = pool({ processes: 2, initializer: setGreeting, initargs: ["hello", ","] });
  assert.deepEqual(await p.map(greet, ["ada", "bob", "cy"], { chunksize: 1 }), ["hello, ada", "hello, bob", "hello, cy"]);
  const failing = pool({ processes: 1, initializer: failingInit });
  await assert.rejects(failing.map(square, [1, 2]), (e: unknown) => {
    assert.ok(e instanceof lux.TaskError, String(e));
    assert.match(e.message, /failingInit \(the pool's initializer\)/);
    assert.match(e.cause.message, /cannot initialize/);
    return true;
  });
});

test("maxTasksPerChild replaces an actor after that many chunks", async () => {
  const p = pool({ processes: 1, maxTasksPerChild: 2, initializer: setGreeting, initargs: ["hi", "!"] });
  const pids = await p.map(pid, Array.from({ length: 6 }, (_, i) => i), { chunksize: 1 });
  // Chunks 0-1 in the first process, 2-3 in the second, 4-5 in the third.
  assert.equal(new Set(pids).size, 3, `three processes: ${pids.join(", ")}`);
  assert.equal(pids[0], pids[1]);
  assert.equal(pids[2], pids[3]);
  assert.notEqual(pids[1], pids[2]);
  assert.deepEqual(await p.map(greet, ["x"]), ["hi! x"], "a replacement ran the initializer too");
});

test("after close, new work throws; join waits for the work given, then ends the actors", async () => {
  const p = pool({ processes: 2 });
  const pending = p.map(slowSquare, [1, 2, 3, 4, 5, 6]);
  const ref = p.applyAsync(square, [7]);
  p.close();
  await assert.rejects(p.map(square, [1]), (e: unknown) => e instanceof TypeError && /closed pool/.test(e.message));
  assert.throws(() => p.applyAsync(square, [1]), TypeError);
  await assert.rejects(p.apply(square, [1]), TypeError);
  await p.join();
  assert.deepEqual(await pending, [1, 4, 9, 16, 25, 36], "work given before close finished");
  assert.equal(await lux.get(ref), 49);
  await assert.rejects(pool({ processes: 1 }).join(), (e: unknown) => e instanceof TypeError && /close\(\) or terminate\(\) first/.test(e.message));
});

test("terminate ends the actors now: running work fails, and the pool refuses more", async () => {
  const p = pool({ processes: 1 });
  assert.deepEqual(await p.map(square, [2]), [4]);
  // Given before terminate: its items fail, running ones with ActorDiedError, the rest cancelled.
  const running = assert.rejects(p.map(slowSquare, Array.from({ length: 50 }, (_, i) => i), { chunksize: 1 }), (e: unknown) => {
    assert.ok(e instanceof lux.ActorDiedError || e instanceof lux.TaskCancelledError, String(e));
    return true;
  });
  await p.terminate();
  await running;
  await assert.rejects(p.map(square, [1]), TypeError);
  await p.join(); // after terminate: returns
});

test("bad arguments throw at the call site", async () => {
  assert.throws(() => pool({ processes: 0 }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "processes");
  assert.throws(() => pool({ maxTasksPerChild: 1.5 }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "maxTasksPerChild");
  assert.throws(() => pool({ initializer: "setup" as never }), (e: unknown) => e instanceof lux.InvalidOptionError && e.option === "initializer");
  const p = pool({ processes: 1 });
  await assert.rejects(p.map("square" as never, [1]), TypeError);
  await assert.rejects(p.starmap(add, [[1, 2], 3 as never]), /item 1 is not an array/);
});
