/**
 * Actors (issue 2, point 6): handles, ordering, concurrency, passing handles around,
 * names and namespaces, kill, failing constructors, detached and owned lifetimes.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import {
  BrokenActor,
  CounterActor,
  ForwarderActor,
  GateActor,
  MeetingActor,
  RecorderActor,
  StepperActor,
  afterGate,
  incrVia,
  readLog,
  type Counter,
} from "./fixtures/actors-defs.js";
import { descendants, fixtures, pidAlive, startScript, waitFor } from "./helpers.js";

const secondDriver = path.join(fixtures, "actors-driver.ts");
let address = "";

before(async () => {
  ({ address } = await lux.init({ numCpus: 2 }));
});

after(async () => {
  await lux.shutdown();
});

/** Resolves true once `getActor` rejects with ActorNotFoundError. */
async function notFound(name: string, namespace: string): Promise<boolean> {
  try {
    await lux.getActor(name, { namespace });
    return false;
  } catch (e) {
    if (e instanceof lux.ActorNotFoundError) return true;
    throw e;
  }
}

describe("actor handles and calls", () => {
  test("remote() returns a handle at once, methods return refs, state persists across calls", async () => {
    const counter = CounterActor.remote(10);
    assert.ok(!(counter instanceof Promise), "the handle is returned synchronously");
    assert.equal((counter as unknown as { then?: unknown }).then, undefined, "a handle is not a thenable");
    const first = counter.incr.remote(1);
    assert.ok(first instanceof lux.ObjectRef);
    const second = counter.incr.remote(5);
    assert.deepEqual(await lux.get([first, second]), [11, 16]);
    assert.equal(await lux.get(counter.value.remote()), 16);
    assert.equal(await lux.get(counter.incr.remote()), 17);
  });

  test("calls from one caller run in submission order even when their arguments are ready out of order", async () => {
    const gate = GateActor.remote();
    const recorder = RecorderActor.remote();
    const slow = afterGate.remote(gate, "first"); // ready only once the gate opens
    const call1 = recorder.record.remote(slow);
    const call2 = recorder.record.remote("second"); // ready at once
    // Another caller reads the log: the second call has not overtaken the first.
    assert.deepEqual(await lux.get(readLog.remote(recorder)), []);
    await lux.get(gate.open.remote());
    assert.deepEqual(await lux.get([call1, call2]), [1, 2]);
    assert.deepEqual(await lux.get(recorder.log.remote()), ["first", "second"]);
  });

  test("maxConcurrency: 1 makes an async actor run one call at a time: an async method finishes before the next call starts", async () => {
    const gate = GateActor.remote();
    const stepper = StepperActor.options({ maxConcurrency: 1 }).remote();
    const a = stepper.step.remote("a", gate);
    const b = stepper.step.remote("b", gate);
    // Call a is inside its await; b must not start meanwhile.
    await waitFor(async () => (await lux.get(gate.arrived.remote())) >= 1, "the first call to wait on the gate");
    await lux.get(gate.open.remote());
    assert.deepEqual(await lux.get([a, b]), ["a", "b"]);
    assert.deepEqual(await lux.get(stepper.log.remote()), ["start a", "end a", "start b", "end b"]);
  });

  test("maxConcurrency: 3 lets three async calls run at once", async () => {
    // Each call returns only when all three are inside meet() together.
    const meeting = MeetingActor.options({ maxConcurrency: 3 }).remote();
    const refs = [meeting.meet.remote(3), meeting.meet.remote(3), meeting.meet.remote(3)];
    const arrivals = await lux.get(refs, { timeoutMs: 60_000 });
    assert.deepEqual([...arrivals].sort(), [1, 2, 3]);
  });

  test("handles can be passed to tasks and actors and stored with put", async () => {
    const counter = CounterActor.remote(0);
    assert.equal(await lux.get(incrVia.remote(counter, 1)), 1, "a task calls the actor");
    const forwarder = ForwarderActor.remote(counter);
    assert.equal(await lux.get(forwarder.incr.remote(10)), 11, "an actor calls a handle given to its constructor");
    const other = CounterActor.remote(100);
    assert.equal(await lux.get(forwarder.incrOther.remote(other, 1)), 101, "an actor calls a handle given to a method");

    const stored = lux.put(counter);
    const back = await lux.get(stored);
    assert.equal(await lux.get(back.incr.remote(100)), 111, "a handle from put/get reaches the same actor");
    assert.equal(await lux.get(incrVia.remote(stored, 1)), 112, "a ref to a handle resolves to the handle in a task");
    const { counters } = await lux.get(lux.put({ counters: [counter, other] }));
    assert.equal(await lux.get(counters[1]!.value.remote()), 101);
    assert.equal(await lux.get(counter.value.remote()), 112);
  });
});

describe("named actors", () => {
  test("getActor and getIfExists return the same actor, right after creation", async () => {
    const counter = CounterActor.options({ name: "shared" }).remote(0);
    const found = await lux.getActor<Counter>("shared");
    assert.equal(await lux.get(found.incr.remote(2)), 2);
    assert.equal(await lux.get(counter.incr.remote(1)), 3);
    const again = CounterActor.options({ name: "shared", getIfExists: true }).remote(1000);
    assert.equal(await lux.get(again.incr.remote(1)), 4, "getIfExists reaches the existing actor's state");
    assert.equal(await lux.get(incrVia.remote(again, 1)), 5, "the getIfExists handle works in another process too");
    assert.equal(await lux.get(counter.value.remote()), 5);
  });

  test("a duplicate name is refused at .remote(); the first actor is unaffected", async () => {
    const first = CounterActor.options({ name: "dup" }).remote(0);
    assert.equal(await lux.get(first.incr.remote()), 1);
    assert.throws(() => CounterActor.options({ name: "dup" }).remote(0), (e: unknown) => {
      assert.ok(e instanceof lux.ActorNameTakenError, `expected ActorNameTakenError, got ${String(e)}`);
      assert.match(e.message, /named "dup" already exists/);
      return true;
    });
    assert.equal(await lux.get(first.incr.remote()), 2);
    assert.equal(await lux.get((await lux.getActor<Counter>("dup")).value.remote()), 2);
  });

  test("names are per namespace", async () => {
    const a = CounterActor.options({ name: "per-ns", namespace: "ns-a" }).remote(1);
    const b = CounterActor.options({ name: "per-ns", namespace: "ns-b" }).remote(2);
    assert.deepEqual(await lux.get([a.value.remote(), b.value.remote()]), [1, 2]);
    const foundA = await lux.getActor<Counter>("per-ns", { namespace: "ns-a" });
    const foundB = await lux.getActor<Counter>("per-ns", { namespace: "ns-b" });
    assert.equal(await lux.get(foundA.incr.remote(10)), 11);
    assert.equal(await lux.get(foundB.value.remote()), 2);
    await assert.rejects(lux.getActor("per-ns"), lux.ActorNotFoundError, "not in the job's own namespace");
    await assert.rejects(lux.getActor("per-ns", { namespace: "ns-c" }), lux.ActorNotFoundError);
  });

  test("getActor rejects with ActorNotFoundError when there is no such actor", async () => {
    await assert.rejects(lux.getActor("nobody-has-this-name"), (e: unknown) => {
      assert.ok(e instanceof lux.ActorNotFoundError, `expected ActorNotFoundError, got ${String(e)}`);
      assert.match(e.message, /nobody-has-this-name/);
      return true;
    });
  });
});

describe("actor death", () => {
  test("after kill, calls reject with ActorDiedError and the actor's worker exits", async () => {
    const counter = CounterActor.options({ name: "to-kill" }).remote(0);
    assert.equal(await lux.get(counter.incr.remote()), 1);
    const pid = await lux.get(counter.pid.remote());
    await lux.kill(counter);
    await assert.rejects(lux.get(counter.incr.remote()), lux.ActorDiedError);
    await waitFor(() => !pidAlive(pid), "the killed actor's worker to exit");
    await assert.rejects(lux.get(counter.value.remote()), lux.ActorDiedError);
    await assert.rejects(lux.getActor("to-kill"), lux.ActorNotFoundError);
    // Another caller sees it dead too.
    await assert.rejects(lux.get(incrVia.remote(counter, 1)), (e: unknown) => {
      assert.ok(e instanceof lux.TaskError, `expected TaskError, got ${String(e)}`);
      assert.ok(e.cause instanceof lux.ActorDiedError, `expected the cause to be ActorDiedError, got ${String(e.cause)}`);
      return true;
    });
  });

  test("kill right after creation: the actor never serves a call", async () => {
    const counter = CounterActor.remote(0);
    await lux.kill(counter);
    await assert.rejects(lux.get(counter.incr.remote()), lux.ActorDiedError);
  });

  test("a throwing constructor makes every call reject with ActorDiedError naming the cause", async () => {
    const broken = BrokenActor.remote("bad input");
    const early = [broken.ping.remote(), broken.ping.remote()];
    for (const ref of early) {
      await assert.rejects(lux.get(ref), (e: unknown) => {
        assert.ok(e instanceof lux.ActorDiedError, `expected ActorDiedError, got ${String(e)}`);
        assert.match(e.message, /RangeError: constructor refused: bad input/);
        return true;
      });
    }
    await assert.rejects(lux.get(broken.ping.remote()), /constructor refused: bad input/);
  });
});

describe("actor lifetime", () => {
  const namespace = `actors-lifetime-${process.pid}`;

  test("a detached actor outlives the driver that created it", async () => {
    const driver = startScript(secondDriver, { args: ["keeper", "detached"], env: { LUX_TEST_CLUSTER: address, LUX_TEST_NS: namespace } });
    try {
      const [, actorPid, helperPid] = (await driver.line(/ready (\d+) (\d+)/)).map(Number) as [number, number, number];
      assert.equal((await driver.exited()).code, 0, driver.stderr());
      // The driver's job has ended once its non-detached helper actor is gone.
      await waitFor(() => !pidAlive(helperPid), "the exited driver's non-detached actor to end");
      const keeper = await lux.getActor<Counter>("keeper", { namespace });
      assert.equal(await lux.get(keeper.incr.remote(1)), 102, "the detached actor kept its state");
      assert.equal(await lux.get(keeper.pid.remote()), actorPid);
      assert.ok(pidAlive(actorPid));
      await lux.kill(keeper);
      await waitFor(() => !pidAlive(actorPid), "the killed detached actor's worker to exit");
    } finally {
      driver.kill();
    }
  });

  test("a detached actor created by a driver that exits at once still comes up", async () => {
    const driver = startScript(secondDriver, { args: ["unused", "detached-unused"], env: { LUX_TEST_CLUSTER: address, LUX_TEST_NS: namespace } });
    try {
      assert.equal((await driver.exited()).code, 0, driver.stderr());
      const unused = await lux.getActor<Counter>("unused", { namespace });
      assert.equal(await lux.get(unused.incr.remote(1)), 201);
      const pid = await lux.get(unused.pid.remote());
      await lux.kill(unused);
      await waitFor(() => !pidAlive(pid), "the killed detached actor's worker to exit");
    } finally {
      driver.kill();
    }
  });

  test("a non-detached named actor dies with its driver, and so does its worker process", async () => {
    const driver = startScript(secondDriver, { args: ["owned", "owned"], env: { LUX_TEST_CLUSTER: address, LUX_TEST_NS: namespace } });
    try {
      const [, actorPid] = (await driver.line(/ready (\d+) (\d+)/)).map(Number) as [number, number, number];
      assert.ok(descendants(process.pid).includes(actorPid), "the actor runs in a worker of this test's raylet");
      const owned = await lux.getActor<Counter>("owned", { namespace });
      assert.equal(await lux.get(owned.incr.remote(1)), 102);
      driver.kill("SIGKILL");
      await driver.exited();
      await waitFor(() => notFound("owned", namespace), "getActor to stop finding the dead driver's actor");
      await waitFor(() => !descendants(process.pid).includes(actorPid), "the actor's worker process to end");
      await assert.rejects(lux.get(owned.incr.remote(1)), lux.ActorDiedError);
    } finally {
      driver.kill();
    }
  });
});
