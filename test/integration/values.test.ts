/**
 * No value is silently changed in transit (issue 13, point 13), through the public API:
 * instances of classes declared at a module's top level arrive with their prototype, in
 * workers and back in the driver, through put/get, task arguments and results, and actor
 * calls; values that cannot travel throw a SerializationError at `put`, at the call or at
 * the return, naming their path.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { fixtures, runScript } from "./helpers.js";
import { Envelope, Point, TreeNode } from "./fixtures/values-classes.js";
import { ShelfActor, describePoint, grow, makeLocal, reseal, returnsGenerator, shifted, summarize, takesAnything } from "./fixtures/values-defs.js";

function result<T>(stdout: string): T {
  const m = /^RESULT (.*)$/m.exec(stdout);
  assert.ok(m !== null, `no RESULT line in output:\n${stdout}`);
  return JSON.parse(m[1] as string) as T;
}

function isSerializationError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof lux.SerializationError, `expected lux.SerializationError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  };
}

describe("values in transit", () => {
  before(async () => {
    await lux.init({ numCpus: 2 });
  });
  after(async () => {
    await lux.shutdown();
  });

  test("class instances keep their prototype (Ray: pickled class instances)", async () => {
    // The worker has not imported values-classes.ts: it loads it to rebuild the argument.
    const seen = await lux.get(describePoint.remote(new Point(3, 4)));
    assert.deepEqual(seen, { className: "Point", norm: 5, sum: 7, ownKeys: ["x", "y"] });

    const moved = await lux.get(shifted.remote(new Point(1, 2), 10));
    assert.ok(moved instanceof Point, "a result made from the class the worker received");
    assert.equal(moved.norm(), Math.hypot(11, 2));

    const stored = await lux.get(lux.put({ p: new Point(6, 8) }));
    assert.ok(stored.p instanceof Point);
    assert.equal(stored.p.sum, 14);

    // A class the module does not export: the driver finds it in the module's scope.
    const stats = await lux.get(summarize.remote([1, 2, 3, 6]));
    assert.equal(stats.constructor.name, "Stats");
    assert.equal(stats.mean(), 3);
  });

  test("instances shared or in cycles stay one object each, both ways (Ray: pickle keeps references)", async () => {
    const root = new TreeNode("root");
    root.add(new TreeNode("a"));
    root.add(new TreeNode("b"));
    const { root: back, first, parentsHold } = await lux.get(grow.remote(root));
    assert.equal(parentsHold, true, "on the worker, children point at their parent");
    assert.ok(back instanceof TreeNode);
    assert.equal(back.children[0], first, "the same instance returned twice");
    assert.ok(first instanceof TreeNode);
    assert.equal(first.parent, back);
    const grown = first.children[0];
    assert.ok(grown instanceof TreeNode);
    assert.equal(grown.name, "a/grown");
    assert.equal(grown.parent, first);
  });

  test("ObjectRefs inside class instances travel as refs, both ways (Ray: nested ObjectRefs)", async () => {
    const { described, resealed } = await lux.get(reseal.remote(new Envelope("a", lux.put([1, 2, 3]))));
    assert.equal(described, "envelope a", "the worker called the class's method");
    assert.ok(resealed instanceof Envelope);
    assert.equal(resealed.describe(), "envelope a+");
    assert.ok(resealed.payload instanceof lux.ObjectRef);
    assert.deepEqual(await lux.get(resealed.payload), [2, 4, 6]);
  });

  test("actors take and return class instances (Ray: pickled class instances)", async () => {
    const shelf = ShelfActor.remote();
    await lux.get(shelf.put.remote(new Point(1, 1)));
    await lux.get(shelf.put.remote({ nested: [new Point(2, 2)] }));
    const items = (await lux.get(shelf.all.remote())) as [Point, { nested: Point[] }];
    assert.ok(items[0] instanceof Point);
    assert.ok(items[1].nested[0] instanceof Point);
    assert.equal(items[1].nested[0].norm(), Math.hypot(2, 2));
  });

  test("values that cannot travel throw SerializationError at put, at the call and at the return, naming their path", async () => {
    assert.throws(
      () => lux.put({ rows: [makeLocal()] }),
      isSerializationError(/^cannot send the value passed to put: value\.rows\[0\] is an instance of Local, which Lux cannot find at the top level of values-defs\.ts/),
    );
    assert.throws(() => lux.put({ cache: new WeakMap() }), isSerializationError(/value\.cache is a WeakMap/));
    assert.throws(() => lux.put(Promise.resolve(1)), isSerializationError(/value is a Promise/));
    assert.throws(() => lux.put({ gen: (function* () {})() }), isSerializationError(/value\.gen is a generator/));
    assert.throws(
      () => takesAnything.remote({ it: new Map([[1, 2]]).entries() }),
      isSerializationError(/^cannot send argument 1 of takesAnything: args\[0\]\.it is an iterator \(Map Iterator\)/),
    );
    assert.throws(() => takesAnything.remote([Symbol("s")]), isSerializationError(/argument 1 of takesAnything: args\[0\]\[0\] is a symbol/));
    assert.throws(() => takesAnything.remote({ onDone: () => 1 }), isSerializationError(/args\[0\]\.onDone is a function/));
    assert.throws(() => takesAnything.remote({ seen: new WeakSet() }), isSerializationError(/args\[0\]\.seen is a WeakSet/));
    await assert.rejects(
      lux.get(returnsGenerator.remote()),
      isSerializationError(/^cannot send the return value of returnsGenerator: result\.items\[3\]\.gen is a generator/),
    );
  });

  test("actor calls refuse what cannot travel, at the call and at the return (Ray: unpicklable arguments and results)", async () => {
    const shelf = ShelfActor.remote();
    assert.throws(() => shelf.put.remote({ pending: Promise.resolve(1) }), isSerializationError(/^cannot send argument 1 of .*put: args\[0\]\.pending is a Promise/));
    await lux.get(shelf.put.remote(1));
    await assert.rejects(lux.get(shelf.cursor.remote()), isSerializationError(/return value of .*cursor: result\.rest is an iterator \(Array Iterator\)/));
    assert.equal((await lux.get(shelf.all.remote())).length, 1, "the actor lives on after a refused return");
  });
});

describe("entry scripts and class instances", () => {
  test("an entry script with lux.main: instances of its top-level classes travel both ways (Ray: pickled class instances)", async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "values-main.ts"));
    assert.equal(code, 0, stderr);
    const r = result<{
      workerSawReading: boolean;
      returned: { isReading: boolean; f: number };
      fromInside: { isReading: boolean; f: number }[];
      stored: { isReading: boolean; f: number };
    }>(stdout);
    assert.equal(r.workerSawReading, true, "the worker's task sees an instance of its own copy of the class");
    assert.deepEqual(r.returned, { isReading: true, f: 21 * 1.8 + 32 });
    assert.deepEqual(r.fromInside, [
      { isReading: true, f: 212 },
      { isReading: true, f: 32 },
    ], "a function defined inside lux.main's body gets instances of the script's class");
    assert.deepEqual(r.stored, { isReading: true, f: -40 });
  });

  test("the same in plain JavaScript without a loader: an instance made in the worker's second copy of the script comes back as the driver's class", async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "values-main-plain.mjs"), { loader: false });
    assert.equal(code, 0, stderr);
    const r = result<{ fromTop: { isReading: boolean; f: number }; fromInside: { isReading: boolean; f: number }; bodyRuns: number }>(stdout);
    assert.deepEqual(r.fromTop, { isReading: true, f: 21 * 1.8 + 32 });
    assert.deepEqual(r.fromInside, { isReading: true, f: 212 });
    assert.equal(r.bodyRuns, 1, "the driver evaluated its script once");
  });

  test("an entry script without lux.main: instances of its classes are refused at the call, advising lux.main", async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "values-entry.ts"));
    assert.equal(code, 0, stderr);
    const r = result<{ call: { error?: string; message?: string }; put: { error?: string; message?: string }; workerImports: number }>(stdout);
    assert.equal(r.call.error, "SerializationError");
    assert.match(r.call.message ?? "", /args\[0\]\.readings\[0\] is an instance of Reading, which is defined in the entry script \(values-entry\.ts\).*Wrap the script's main code in lux\.main/);
    assert.equal(r.put.error, "SerializationError");
    assert.match(r.put.message ?? "", /value is an instance of Reading, which is defined in the entry script/);
    assert.equal(r.workerImports, 0, "no worker evaluated the script");
  });
});
