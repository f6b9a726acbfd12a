/**
 * Errors (issue 2, point 8) and option validation (point 11): the exported error
 * classes, a remote throw arriving as a TaskError with the remote cause, propagation
 * through dependent tasks, docs/errors.md listing every exported class, and invalid
 * options refused at the call site with an InvalidOptionError naming the option.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { root } from "./helpers.js";
import { PlainActor, identity, plusOne, throwCustom } from "./fixtures/errors-fns.js";

/** The error classes point 8 names; each must be exported from "lux". */
const REQUIRED_ERRORS = [
  "TaskError",
  "GetTimeoutError",
  "ActorDiedError",
  "TaskCancelledError",
  "WorkerCrashedError",
  "ObjectLostError",
  "OwnerDiedError",
  "ObjectStoreFullError",
] as const;

type ErrorClass = (abstract new (...args: never[]) => Error) & { code?: unknown };

/** Every class exported from "lux" that is LuxError or extends it. */
function exportedErrorClasses(): [string, ErrorClass][] {
  const exports: Record<string, unknown> = lux;
  return Object.entries(exports).filter(
    (entry): entry is [string, ErrorClass] =>
      typeof entry[1] === "function" && (entry[1] === lux.LuxError || entry[1].prototype instanceof lux.LuxError),
  );
}

/** Rows of the table in docs/errors.md: code → class name. */
function documentedCodes(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(root, "docs/errors.md"), "utf8").split("\n")) {
    const m = /^\|\s*`(LUX_[A-Z0-9_]+)`\s*\|\s*`(\w+)`/.exec(line);
    if (m !== null) rows.set(m[1] as string, m[2] as string);
  }
  return rows;
}

/** Asserts `fn` throws an InvalidOptionError for `option`, with the option in the message. */
function refuses(fn: () => unknown, option: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof lux.InvalidOptionError, `${option}: expected an InvalidOptionError, got ${String(e)}`);
    assert.ok(e instanceof lux.LuxError);
    assert.equal(e.option, option);
    assert.ok(e.message.includes(`invalid option ${option}:`), `the message does not name ${option}: ${e.message}`);
    return true;
  });
}

describe("error classes", () => {
  test("every error class of point 8 is exported from lux and is a LuxError", () => {
    for (const name of REQUIRED_ERRORS) {
      const cls = (lux as unknown as Record<string, unknown>)[name];
      assert.equal(typeof cls, "function", `lux.${name} is not exported`);
      assert.ok((cls as ErrorClass).prototype instanceof lux.LuxError, `lux.${name} does not extend lux.LuxError`);
      assert.ok((cls as ErrorClass).prototype instanceof Error);
      assert.equal((cls as ErrorClass).prototype.name, name);
    }
    assert.ok(lux.OwnerDiedError.prototype instanceof lux.ObjectLostError);
  });

  test("docs/errors.md lists every error class exported from lux, by code", () => {
    const documented = documentedCodes();
    const classes = exportedErrorClasses();
    assert.ok(classes.length >= REQUIRED_ERRORS.length + 1);
    for (const [name, cls] of classes) {
      const code = cls.code;
      assert.equal(typeof code, "string", `lux.${name} has no static code`);
      assert.match(code as string, /^LUX_[A-Z0-9_]+$/);
      assert.ok(documented.has(code as string), `docs/errors.md has no row for ${code as string} (lux.${name}); add one`);
      assert.equal(documented.get(code as string), name, `docs/errors.md names another class for ${code as string}`);
    }
    const codes = classes.map(([, cls]) => cls.code);
    assert.equal(new Set(codes).size, codes.length, "two exported classes share a code");
  });
});

describe("errors from a cluster", () => {
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-errors-test-"));
    await lux.init({ numCpus: 2 });
  });
  after(async () => {
    await lux.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a remote throw rejects get with a TaskError carrying the remote error as cause", async () => {
    const ref = throwCustom.remote(10);
    await assert.rejects(lux.get(ref), (e: unknown) => {
      assert.ok(e instanceof lux.TaskError, `expected a TaskError, got ${String(e)}`);
      assert.ok(e instanceof lux.LuxError);
      assert.equal(e.code, "LUX_TASK_FAILED");
      assert.equal(e.functionName, "throwCustom");
      assert.equal(typeof e.taskId, "string");
      const cause = e.cause as RangeError & { code?: unknown; detail?: unknown };
      assert.ok(cause instanceof RangeError, "a built-in error class comes back as that class");
      assert.equal(cause.name, "RangeError");
      assert.equal(cause.message, "too big: more than 10");
      assert.equal(cause.code, 42);
      assert.deepEqual(cause.detail, { limit: 10 });
      assert.deepEqual(Object.keys(cause).sort(), ["code", "detail"]);
      // The remote stack: the task function's frame in the fixture module.
      assert.match(cause.stack ?? "", /^RangeError: too big: more than 10\n/);
      assert.match(cause.stack ?? "", /at throwCustom .*fixtures\/errors-fns\.ts:\d+/);
      assert.ok(e.message.includes("too big: more than 10"), `the TaskError's message lacks the cause's: ${e.message}`);
      assert.ok(e.message.includes("throwCustom"));
      return true;
    });
  });

  test("an error propagates through dependent tasks, which do not run", async () => {
    const failed = throwCustom.remote(1);
    const marker1 = path.join(dir, "first-dependent-ran");
    const marker2 = path.join(dir, "second-dependent-ran");
    const first = plusOne.remote(failed, marker1);
    const second = plusOne.remote(first, marker2);
    let original: lux.TaskError | undefined;
    await assert.rejects(lux.get(failed), (e: unknown) => {
      original = e as lux.TaskError;
      return e instanceof lux.TaskError;
    });
    for (const ref of [first, second]) {
      await assert.rejects(lux.get(ref), (e: unknown) => {
        assert.ok(e instanceof lux.TaskError, `expected a TaskError, got ${String(e)}`);
        assert.equal(e.taskId, original?.taskId, "the dependent's error is the original task's");
        assert.equal(e.functionName, "throwCustom");
        assert.equal(e.cause.message, "too big: more than 1");
        assert.equal((e.cause as { code?: unknown }).code, 42);
        return true;
      });
    }
    assert.ok(!fs.existsSync(marker1), "the first dependent task ran");
    assert.ok(!fs.existsSync(marker2), "the second dependent task ran");
    // The same functions work with good inputs (so the markers above mean something).
    assert.equal(await lux.get(plusOne.remote(identity.remote(1), marker1)), 2);
    assert.ok(fs.existsSync(marker1));
  });

  test("an error propagates to a dependent actor call", async () => {
    const actor = PlainActor.remote();
    const failed = throwCustom.remote(2);
    const call = (actor as unknown as lux.ActorHandle<{ ping(x: number): string }>).ping.remote(failed);
    await assert.rejects(lux.get(call), (e: unknown) => e instanceof lux.TaskError && e.functionName === "throwCustom");
    assert.equal(await lux.get(actor.ping.remote()), "pong");
    await lux.kill(actor);
  });

  test("misuse of the API and a dead actor fail with coded Lux errors", async () => {
    await assert.rejects(lux.init(), (e: unknown) => e instanceof lux.InitError && e.code === "LUX_INIT_FAILED" && /already called/.test(e.message));
    assert.throws(() => lux.exitActor(), (e: unknown) => e instanceof lux.NotInActorError && e.code === "LUX_NOT_IN_ACTOR");
    const actor = PlainActor.remote();
    assert.equal(await lux.get(actor.ping.remote()), "pong");
    await lux.kill(actor);
    await assert.rejects(lux.get(actor.ping.remote()), (e: unknown) => {
      assert.ok(e instanceof lux.ActorDiedError && e instanceof lux.LuxError, `expected ActorDiedError, got ${String(e)}`);
      assert.equal(e.code, "LUX_ACTOR_DIED");
      return true;
    });
  });

  test("a task whose workers cannot start fails with LeaseFailedError, the raylet's reason as cause", async () => {
    // Node exits before the worker registers: the module it must preload does not exist.
    const runtimeEnv = { envVars: { NODE_OPTIONS: `--require ${path.join(dir, "missing.cjs")}` } };
    const ref = identity.options({ maxRetries: 0, runtimeEnv }).remote(1);
    await assert.rejects(lux.get(ref), (e: unknown) => {
      assert.ok(e instanceof lux.LeaseFailedError && e instanceof lux.LuxError, `expected LeaseFailedError, got ${String(e)}`);
      assert.equal(e.code, "LUX_LEASE_FAILED");
      assert.equal(e.what, "task identity");
      assert.match(e.message, /^could not lease a worker for task identity: worker process exited with code \d+ before it registered/);
      assert.ok(e.cause instanceof Error);
      return true;
    });
  });

  test("an anonymous remote function is named by where it was defined", async () => {
    const anonymous = lux.remote((x: number) => {
      if (x < 0) throw new Error("negative");
      return x;
    });
    assert.throws(
      () => anonymous.remote((() => 1) as unknown as number),
      (e: unknown) =>
        e instanceof lux.SerializationError && /^cannot send argument 1 of <anonymous at errors-options\.test\.ts:\d+>: value is a function/.test(e.message),
    );
    await assert.rejects(lux.get(anonymous.remote(-1)), (e: unknown) => {
      assert.ok(e instanceof lux.TaskError);
      assert.match(e.functionName, /^<anonymous at errors-options\.test\.ts:\d+>$/);
      assert.match(e.message, /^task <anonymous at errors-options\.test\.ts:\d+> \(id \w+\) failed: Error: negative/);
      return true;
    });
  });

  describe("option validation at the call site", () => {
    test("task options", () => {
      const f = identity;
      refuses(() => f.options({ bogus: 1 } as never), "bogus");
      refuses(() => f.options({ numcpus: 1 } as never), "numcpus");
      refuses(() => f.options({ numCpus: -1 }), "numCpus");
      refuses(() => f.options({ numCpus: Number.NaN }), "numCpus");
      refuses(() => f.options({ numGpus: -0.5 }), "numGpus");
      // memory is a whole number of bytes.
      for (const memory of [-1, 1.5, 0.5, Number.POSITIVE_INFINITY]) refuses(() => f.options({ memory }), "memory");
      refuses(() => f.options({ resources: { memory: 1024 } }), "resources.memory");
      refuses(() => f.options({ resources: { custom: -1 } }), "resources.custom");
      refuses(() => f.options({ maxRetries: -2 }), "maxRetries");
      refuses(() => f.options({ maxRetries: 1.5 }), "maxRetries");
      for (const numReturns of [0, 1.5, -1]) refuses(() => f.options({ numReturns }), "numReturns");
      refuses(() => f.options({ name: "" }), "name");
      // Later .options() calls are checked too, and the accepted edge values pass.
      refuses(() => f.options({ numCpus: 1 }).options({ numCpus: -1 }), "numCpus");
      assert.doesNotThrow(() => f.options({ numCpus: 0, maxRetries: -1, numReturns: 1, name: "ok", memory: 500 * 1024 ** 2 }));
      assert.doesNotThrow(() => f.options({ memory: 0 }));
    });

    test("actor options and method options", async () => {
      refuses(() => PlainActor.options({ bogus: true } as never), "bogus");
      refuses(() => PlainActor.options({ numCpus: -1 }), "numCpus");
      refuses(() => PlainActor.options({ memory: 1.5 }), "memory");
      refuses(() => PlainActor.options({ maxRestarts: -2 }), "maxRestarts");
      refuses(() => PlainActor.options({ maxRestarts: 0.5 }), "maxRestarts");
      refuses(() => PlainActor.options({ maxConcurrency: 0 }), "maxConcurrency");
      refuses(() => PlainActor.options({ name: "" }), "name");
      refuses(() => PlainActor.options({ namespace: "" }), "namespace");
      refuses(() => PlainActor.options({ lifetime: "forever" as "detached" }), "lifetime");
      assert.doesNotThrow(() => PlainActor.options({ maxRestarts: -1, numCpus: 0 }));
      const handle = PlainActor.remote();
      try {
        // 0 is accepted for a method (no ref, as in Ray); counts below it or fractions are not.
        for (const numReturns of [-1, 1.5]) refuses(() => handle.ping.options({ numReturns }), "numReturns");
        refuses(() => handle.ping.options({ bogus: 1 } as never), "bogus");
      } finally {
        await lux.kill(handle);
      }
    });
  });
});
