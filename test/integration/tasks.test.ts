/**
 * Tasks (issue 2, point 4): `.remote()` and `.options()`, argument resolution (top-level
 * refs become values, nested refs stay refs), tasks returning refs, `numReturns`, nested
 * tasks, and recursive factorial on a 1-CPU cluster.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { fixtures, runScript } from "./helpers.js";
import { add, answerHow, describeArgs, echo, nestedRefs, putInside, square, subTaskRef, sumOfSquares, throwing, triple } from "./fixtures/tasks-fns.js";

describe("tasks", () => {
  before(async () => {
    await lux.init({ numCpus: 2 });
  });
  after(async () => {
    await lux.shutdown();
  });

  test(".remote() returns an ObjectRef at once, which get resolves", async () => {
    const ref = add.remote(2, 3);
    assert.ok(ref instanceof lux.ObjectRef, "remote() returns an ObjectRef synchronously, not a Promise");
    assert.equal(typeof (ref as unknown as { then?: unknown }).then, "undefined", "an ObjectRef is not a thenable");
    assert.equal(await lux.get(ref), 5);
    const refs = [1, 2, 3, 4].map((x) => square.remote(x));
    assert.equal(new Set(refs.map((r) => r.id)).size, 4, "every call gets its own ref");
    assert.deepEqual(await lux.get(refs), [1, 4, 9, 16]);
  });

  test(".options() returns a remote function with those options and leaves the original alone", async () => {
    const named = throwing.options({ name: "renamed-task" });
    assert.notEqual(named, throwing);
    await assert.rejects(lux.get(named.remote()), (e: unknown) => {
      assert.ok(e instanceof lux.TaskError);
      assert.equal(e.functionName, "renamed-task");
      return true;
    });
    await assert.rejects(lux.get(throwing.remote()), (e: unknown) => e instanceof lux.TaskError && e.functionName === "throwing");
    // Options merge: a later .options() keeps the earlier ones.
    const refs = triple.options({ numReturns: 3 }).options({ numCpus: 0.5 }).remote(4);
    assert.ok(Array.isArray(refs));
    assert.deepEqual(await lux.get(refs), [8, "n=4", true]);
    assert.ok(square.options({ numCpus: 0.5 }).remote(3) instanceof lux.ObjectRef);
  });

  test("top-level ObjectRef arguments arrive as their values", async () => {
    const fromPut = lux.put(7);
    const fromTask = square.remote(3);
    const seen = await lux.get(describeArgs.remote(fromPut, fromTask));
    assert.deepEqual(seen, { types: ["number", "number"], refs: [false, false], values: [7, 9] });
  });

  test("refs nested inside arguments arrive as ObjectRefs the task can get", async () => {
    const n = lux.put(41);
    const s = square.remote(5);
    const seen = await lux.get(nestedRefs.remote({ r: n }, [lux.put("inside a list")]));
    assert.deepEqual(seen, { holderIsRef: true, listIsRef: true, values: [41, "inside a list"] });
    // A nested ref to a task result not finished at submission works too.
    const seen2 = await lux.get(nestedRefs.remote({ r: s }, [lux.put("x")]));
    assert.deepEqual(seen2.values, [25, "x"]);
  });

  test("a task can return a ref it put; the driver gets a ref it can get", async () => {
    const outer = putInside.remote("hello");
    const inner = await lux.get(outer);
    assert.ok(inner instanceof lux.ObjectRef, `expected an ObjectRef, got ${String(inner)}`);
    assert.equal(await lux.get(inner), "hello from a task");
    // Twice, to be sure the inner object is still alive after the first get.
    assert.equal(await lux.get(inner), "hello from a task");
  });

  test("a task can return the ref of a sub-task", async () => {
    const inner = await lux.get(subTaskRef.remote(20, 22));
    assert.ok(inner instanceof lux.ObjectRef);
    assert.equal(await lux.get(inner), 42);
  });

  test("numReturns: n makes .remote() return n refs with the returned values", async () => {
    const refs = triple.options({ numReturns: 3 }).remote(5);
    assert.ok(Array.isArray(refs));
    assert.equal(refs.length, 3);
    for (const r of refs) assert.ok(r instanceof lux.ObjectRef);
    const [a, b, c] = refs;
    // Each ref on its own, in any order.
    assert.equal(await lux.get(c), true);
    assert.equal(await lux.get(a), 10);
    assert.equal(await lux.get(b), "n=5");
    const one = triple.options({ numReturns: 1 }).remote(1);
    assert.ok(Array.isArray(one) && one.length === 1, "numReturns: 1 given explicitly still returns an array");
    assert.deepEqual(await lux.get(one[0]), [2, "n=1", true]);
  });

  test("a function returning the wrong number of values fails every ref with a clear error", async () => {
    const refs = triple.options({ numReturns: 2 }).remote(1);
    assert.equal(refs.length, 2);
    for (const r of refs) {
      await assert.rejects(lux.get(r), (e: unknown) => {
        assert.ok(e instanceof lux.TaskError, `expected a TaskError, got ${String(e)}`);
        assert.match(e.message, /numReturns: 2/);
        assert.match(e.message, /returned an array of 3/);
        assert.match(e.message, /return an array of exactly 2 values/);
        return true;
      });
    }
    const notArray = square.options({ numReturns: 2 }).remote(3);
    await assert.rejects(lux.get(notArray[0] as lux.ObjectRef<unknown>), /numReturns: 2 but returned number/);
  });

  test("a task may answer synchronously, with a promise or with a thenable, pipelined in any mix", async () => {
    const hows = ["sync", "promise", "thenable"] as const;
    const refs = Array.from({ length: 60 }, (_, i) => answerHow.remote(hows[i % 3] as (typeof hows)[number], false));
    const values = (await lux.get(refs)) as { taskId: string; how: string }[];
    values.forEach((v, i) => {
      assert.equal(v.how, hows[i % 3]);
      assert.equal(v.taskId, (refs[i] as lux.ObjectRef).id.slice(0, 24), "the task sees its own id while it runs");
    });
    for (const how of hows) {
      await assert.rejects(lux.get(answerHow.remote(how, true)), (e: unknown) => {
        assert.ok(e instanceof lux.TaskError, `${how}: expected a TaskError, got ${String(e)}`);
        assert.ok(e.cause instanceof RangeError, `${how}: the cause is the thrown RangeError`);
        assert.match(e.message, new RegExp(`(sync|async) failure of ${how}`));
        return true;
      });
    }
  });

  test("small returns (one-byte replies) each come back as their own value", async () => {
    const values: unknown[] = [0, 1, 5, 127, -1, -32, true, false, null, 0, 5, true, null, 128, -33, "", "a"];
    const refs = values.map((v) => echo.remote(v));
    assert.deepEqual(await lux.get(refs), values);
    // A value got twice, and got again after others like it, is the same.
    assert.deepEqual(await lux.get(refs), values);
    assert.equal(await lux.get(echo.remote(7)), 7);
    assert.equal(await lux.get(refs[2] as lux.ObjectRef<unknown>), 5);
  });

  test("tasks can submit tasks and await them", async () => {
    assert.equal(await lux.get(sumOfSquares.remote(6)), 1 + 4 + 9 + 16 + 25 + 36);
    const many = await lux.get([sumOfSquares.remote(3), sumOfSquares.remote(4)]);
    assert.deepEqual(many, [14, 30]);
  });
});

describe("nested tasks on a 1-CPU cluster", () => {
  test("recursive factorial finishes: a task blocked in lux.get gives its CPU back", async () => {
    const result = await runScript(path.join(fixtures, "tasks-factorial-driver.ts"), { args: ["6"], timeoutMs: 90_000 });
    assert.equal(result.code, 0, `driver failed:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^cpus=1$/m);
    assert.match(result.stdout, /^factorial\(6\)=720$/m);
  });
});
