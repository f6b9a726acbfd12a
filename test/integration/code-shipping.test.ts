/**
 * Issue point 7: code shipping by reference and by value (DESIGN.md "Code shipping").
 * - definitions in a module (not the entry script) go by reference: workers import the
 *   module, so closures over its scope work;
 * - an entry script opts in with lux.main: workers import it, lux.main does nothing there;
 * - an entry script without lux.main, and any definition made inside a function, go by
 *   value. Made inside a function of a module workers can import (lux.main's body included),
 *   the source is evaluated in that module's scope: its imports and top-level declarations
 *   work, a local variable of the enclosing function fails with an error naming it. An entry
 *   script without lux.main gives no scope: a reference to an outer variable fails with an
 *   error that names the variable and the fix.
 * Each check looks at where the code ran and what the worker evaluated, not only at results.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { fixtures, runScript } from "./helpers.js";
import { offsetFive } from "./fixtures/shipping-offset-five.js";
import { offsetTwo } from "./fixtures/shipping-offset-two.js";
import { TallyActor, loadedIn, makeAdder, makeBaseAdder, makeTripler, tokenHere, withClosure } from "./fixtures/shipping-module.js";

interface ErrorView {
  isTaskError: boolean;
  name?: string | undefined;
  message?: string | undefined;
  causeName?: string | undefined;
  causeMessage?: string | undefined;
}

function result<T>(stdout: string): T {
  const m = /^RESULT (.*)$/m.exec(stdout);
  assert.ok(m !== null, `no RESULT line in output:\n${stdout}`);
  return JSON.parse(m[1] as string) as T;
}

/** A local variable read by a definition made inside a function: named, with no advice to use lux.main. */
function assertCapturedLocal(e: ErrorView, variable: string): void {
  assert.equal(e.isTaskError, true, `expected a TaskError, got ${e.name}: ${e.message}`);
  assert.equal(e.causeName, "ReferenceError");
  const message = e.causeMessage ?? "";
  assert.match(message, new RegExp(`reads "${variable}", a local variable of the function that made it remote`));
  assert.match(message, new RegExp(`pass "${variable}" as an argument, or declare it at the top level of the module`));
  assert.doesNotMatch(message, /lux\.main/);
}

/** A by-value failure: a TaskError whose cause is a ReferenceError naming `variable` and the fix. */
function assertByValueError(e: ErrorView, variable: string): void {
  assert.equal(e.isTaskError, true, `expected a TaskError, got ${e.name}: ${e.message}`);
  assert.equal(e.causeName, "ReferenceError");
  const message = e.causeMessage ?? "";
  assert.match(message, new RegExp(`\\b${variable} is not defined`));
  assert.match(message, /shipped by value/);
  assert.match(message, /top level of a module/);
  assert.match(message, /lux\.main\(/);
  assert.ok((e.message ?? "").includes(message), "the TaskError's message includes its cause's");
}

describe("code shipping in one driver", () => {
  before(async () => {
    await lux.init({ numCpus: 2 });
  });
  after(async () => {
    await lux.shutdown();
  });

  test("a module's definitions go by reference: the worker imports the module", async () => {
    const [a, b] = await lux.get([withClosure.remote(1), withClosure.remote(2)]);
    assert.equal(a.value, 101);
    assert.equal(b.value, 102);
    for (const r of [a, b]) {
      assert.notEqual(r.pid, process.pid, "ran in the driver");
      assert.equal(r.loadedIn, r.pid, "the module was evaluated in the worker");
      assert.notEqual(r.token, tokenHere(), "the worker has its own evaluation of the module");
    }
    assert.equal(loadedIn, process.pid);
  });

  test("a module's actor class goes by reference and closes over the module", async () => {
    const tally = TallyActor.remote();
    await lux.get(tally.add.remote(5));
    const r = await lux.get(tally.add.remote(6));
    assert.equal(r.total, 111);
    assert.notEqual(r.pid, process.pid);
    assert.equal(r.loadedIn, r.pid);
    assert.notEqual(r.token, tokenHere());
  });

  test("a factory called by the top-level code of other modules: each definition keeps its module's closure", async () => {
    // Both definitions come from the same call site (in shipping-factory.ts); each belongs to
    // the module whose evaluation made it, whichever of them a worker imports first.
    const five = await lux.get(offsetFive.remote(1));
    const two = await lux.get(offsetTwo.remote(1));
    assert.equal(five.value, 6);
    assert.equal(two.value, 3);
    assert.notEqual(five.pid, process.pid);
    assert.notEqual(two.pid, process.pid);
  });

  test("a function defined inside a module's function uses the module's globals (Ray: cloudpickle captures globals)", async () => {
    const tripler = makeTripler();
    const r = await lux.get(tripler.remote(14));
    assert.equal(r.value, 42);
    assert.notEqual(r.pid, process.pid);

    const baseAdder = makeBaseAdder();
    const b = await lux.get(baseAdder.remote(5));
    assert.equal(b.value, 5 + 100, "the module's top-level `base`");
    assert.equal(b.token === tokenHere(), false, "read in the worker's own evaluation of the module");
    assert.notEqual(b.pid, process.pid);

    const adder = makeAdder(2);
    const error = await lux.get(adder.remote(1)).then(
      () => assert.fail("a by-value function that reads a local variable of its factory must fail"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof lux.TaskError, `expected a TaskError, got ${String(error)}`);
    const cause = error.cause as { name?: string; message?: string };
    assertCapturedLocal({ isTaskError: true, name: error.name, message: error.message, causeName: cause.name, causeMessage: cause.message }, "k");
  });

  test("the test file itself is an entry script without lux.main: its definitions go by value", async () => {
    const outer = 3;
    const selfContained = lux.remote((x: number) => ({ value: x + 1, pid: process.pid }));
    const r = await lux.get(selfContained.remote(1));
    assert.deepEqual(r.value, 2);
    assert.notEqual(r.pid, process.pid);
    const touches = lux.remote((x: number) => x + outer);
    await assert.rejects(lux.get(touches.remote(1)), (e: unknown) => {
      assert.ok(e instanceof lux.TaskError);
      assert.match((e.cause as Error).message, /\bouter is not defined.*shipped by value/);
      return true;
    });
  });
});

describe("an entry script with lux.main", () => {
  type Where = { pid: number; importsHere: number; bodyRan: boolean; argv1: string };
  let r: {
    driver: Where;
    task: Where & { value: number };
    nested: number;
    actor: Where & { total: number };
    inside: { value: number; pid: number };
    insideModule: {
      early: Where & { value: number };
      usesModule: Where & { value: number; viaScaled: number };
      counter: { n: number; pid: number; bodyRan: boolean };
    };
    shadowError: { value?: number; causeMessage?: string };
    insideError: ErrorView;
  };
  before(async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "shipping-main.ts"));
    assert.equal(code, 0, stderr);
    r = result<typeof r>(stdout);
  });

  test("workers import the script: module scope, imports, lux and other definitions work", () => {
    assert.equal(r.driver.bodyRan, true);
    assert.match(r.driver.argv1, /shipping-main\.ts$/);
    assert.equal(r.task.value, 2 * 7 + 1000, "module-scope `factor` and the imported `helperOffset`");
    assert.equal(r.nested, 3 * 7 + 1000 + 1, "a task using `lux` and another remote function of the script");
    assert.equal(r.actor.total, 7 + 1 + 2);
    for (const w of [r.task, r.actor]) {
      assert.notEqual(w.pid, r.driver.pid, "ran in the driver");
      assert.match(w.argv1, /worker-main\.js$/, "ran in a worker process");
      assert.equal(w.importsHere, 1, "the worker imported the script once");
      assert.equal(w.bodyRan, false, "lux.main does not run its body in a worker");
    }
    assert.equal(r.inside.value, 42, "a self-contained definition made inside the body");
    assert.notEqual(r.inside.pid, r.driver.pid);
  });

  test("a function or class defined inside main uses module imports (Ray: cloudpickle captures globals)", () => {
    const { early, usesModule, counter } = r.insideModule;
    assert.equal(early.value, 1 * 7 + 1000, "made before the body's first await: top-level `factor`, imported `helperOffset`");
    assert.equal(usesModule.value, 2 * 7 + 1000);
    assert.equal(usesModule.viaScaled, 2 * 7 + 1000, "calls another remote function of the script through `lux`");
    assert.equal(counter.n, 7 + 3 + 1000, "an actor class defined inside the body");
    for (const w of [early, usesModule]) {
      assert.notEqual(w.pid, r.driver.pid, "ran in the driver");
      assert.match(w.argv1, /worker-main\.js$/, "ran in a worker process");
      assert.equal(w.importsHere, 1, "the worker's own evaluation of the script, once");
      assert.equal(w.bodyRan, false, "the body never ran in the worker");
    }
    assert.notEqual(counter.pid, r.driver.pid);
    assert.equal(counter.bodyRan, false);
  });

  test("a local variable captured inside main is refused by name, without advising lux.main", () => {
    assertCapturedLocal(r.insideError, "local");
    // The parameter shadows the top-level `factor` (7): the worker must not read the top-level one
    // (tsx renames the shadowing parameter, so the name may carry a suffix).
    assert.equal(r.shadowError.value, undefined, `read the top-level binding: ${JSON.stringify(r.shadowError)}`);
    assert.match(r.shadowError.causeMessage ?? "", /reads "factor\d*", a local variable/);
    assert.doesNotMatch(r.shadowError.causeMessage ?? "", /lux\.main/);
  });
});

describe("entry scripts", () => {
  test("a definition a task made at run time never stands in for the driver's one from the same call site", async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "shipping-factory-driver.ts"));
    assert.equal(code, 0, stderr);
    const r = result<{ inside: { error?: string }; outcomes: { value?: number; error?: string }[] }>(stdout);
    assert.match(r.inside.error ?? "", /reads "offset", a local variable/, "made at run time in a task: by value");
    assert.equal(r.outcomes.length, 3);
    for (const o of r.outcomes) {
      // Not 8 (the task's closure, offset 7): the driver's run-time definition goes by value.
      assert.equal(o.value, undefined, `the driver's function ran as another closure: ${JSON.stringify(o)}`);
      assert.match(o.error ?? "", /ReferenceError: .* reads "offset", a local variable/);
    }
  });

  test("without lux.main, the script's definitions go by value: self-contained ones work", async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "shipping-byvalue.ts"));
    assert.equal(code, 0, stderr);
    const r = result<{
      driverPid: number;
      task: { value: number; pid: number; scriptImports: number };
      viaLux: number;
      actor: { value: number; pid: number };
      error: ErrorView;
    }>(stdout);
    assert.equal(r.task.value, 42);
    assert.notEqual(r.task.pid, r.driverPid);
    assert.equal(r.task.scriptImports, 0, "the worker never imported the entry script");
    assert.equal(r.viaLux, 10, "by-value code gets `lux`");
    assert.equal(r.actor.value, 33);
    assert.notEqual(r.actor.pid, r.driverPid);
    assertByValueError(r.error, "outside");
  });
});
