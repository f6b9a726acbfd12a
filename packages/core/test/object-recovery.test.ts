/**
 * Lineage reconstruction on an owner built on fakes: a result lost with its node is made
 * again by re-running its task (its lost arguments first), each re-run counting against
 * the task's maxRetries; a put object, and a result whose task has no retries left, fail
 * with ObjectLostError saying why.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { ObjectLostError, fromWireError, isPutObjectId } from "@lux/common";
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
  o.objects.refs.addLocalOwned(r.returnSlots[0] as Slot);
  return r.spec.returnIds[0] as string;
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

  test("a result made by an actor call is not re-created", async () => {
    const { o } = await owner(() => "node-B");
    const actor = new FakeWorker(o.net);
    actor.onPush((p) => p.reply({ nodeId: "node-B", size: 1 << 20 }));
    o.gcs.actorAlive("actor-1", actor);
    const r = o.call("actor-1", "make");
    const id = hold(o, r);
    await eventually(() => storedAt(o, id) === "node-B", "the result is stored on node B");
    o.objects.directory.nodeDied("node-B");
    assert.match(lostError(o, id).message, /actor calls are not re-run/);
    assert.equal(actor.tasks.length, 1);
  });
});
