/**
 * Objects (issue 2, point 5): put/get/wait semantics, the value kinds that round-trip
 * through put/get and through task arguments and return values, refused values, and
 * large values that go through the raylet's object store.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import {
  CounterActor,
  afterFile,
  callCounter,
  describeKinds,
  echo,
  echoed,
  fail,
  kinds,
  makeArray,
  pair,
  returnsFunction,
  summarize,
} from "./fixtures/objects-fns.js";

let dir: string;
let gates = 0;

/** A file-controlled gate: tasks made with `afterFile(gate.file, v)` finish once `open()` runs. */
function gate(): { file: string; open(): void } {
  const file = path.join(dir, `gate-${gates++}`);
  return { file, open: () => fs.writeFileSync(file, "") };
}

/** Every value kind of point 5 except refs and handles (tested on their own). */
function sampleValues(): Record<string, unknown> {
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic["self"] = cyclic;
  const shared = { s: 1 };
  return {
    null: null,
    boolean: true,
    number: 1.5,
    negativeZero: -0,
    notANumber: NaN,
    infinity: -Infinity,
    string: "héllo ✓ 𝄞",
    array: [1, "two", [3, [4]]],
    object: { a: { b: [1, { c: null }] } },
    undefined: undefined,
    undefinedInside: { u: undefined, list: [undefined, 1] },
    bigint: 2n ** 100n + 1n,
    negativeBigint: -5n,
    date: new Date("2024-01-02T03:04:05.678Z"),
    map: new Map<unknown, unknown>([
      ["k", 1],
      [2, { v: [1] }],
      [{ objectKey: true }, "value"],
    ]),
    set: new Set<unknown>([1, "a", 2n]),
    regexp: /ab+c\//gi,
    int8: Int8Array.of(-1, 2),
    uint8: Uint8Array.of(1, 255),
    uint8Clamped: Uint8ClampedArray.of(7),
    int16: Int16Array.of(-300),
    uint16: Uint16Array.of(65535),
    int32: Int32Array.of(-70000),
    uint32: Uint32Array.of(4294967295),
    float32: Float32Array.of(1.5, -2),
    float64: Float64Array.of(Math.PI, -0, NaN),
    bigInt64: BigInt64Array.of(-1n),
    bigUint64: BigUint64Array.of(2n ** 64n - 1n),
    arrayBuffer: Uint8Array.of(9, 8, 7).buffer,
    buffer: Buffer.from("bytes"),
    error: Object.assign(new TypeError("bad input"), { code: "E_BAD", detail: { at: 3 } }),
    cyclic,
    shared: [shared, shared],
  };
}

/** Checks a value that came back against `sampleValues()`, beyond deep equality. */
function checkSamples(back: Record<string, unknown>, how: string): void {
  const expected = sampleValues();
  assert.deepStrictEqual(back, expected, how);
  assert.deepStrictEqual(describeKinds(back), describeKinds(expected), `${how}: classes differ`);
  assert.ok(Object.is(back["negativeZero"], -0), `${how}: -0 came back as +0`);
  assert.ok("undefined" in back, `${how}: a property holding undefined was dropped`);
  const cyclic = back["cyclic"] as Record<string, unknown>;
  assert.equal(cyclic["self"], cyclic, `${how}: the cycle is not a cycle`);
  const shared = back["shared"] as object[];
  assert.equal(shared[0], shared[1], `${how}: a shared object came back as two copies`);
  const error = back["error"] as Error & { code?: string };
  assert.ok(error instanceof TypeError, `${how}: the Error is not a TypeError`);
  assert.equal(error.message, "bad input");
  assert.equal(error.code, "E_BAD");
  assert.ok(Buffer.isBuffer(back["buffer"]), `${how}: a Buffer came back as ${describeKinds(back)["buffer"]}`);
}

describe("objects", () => {
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-objects-test-"));
    await lux.init({ numCpus: 2 });
  });
  after(async () => {
    await lux.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("put and get", () => {
    test("put returns an ObjectRef synchronously and serializes the value at once", async () => {
      const value = { list: [1, 2], nested: { n: 1 } };
      const ref = lux.put(value);
      assert.ok(ref instanceof lux.ObjectRef, "put returns an ObjectRef, not a Promise");
      value.list.push(3);
      value.nested.n = 2;
      assert.deepEqual(await lux.get(ref), { list: [1, 2], nested: { n: 1 } });
      const bytes = Float64Array.of(1, 2, 3);
      const bytesRef = lux.put(bytes);
      bytes[0] = 99;
      assert.deepEqual(await lux.get(bytesRef), Float64Array.of(1, 2, 3));
    });

    test("get of one ref and of an array keeps input order and duplicates", async () => {
      const a = lux.put("a");
      const b = lux.put("b");
      assert.equal(await lux.get(a), "a");
      assert.deepEqual(await lux.get([b, a, b, b, a]), ["b", "a", "b", "b", "a"]);
      assert.deepEqual(await lux.get([]), []);
      // Order is input order even when the results finish in the opposite order.
      const g = gate();
      const late = afterFile.remote(g.file, "late");
      const early = echo.remote("early");
      const [ready] = await lux.wait([late, early], { numReturns: 1 });
      assert.deepEqual(ready, [early]);
      const got = lux.get([late, early, late]);
      g.open();
      assert.deepEqual(await got, ["late", "early", "late"]);
    });

    test("get rejects on the first error without waiting for the rest", async () => {
      const g = gate();
      const never = afterFile.remote(g.file, "late");
      try {
        await assert.rejects(lux.get([echo.remote(1), never, fail.remote("first failure")]), (e: unknown) => {
          assert.ok(e instanceof lux.TaskError, `expected a TaskError, got ${String(e)}`);
          assert.equal(e.cause.message, "first failure");
          return true;
        });
      } finally {
        g.open();
      }
      assert.equal(await lux.get(never), "late");
    });

    test("get with timeoutMs rejects with GetTimeoutError and the ref stays valid", async () => {
      const g = gate();
      const slow = afterFile.remote(g.file, "finally");
      const ready = lux.put("ready");
      await assert.rejects(lux.get([ready, slow], { timeoutMs: 100 }), (e: unknown) => {
        assert.ok(e instanceof lux.GetTimeoutError, `expected a GetTimeoutError, got ${String(e)}`);
        assert.ok(e instanceof lux.LuxError);
        assert.equal(e.timeoutMs, 100);
        assert.deepEqual(e.objectIds, [slow.id]);
        return true;
      });
      await assert.rejects(lux.get(slow, { timeoutMs: 0 }), lux.GetTimeoutError);
      g.open();
      assert.equal(await lux.get(slow), "finally");
      assert.equal(await lux.get(slow, { timeoutMs: 60_000 }), "finally");
    });

    test("get refuses what is not a ref", async () => {
      await assert.rejects(lux.get(42 as unknown as lux.ObjectRef<number>), TypeError);
      await assert.rejects(lux.get([lux.put(1), "x"] as unknown as lux.ObjectRef<number>[]), /element 1/);
      await assert.rejects(lux.get(lux.put(1), { timeoutMs: -1 }), lux.InvalidOptionError);
    });

    test("put(ref) throws a TypeError telling to wrap the ref", async () => {
      const ref = lux.put(1);
      assert.throws(
        () => lux.put(ref),
        (e: unknown) => e instanceof TypeError && /wrap it/.test(e.message) && /lux\.put\(\[ref\]\)/.test(e.message),
      );
      // Wrapped, it works, and the inner ref can be got.
      const wrapped = await lux.get(lux.put([ref]));
      assert.ok(wrapped[0] instanceof lux.ObjectRef);
      assert.equal(await lux.get(wrapped[0]), 1);
    });
  });

  describe("wait", () => {
    test("returns [ready, notReady] in input order, at most numReturns ready", async () => {
      const g1 = gate();
      const g2 = gate();
      try {
        const slow1 = afterFile.remote(g1.file, 1);
        const done1 = echo.remote(2);
        const slow2 = afterFile.remote(g2.file, 3);
        const done2 = lux.put(4);
        const refs = [slow1, done1, slow2, done2];
        const [ready, notReady] = await lux.wait(refs, { numReturns: 2 });
        assert.deepEqual(ready, [done1, done2]);
        assert.deepEqual(notReady, [slow1, slow2]);
        // Two are ready, but only numReturns come back as ready.
        const [one, rest] = await lux.wait(refs, { numReturns: 1 });
        assert.equal(one.length, 1);
        assert.ok(one[0] === done1 || one[0] === done2);
        assert.deepEqual(rest, refs.filter((r) => r !== one[0]));
        // The default numReturns is 1; fetchLocal is accepted.
        const [dflt] = await lux.wait([slow1, done2], { fetchLocal: false });
        assert.deepEqual(dflt, [done2]);
        // Everything once the gates open, still in input order.
        g2.open();
        g1.open();
        const [all, none] = await lux.wait(refs, { numReturns: 4 });
        assert.deepEqual(all, refs);
        assert.deepEqual(none, []);
      } finally {
        g1.open();
        g2.open();
      }
    });

    test("with timeoutMs returns what is ready when time is up", async () => {
      const g = gate();
      try {
        const slow = afterFile.remote(g.file, "s");
        const done = lux.put("d");
        const [ready, notReady] = await lux.wait([slow, done], { numReturns: 2, timeoutMs: 100 });
        assert.deepEqual(ready, [done]);
        assert.deepEqual(notReady, [slow]);
        const [r0, n0] = await lux.wait([slow], { timeoutMs: 0 });
        assert.deepEqual([r0, n0], [[], [slow]]);
      } finally {
        g.open();
      }
    });

    test("a failed task counts as ready", async () => {
      const failed = fail.remote("x");
      const [ready] = await lux.wait([failed]);
      assert.deepEqual(ready, [failed]);
      await assert.rejects(lux.get(failed), lux.TaskError);
    });

    test("refuses duplicates and numReturns <= 0 or > refs.length", async () => {
      const a = lux.put(1);
      const b = lux.put(2);
      await assert.rejects(lux.wait([a, b, a]), (e: unknown) => e instanceof TypeError && /more than once/.test(e.message));
      for (const numReturns of [0, -1, 3, 1.5]) {
        await assert.rejects(lux.wait([a, b], { numReturns }), (e: unknown) => {
          assert.ok(e instanceof lux.InvalidOptionError, `numReturns ${numReturns}: got ${String(e)}`);
          assert.match(e.message, /numReturns/);
          return true;
        });
      }
      // Nothing to wait for is not a mistake (as in Ray): nothing is ready, nothing is not.
      assert.deepEqual(await lux.wait([]), [[], []]);
      // Two ref objects for one object (one came back inside a value) are the same ref.
      const [copyOfA] = await lux.get(lux.put([a]));
      assert.notEqual(copyOfA, a);
      await assert.rejects(lux.wait([a, b, copyOfA as lux.ObjectRef<number>]), /more than once/);
    });

    test("waiting one at a time drains a long list; overlapping waits each see their refs", async () => {
      const refs = Array.from({ length: 300 }, (_, i) => echoed(i));
      let notReady = refs;
      const order: lux.ObjectRef<number>[] = [];
      while (notReady.length > 0) {
        const [ready, rest] = await lux.wait(notReady);
        assert.equal(ready.length, 1);
        assert.equal(rest.length, notReady.length - 1);
        order.push(...ready);
        notReady = rest;
      }
      assert.equal(new Set(order).size, refs.length);
      assert.deepEqual(await lux.get(order), order.map((r) => refs.indexOf(r)));

      // A remainder changed between calls is checked again, not trusted.
      const done = Array.from({ length: 5 }, (_, i) => lux.put(i));
      const [, rest] = await lux.wait(done);
      rest[2] = rest[0] as lux.ObjectRef<number>;
      await assert.rejects(lux.wait(rest), /more than once/);
      const [, rest2] = await lux.wait(done);
      rest2[3] = "not a ref" as unknown as lux.ObjectRef<number>;
      await assert.rejects(lux.wait(rest2), /element 3|index 3/);
      const [, rest3] = await lux.wait(done);
      const extra = lux.put(99);
      rest3.unshift(extra);
      assert.deepEqual(await lux.wait(rest3, { numReturns: 2 }), [[extra, rest3[1]], rest3.slice(2)]);
      const [, rest4] = await lux.wait(done);
      const [, rest5] = await lux.wait(rest4);
      rest5.reverse();
      assert.deepEqual(await lux.wait(rest5), [[rest5[0]], rest5.slice(1)]);

      // Waits in flight at once over shared refs: each resolves when its own refs are ready.
      const g1 = gate();
      const g2 = gate();
      try {
        const s1 = afterFile.remote(g1.file, 1);
        const s2 = afterFile.remote(g2.file, 2);
        const both = lux.wait([s1, s2], { numReturns: 2 });
        const first = lux.wait([s2, s1]);
        const second = lux.wait([s2]);
        g1.open();
        assert.deepEqual(await first, [[s1], [s2]]);
        let secondDone = false;
        void second.then(() => (secondDone = true));
        await lux.get(s1);
        assert.equal(secondDone, false);
        g2.open();
        assert.deepEqual(await second, [[s2], []]);
        assert.deepEqual(await both, [[s1, s2], []]);
      } finally {
        g1.open();
        g2.open();
      }
    });
  });

  describe("values", () => {
    test("every value kind round-trips through put and get", async () => {
      checkSamples(await lux.get(lux.put(sampleValues())), "put/get");
      assert.equal(await lux.get(lux.put(undefined)), undefined);
      assert.equal(await lux.get(lux.put(10n ** 30n)), 10n ** 30n);
      assert.deepEqual(await lux.get(lux.put(new Date(0))), new Date(0));
    });

    test("every value kind arrives in a task as itself and comes back as a return value", async () => {
      const values = sampleValues();
      assert.deepStrictEqual(await lux.get(kinds.remote(values)), describeKinds(values));
      checkSamples(await lux.get(echoed(values)), "task argument and return value");
      assert.equal(await lux.get(echo.remote(undefined)), undefined);
      assert.equal(await lux.get(echo.remote(-(2n ** 80n))), -(2n ** 80n));
      // As a top-level ref argument, resolved in the worker.
      checkSamples(await lux.get(echoed(lux.put(values))), "task argument by ref");
    });

    test("ObjectRefs and ActorHandles inside values stay usable", async () => {
      const counter = CounterActor.remote();
      const inner = lux.put("inner value");
      const value = { ref: inner, refs: [inner], handle: counter };
      for (const [how, back] of [
        ["put/get", await lux.get(lux.put(value))],
        ["task argument and return value", await lux.get(echoed(value))],
      ] as const) {
        assert.ok(back.ref instanceof lux.ObjectRef, `${how}: ref`);
        assert.ok(back.refs[0] instanceof lux.ObjectRef, `${how}: ref in an array`);
        assert.equal(back.ref.id, inner.id);
        assert.equal(await lux.get(back.ref), "inner value");
        assert.equal(typeof back.handle.incr.remote, "function", `${how}: handle`);
        await lux.get(back.handle.incr.remote(1));
      }
      // A handle alone, stored with put and passed to a task as an argument.
      const handle = await lux.get(lux.put(counter));
      assert.equal(await lux.get(handle.incr.remote(10)), 12);
      assert.equal(await lux.get(callCounter.remote(counter, 100)), 112);
      await lux.kill(counter);
    });

    test("a function or symbol argument throws at the call site, naming the argument", async () => {
      const isSerializationError = (pattern: RegExp) => (e: unknown) => {
        assert.ok(e instanceof lux.SerializationError, `expected a SerializationError, got ${String(e)}`);
        assert.ok(e instanceof lux.LuxError);
        assert.match(e.message, pattern);
        return true;
      };
      assert.throws(() => echo.remote(() => 1), isSerializationError(/^cannot send argument 1 of echo: value is a function; /));
      assert.throws(
        () => pair.remote(1, { opts: { cb: () => 1 } }),
        isSerializationError(/^cannot send argument 2 of pair: args\[1\]\.opts\.cb is a function; /),
      );
      assert.throws(() => pair.remote(Symbol("s"), 2), isSerializationError(/^cannot send argument 1 of pair: value is a symbol; /));
      assert.throws(
        () => pair.remote([1], new Map([["k", [Symbol.iterator]]])),
        isSerializationError(/^cannot send argument 2 of pair: args\[1\]\.get\("k"\)\[0\] is a symbol; /),
      );
      assert.throws(() => lux.put({ f: () => 1 }), isSerializationError(/value\.f is a function/));
      // @ts-expect-error Counter takes no argument: one is passed only to see it refused
      assert.throws(() => CounterActor.remote(() => 1), isSerializationError(/argument 1 of Counter/));
    });

    test("a task returning a function: the caller's get rejects with a SerializationError naming the return value", async () => {
      await assert.rejects(lux.get(returnsFunction.remote()), (e: unknown) => {
        assert.ok(e instanceof lux.SerializationError, `expected a SerializationError, got ${String(e)}`);
        assert.match(e.message, /^cannot send the return value of returnsFunction: result\.callback is a function/);
        return true;
      });
    });

    test("a large value (2 MiB, above the inline limit) round-trips through put/get and tasks", async () => {
      const n = 256 * 1024; // 2 MiB of doubles
      const data = Float64Array.from({ length: n }, (_, i) => i * 0.5);
      const expectedSum = data.reduce((s, x) => s + x, 0);
      const ref = lux.put(data);
      assert.deepStrictEqual(await lux.get(ref), data);
      // By ref, and by value as an argument (read in the worker).
      assert.deepEqual(await lux.get(summarize.remote(ref)), { length: n, sum: expectedSum, isFloat64Array: true });
      assert.deepEqual(await lux.get(summarize.remote(data)), { length: n, sum: expectedSum, isFloat64Array: true });
      // As a return value made in the worker, and one that crossed both ways.
      assert.deepStrictEqual(await lux.get(makeArray.remote(n)), data);
      assert.deepStrictEqual(await lux.get(echoed(data)), data);
      // Inside a structure, with a ref to the large object next to it.
      const back = await lux.get(echoed({ data, ref }));
      assert.deepStrictEqual(back.data, data);
      assert.deepStrictEqual(await lux.get(back.ref), data);
    });
  });
});
