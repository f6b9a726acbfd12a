/**
 * Edges of code shipping (issue 2, points 5 and 7) not covered by code-shipping.test.ts:
 * a worker that cannot find a definition by reference runs the source shipped with it;
 * `lux.main` in plain JavaScript run by node without a loader ships by reference (and a
 * definition inside its body gets the script's scope, without a loader too); a body
 * that throws sets exit code 1 and still shuts Lux down; a function or symbol argument is
 * refused at the call site with a `lux.SerializationError` naming the argument.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { fixtures, runScript } from "./helpers.js";
import { definedOnlyInDriver, takesTwo } from "./fixtures/shipping-edges-module.js";

describe("code shipping edges", () => {
  before(async () => {
    await lux.init({ numCpus: 1 });
  });
  after(async () => {
    await lux.shutdown();
  });

  test("a worker that does not find a definition by reference runs its shipped source", async () => {
    assert.ok(definedOnlyInDriver !== undefined, "the driver imported the fixture before lux.init()");
    assert.equal(await lux.get(definedOnlyInDriver.remote(4)), "fallback:8");
  });

  test("a function or symbol argument throws at the call site, naming the argument", () => {
    const isSerializationError = (e: unknown): e is lux.SerializationError =>
      e instanceof lux.SerializationError && e instanceof lux.LuxError && e.code === "LUX_SERIALIZATION";
    assert.throws(
      () => takesTwo.remote(1, { onDone: () => 1 }),
      (e: unknown) => {
        assert.ok(isSerializationError(e), `expected lux.SerializationError, got ${String(e)}`);
        assert.match(e.message, /argument 2 of takesTwo/);
        assert.match(e.message, /\.onDone is a function/);
        return true;
      },
    );
    assert.throws(
      () => takesTwo.remote(Symbol("s"), 2),
      (e: unknown) => isSerializationError(e) && /argument 1 of takesTwo: value is a symbol/.test(e.message),
    );
    assert.throws(
      () => lux.put({ f: () => 1 }),
      (e: unknown) => isSerializationError(e) && /put: value\.f is a function/.test(e.message),
    );
  });

  test("lux.main in plain .mjs run by node ships by reference, also inside its body (Ray: cloudpickle captures globals); a throwing body exits 1 and shuts down", async () => {
    const { code, stdout, stderr } = await runScript(path.join(fixtures, "shipping-edges-main.mjs"), {
      loader: false,
      env: { SHIPPING_EDGES_THROW: "1" },
    });
    const m = /^RESULT (.*)$/m.exec(stdout);
    assert.ok(m, `no RESULT line; stdout: ${stdout}\nstderr: ${stderr}`);
    type Outcome = { value: number; scriptEvaluatedHere: boolean; pid: number };
    const r = JSON.parse(m[1] as string) as { driverPid: number; task: Outcome; inside: Outcome };
    assert.equal(r.task.value, 105, "the task sees the script's module scope");
    assert.equal(r.task.scriptEvaluatedHere, true, "the worker imported the entry script (by reference)");
    assert.notEqual(r.task.pid, r.driverPid, "the task ran in a worker");
    // A worker without a loader gets module scopes when first needed (a second instance of the script).
    assert.equal(r.inside.value, 106, "a function defined inside the body sees the script's top-level BASE");
    assert.equal(r.inside.scriptEvaluatedHere, true);
    assert.notEqual(r.inside.pid, r.driverPid);
    assert.equal(code, 1, `exit code; stdout: ${stdout}\nstderr: ${stderr}`);
    assert.match(stderr, /main body failed on purpose/);
    assert.match(stdout, /^AFTER isInitialized=false$/m, "lux.main shut Lux down when the body settled");
  });
});
