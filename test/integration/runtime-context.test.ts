/**
 * Issue 13, point 14 (Ray's test_runtime_context): `lux.getRuntimeContext()` in a task, in an
 * actor (constructor, method, after a restart) and in the driver: actorName, taskName,
 * taskFunctionName, wasCurrentActorReconstructed, assignedResources and signal.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { ProbedActor, probe } from "./fixtures/runtime-context-defs.js";

let cluster: LocalCluster;

before(async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 2, resources: { slot: 1 } } });
  await lux.init({ address: cluster.address });
});

after(async () => {
  await lux.shutdown();
  await cluster.shutdown();
});

test("test_runtime_context: a task's name, function name, resources and signal", async () => {
  const plain = await lux.get(probe.remote());
  assert.equal(plain.taskName, "contextProbe");
  assert.equal(plain.taskFunctionName, "contextProbe");
  assert.deepEqual(plain.assignedResources, { CPU: 1 });
  assert.match(plain.taskId ?? "", /^[0-9a-f]{24}$/);
  assert.equal(plain.actorId, null);
  assert.equal(plain.actorName, null);
  assert.equal(plain.wasCurrentActorReconstructed, false);
  assert.deepEqual(plain.signal, { isAbortSignal: true, aborted: false });

  const renamed = await lux.get(probe.options({ name: "renamed", numCpus: 0.5, resources: { slot: 1 } }).remote());
  assert.equal(renamed.taskName, "renamed", "the name option names the task");
  assert.equal(renamed.taskFunctionName, "contextProbe", "the function keeps its name");
  assert.deepEqual(renamed.assignedResources, { CPU: 0.5, slot: 1 });
  // The same function with its first options again, on whatever worker it lands.
  assert.deepEqual((await lux.get(probe.remote())).assignedResources, { CPU: 1 });
});

test("test_runtime_context: an actor's name, method names, resources, and whether it was reconstructed", async () => {
  const actor = ProbedActor.options({ name: "probed", maxRestarts: 1, numCpus: 0, resources: { slot: 1 } }).remote();
  const constructed = await lux.get(actor.constructed.remote());
  assert.equal(constructed.taskName, "Probed.constructor");
  assert.equal(constructed.taskFunctionName, "Probed.constructor");
  assert.equal(constructed.actorName, "probed");
  assert.equal(constructed.wasCurrentActorReconstructed, false);

  const first = await lux.get(actor.context.remote());
  assert.equal(first.actorName, "probed");
  assert.equal(first.taskName, "Probed.context");
  assert.equal(first.taskFunctionName, "Probed.context");
  assert.equal(first.actorId, constructed.actorId);
  assert.deepEqual(first.assignedResources, { slot: 1 });
  assert.equal(first.wasCurrentActorReconstructed, false);
  assert.deepEqual(first.signal, { isAbortSignal: true, aborted: false });

  await lux.kill(actor, { noRestart: false });
  const restarted = await lux.get(actor.context.remote(), { timeoutMs: 60_000 });
  assert.equal(restarted.wasCurrentActorReconstructed, true);
  assert.equal(restarted.actorName, "probed");
  assert.equal((await lux.get(actor.constructed.remote())).wasCurrentActorReconstructed, true);
  await lux.kill(actor);
});

test("test_runtime_context: the driver runs no task: no names, no resources, a signal that never aborts", () => {
  const c = lux.getRuntimeContext();
  assert.equal(c.taskId, undefined);
  assert.equal(c.taskName, undefined);
  assert.equal(c.taskFunctionName, undefined);
  assert.equal(c.actorId, undefined);
  assert.equal(c.actorName, undefined);
  assert.equal(c.wasCurrentActorReconstructed, false);
  assert.deepEqual(c.assignedResources, {});
  assert.ok(c.signal instanceof AbortSignal);
  assert.equal(c.signal.aborted, false);
});
