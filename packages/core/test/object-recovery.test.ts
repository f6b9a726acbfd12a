/**
 * Lineage reconstruction on an owner built on fakes: a result lost with its node is made
 * again by re-running its task (its lost arguments first), each re-run counting against
 * the task's maxRetries (an actor call's: by calling the restarted actor again, within its
 * maxTaskRetries); a put object, and a result whose task has no retries left, fail with
 * ObjectLostError saying why.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { ObjectLostError, fromWireError, isPutObjectId, newActorId, objectIdFor } from "@lux/common";
import { FakeWorker, eventually, settle, type PushedTask } from "@lux/testing";
import type { Slot } from "../src/memory-store.js";
import type { TaskRecord } from "../src/task-record.js";
import { fakeOwner, type FakeOwner } from "./fake-owner.js";

let owners: FakeOwner[] = [];
afterEach(() => {
  for (const o of owners) o.close();
  owners = [];
});

/** An owner whose raylet grants one worker, which stores every result on the node `storedOn()` names. */
async function owner(storedOn: () => string): Promise<{ o: FakeOwner; worker: FakeWorker }> {
  const o = await fakeOwner();
  owners.push(o);
  const worker = new FakeWorker(o.net);
  o.raylet.onLease((l) => l.grant(worker));
  worker.onPush((p: PushedTask) => p.reply({ nodeId: storedOn(), size: 1 << 20 }));
  return { o, worker };
}

/** The user holds a ref to the task's first result (so it is not freed). */
function hold(o: FakeOwner, r: TaskRecord): string {
  o.objects.refs.addLocalOwned(r.returnSlots as Slot);
  return objectIdFor(r.spec.taskId, 0);
}

const storedAt = (o: FakeOwner, id: string): string | undefined => {
  const v = o.objects.memory.peek(id);
  return v?.kind === "stored" ? v.nodeId : undefined;
};

function lostError(o: FakeOwner, id: string): ObjectLostError {
  const v = o.objects.memory.peek(id);
  assert.ok(v?.kind === "error", `${id} failed`);
  const error = fromWireError(v.error);
  assert.ok(error instanceof ObjectLostError, String(error));
  return error;
}

describe("lineage reconstruction", () => {
  test("a result lost with its node is made again by re-running its task, until the task's retries are spent", async () => {
    let node = "node-B";
    const { o, worker } = await owner(() => node);
    const r = o.submit({ maxRetries: 1 });
    const id = hold(o, r);
    await eventually(() => storedAt(o, id) === "node-B", "the result is stored on node B");
    assert.equal(o.lineage.stats().tasks, 1, "its lineage is kept");

    node = "node-C";
    o.objects.directory.nodeDied("node-B");
    assert.equal(o.objects.memory.peek(id), undefined, "pending again: gets wait for the new value");
    await eventually(() => storedAt(o, id) === "node-C", "the result is stored again, on node C");
    assert.deepEqual(worker.tasks.map((t) => t.taskId), [r.spec.taskId, r.spec.taskId], "the same task ran again");
    assert.equal(r.retriesLeft, 0);

    o.objects.directory.nodeDied("node-C");
    await settle();
    assert.equal(worker.tasks.length, 2, "no retries left: not run again");
    assert.match(lostError(o, id).message, /no retries left/);
  });

  test("lost arguments are made again before the task that takes them", async () => {
    let node = "node-B";
    const { o, worker } = await owner(() => node);
    const first = o.submit({ name: "first", maxRetries: 1 });
    const firstId = hold(o, first);
    const second = o.submit({ name: "second", maxRetries: 1 }, [o.refs(first)[0]]);
    const secondId = hold(o, second);
    await eventually(() => storedAt(o, secondId) === "node-B", "both results are stored on node B");
    node = "node-C";
    o.objects.directory.nodeDied("node-B");
    await eventually(() => storedAt(o, secondId) === "node-C" && storedAt(o, firstId) === "node-C", "both were made again");
    assert.deepEqual(worker.tasks.map((t) => t.name), ["first", "second", "first", "second"]);
    assert.equal(worker.tasks[3]?.resolved[0]?.objectId, firstId, "the re-run takes the re-made argument");
  });

  test("a put object lost with its node fails with ObjectLostError: it cannot be re-created; a copy elsewhere saves it until then", async () => {
    const { o, worker } = await owner(() => "node-B");
    const ref = o.objects.putter.put(new Uint8Array(1 << 20)); // large: in this node's store
    o.objects.refs.addLocalOwned(o.objects.memory.slot(ref.objectId) as Slot);
    assert.ok(isPutObjectId(ref.objectId));
    assert.equal(storedAt(o, ref.objectId), o.raylet.nodeId);
    o.objects.directory.addCopy(ref.objectId, "node-B"); // node B pulled a copy
    o.objects.directory.nodeDied(o.raylet.nodeId);
    assert.equal(storedAt(o, ref.objectId), "node-B", "read from the copy from now on");
    o.objects.directory.nodeDied("node-B");
    assert.match(lostError(o, ref.objectId).message, /put\(\)/);
    assert.deepEqual(worker.tasks, [], "nothing is re-run");
  });

  test("a result stored on a node already declared dead (the reply raced the death) is made again at once", async () => {
    const nodes = ["node-B", "node-C"];
    const { o, worker } = await owner(() => nodes.shift() ?? "node-D");
    o.objects.directory.nodeDied("node-B");
    const r = o.submit({ maxRetries: 1 });
    const id = hold(o, r);
    await eventually(() => storedAt(o, id) === "node-C", "the result is stored on node C");
    assert.equal(worker.tasks.length, 2);
  });
});

describe("lineage reconstruction of actor calls", () => {
  /** An actor on `w` whose calls store their results on node `node()`. */
  function actorOn(o: FakeOwner, w: FakeWorker, node: () => string, maxTaskRetries: number): string {
    const actorId = newActorId();
    w.onPush((p) => p.reply({ nodeId: node(), size: 1 << 20 }));
    o.gcs.actorAlive(actorId, w, { nodeId: node(), maxTaskRetries });
    return actorId;
  }

  test("a result lost with its node is made again by calling the restarted actor, until its maxTaskRetries are spent", async () => {
    const o = await fakeOwner();
    owners.push(o);
    let node = "node-B";
    const [w1, w2] = [new FakeWorker(o.net), new FakeWorker(o.net)];
    const actorId = actorOn(o, w1, () => node, 1);
    const r = o.call(actorId, "produce");
    const later = o.call(actorId, "later");
    const id = hold(o, r);
    await eventually(() => storedAt(o, id) === "node-B" && o.valueOf(later) !== undefined, "the results are stored on node B");
    assert.equal(o.lineage.stats().tasks, 2, "the calls' lineage is kept");

    // Node B is declared dead (its actor's worker has not even noticed yet); the actor restarts on node C.
    node = "node-C";
    o.gcs.actorRestarting(actorId);
    // As CoreWorker.nodeDied: the actors' connections there first, then the owned objects.
    o.actors.nodeDied("node-B");
    o.objects.directory.nodeDied("node-B");
    assert.equal(o.objects.memory.peek(id), undefined, "pending again: gets wait for the new value");
    w2.onPush((p) => p.reply({ nodeId: node, size: 1 << 20 }));
    o.gcs.actorAlive(actorId, w2, { nodeId: "node-C", maxTaskRetries: 1 });
    await eventually(() => storedAt(o, id) === "node-C", "the result is stored again, on node C");
    await eventually(() => storedAt(o, objectIdFor(later.spec.taskId, 0)) === "node-C", "the later call's result too");
    assert.deepEqual(w2.tasks.map((t) => t.taskId), [r.spec.taskId, later.spec.taskId], "the same calls, sent to the restarted actor in order");
    assert.equal(w1.tasks.length, 2, "none to the worker on the dead node");
    assert.equal(r.retriesLeft, 0);

    o.objects.directory.nodeDied("node-C");
    await settle();
    assert.equal(w2.tasks.filter((t) => t.taskId === r.spec.taskId).length, 1, "no retries left: not called again");
    assert.match(lostError(o, id).message, /actor method produce .*no retries left.*maxTaskRetries/);
  });

  test("without maxTaskRetries a lost result of an actor call rejects with ObjectLostError saying why", async () => {
    const o = await fakeOwner();
    owners.push(o);
    const w = new FakeWorker(o.net);
    const actorId = actorOn(o, w, () => "node-B", 0);
    const r = o.call(actorId, "produce");
    const id = hold(o, r);
    await eventually(() => storedAt(o, id) === "node-B", "the result is stored on node B");
    o.objects.directory.nodeDied("node-B");
    await settle();
    assert.equal(w.tasks.length, 1);
    assert.match(lostError(o, id).message, /actor method produce, whose actor has no maxTaskRetries/);
  });
});
