/**
 * Actor lifetime by reference counting (issue 13, point 4), as in Ray: a non-detached actor
 * ends once no handle to it is left in any process and no call made through one is pending,
 * and its name is free again. Handles given to tasks and kept by other actors count (they are
 * borrowed, like ObjectRefs); detached actors live until killed; handles found by name do not
 * keep an actor alive. A dropped handle is released when it is collected: the tests force
 * collections, in the driver here and in workers through the fixtures.
 *
 * Each actor is created inside a helper function, so no frame of a test keeps its handle.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as lux from "lux";
import {
  FactoryActor,
  HolderActor,
  LatchActor,
  TallyActor,
  afterLatch,
  collectGarbage,
  incrThenDrop,
  type Latch,
  type Tally,
} from "./fixtures/actor-lifetime-defs.js";
import { pidAlive, waitFor, withCluster } from "./helpers.js";

withCluster({ head: { numCpus: 2 } }, (c) => lux.init({ address: c.address, namespace: "actor-lifetime" }).then(() => undefined));

/** Collects garbage in this process until `condition` holds. */
function collectedUntil(condition: () => boolean, what: string): Promise<void> {
  return waitFor(async () => {
    await collectGarbage();
    return condition();
  }, what);
}

/** Several collections here, for a condition that must keep holding through them. */
async function collectSeveralTimes(): Promise<void> {
  for (let i = 0; i < 3; i++) await collectGarbage();
}

/** Creates a Tally with `options` and returns its worker's pid; the handle is dropped on return. */
async function startTally(options: lux.ActorOptions = {}): Promise<number> {
  const tally = TallyActor.options(options).remote();
  return lux.get(tally.pid.remote());
}

async function latchArrivals(latch: lux.ActorHandle<Latch>, n: number): Promise<void> {
  await waitFor(async () => (await lux.get(latch.arrived.remote())) === n, `${n} call(s) to wait at the latch`);
}

test("actor deletion (Ray's test_actor_deletion): once its last handle is collected the actor ends, its worker exits and its name is free", async () => {
  const pid = await startTally({ name: "deleted" });
  assert.ok(pidAlive(pid));
  await collectedUntil(() => !pidAlive(pid), "the actor's worker to exit once its handle is collected");
  await assert.rejects(lux.getActor("deleted"), lux.ActorNotFoundError);
  const again = TallyActor.options({ name: "deleted" }).remote();
  assert.equal(await lux.get(again.incr.remote(5)), 5, "a new actor takes the name");
});

test("an actor whose handle is dropped finishes the calls made through it before it ends", async () => {
  const latch = LatchActor.remote();
  const { pid, pending } = await (async () => {
    const tally = TallyActor.remote();
    return { pid: await lux.get(tally.pid.remote()), pending: tally.incrAfter.remote(latch, 10) };
  })();
  await latchArrivals(latch, 1);
  await collectSeveralTimes();
  assert.ok(pidAlive(pid), "the actor lives while a call made through its dropped handle is pending");
  await lux.get(latch.open.remote());
  assert.equal(await lux.get(pending), 10);
  await collectedUntil(() => !pidAlive(pid), "the actor to end once its last call is done");
});

test("actor handle borrowing: a handle passed to a task keeps the actor alive, queued or running, until the task drops it", async () => {
  const latch = LatchActor.remote();
  const { pid, result } = await (async () => {
    const tally = TallyActor.remote();
    // Held back until the latch opens: only the queued task refers to the handle meanwhile.
    return { pid: await lux.get(tally.pid.remote()), result: incrThenDrop.remote(afterLatch.remote(latch), { tally }) };
  })();
  await latchArrivals(latch, 1);
  await collectSeveralTimes();
  assert.ok(pidAlive(pid), "the queued task's argument keeps the actor alive");
  await lux.get(latch.open.remote());
  assert.equal(await lux.get(result), 1, "the task called the actor through its borrowed handle");
  await collectedUntil(() => !pidAlive(pid), "the actor to end once the task dropped its handle");
});

test("actor handle borrowing: a handle kept by another actor keeps the actor alive until that actor drops it", async () => {
  const holder = HolderActor.remote();
  const pid = await (async () => {
    const tally = TallyActor.remote();
    await lux.get(holder.keep.remote({ tally }));
    return lux.get(tally.pid.remote());
  })();
  await collectSeveralTimes();
  assert.ok(pidAlive(pid));
  assert.equal(await lux.get(holder.use.remote()), 1, "the holder calls the actor through the handle it kept");
  await lux.get(holder.drop.remote());
  await collectedUntil(() => !pidAlive(pid), "the actor to end once the holder dropped its handle");
});

test("a handle inside a put object keeps the actor alive while the object is referenced", async () => {
  const slot: { stored?: lux.ObjectRef<{ tally: lux.ActorHandle<Tally> }> } = {};
  const pid = await (async () => {
    const tally = TallyActor.remote();
    slot.stored = lux.put({ tally });
    return lux.get(tally.pid.remote());
  })();
  await collectSeveralTimes();
  assert.ok(pidAlive(pid));
  const incrViaStored = async (): Promise<number> => lux.get((await lux.get(slot.stored!)).tally.incr.remote(2));
  assert.equal(await incrViaStored(), 2);
  delete slot.stored;
  await collectedUntil(() => !pidAlive(pid), "the actor to end once the put object is collected");
});

test("an actor created by another actor lives while the driver holds the handle it was given", async () => {
  const factory = FactoryActor.remote();
  const slot: { tally?: lux.ActorHandle<Tally> } = {};
  const pid = await (async () => {
    slot.tally = (await lux.get(factory.make.remote())).tally;
    return lux.get(slot.tally.pid.remote());
  })();
  await lux.get(factory.collect.remote()); // the factory's own handle is collected: the driver's borrow remains
  await collectSeveralTimes();
  assert.ok(pidAlive(pid));
  const incr = async (): Promise<number> => lux.get(slot.tally!.incr.remote(3));
  assert.equal(await incr(), 3);
  delete slot.tally;
  await collectedUntil(() => !pidAlive(pid), "the actor to end once the driver dropped the handle its owner gave it");
});

test("detached actors live until killed; handles found by name do not keep an actor alive (as in Ray)", async () => {
  const detachedPid = await startTally({ name: "lives-on", lifetime: "detached" });
  const pid = await startTally({ name: "found-by-name" });
  const found = await lux.getActor<Tally>("found-by-name");
  await collectedUntil(() => !pidAlive(pid), "the actor to end once its creator's handle is collected");
  await assert.rejects(lux.get(found.incr.remote(1)), lux.ActorDiedError);
  assert.ok(pidAlive(detachedPid), "the detached actor lives with no handle left");
  const detached = await lux.getActor<Tally>("lives-on");
  assert.equal(await lux.get(detached.incr.remote(1)), 1);
  await lux.kill(detached);
  await waitFor(() => !pidAlive(detachedPid), "the killed detached actor's worker to exit");
});
