/**
 * No value is silently changed in transit (issue 13, point 13), through the public API:
 * instances of classes declared at a module's top level arrive with their prototype, in
 * workers and back in the driver, through put/get, task arguments and results, and actor
 * calls; values that cannot travel throw a SerializationError at `put`, at the call or at
 * the return, naming their path.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { Point, TreeNode } from "./fixtures/values-classes.js";
import { ShelfActor, describePoint, grow, returnsGenerator, shifted, summarize, takesAnything } from "./fixtures/values-defs.js";

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
    class Local {
      a = 1;
    }
    assert.throws(() => lux.put({ rows: [new Local()] }), isSerializationError(/value at \.rows\[0\] is an instance of Local, which is not bound under its name at the top level/));
    assert.throws(() => lux.put({ cache: new WeakMap() }), isSerializationError(/value at \.cache is a WeakMap/));
    assert.throws(() => lux.put(Promise.resolve(1)), isSerializationError(/value is a Promise/));
    assert.throws(
      () => takesAnything.remote({ it: new Map([[1, 2]]).entries() }),
      isSerializationError(/^cannot send argument 1 of takesAnything: value at \.it is an iterator \(Map Iterator\)/),
    );
    assert.throws(() => takesAnything.remote([Symbol("s")]), isSerializationError(/argument 1 of takesAnything: value at \[0\] is a symbol/));
    await assert.rejects(lux.get(returnsGenerator.remote()), (e: unknown) => {
      assert.ok(e instanceof lux.TaskError, `expected a TaskError, got ${String(e)}`);
      assert.ok(e.cause instanceof lux.SerializationError, `the cause: ${String(e.cause)}`);
      assert.match(e.cause.message, /^cannot send the return value of returnsGenerator: value at \.items\[3\]\.gen is a generator/);
      return true;
    });
  });
});
