/**
 * TaskResults and the ReferenceCounter on an owner built on fakes: errors a task threw
 * are retried as retryExceptions says; borrowers keep owned
 * objects alive, a process that holds someone else's ref registers with its owner (and
 * lets go), refs nested in arguments, returns and put values are held until released,
 * and an object with no holder left is freed, with its copy in the node's store.
 *
 * A user's ObjectRef is counted when made and uncounted when collected; these tests play
 * both with addLocalOwned/removeLocalOwned (what the FinalizationRegistry calls), so
 * nothing waits for the garbage collector.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TaskError, newPutObjectId, objectIdFor } from "@lux/common";
import { FakeWorker, eventually, settle } from "@lux/testing";
import type { Slot } from "../src/memory-store.js";
import { ObjectRef } from "../src/object-ref.js";
import { deserialize } from "../src/serialization/index.js";
import "../src/wire-types.js";
import { type FakeOwner, ownersClosedAfterEach } from "./fake-owner.js";

const owner = ownersClosedAfterEach();

/** An object this owner owns with an inline value, referenced by one user ref (returned with its slot). */
function ownedValue(o: FakeOwner): { ref: ObjectRef; slot: Slot } {
  const id = newPutObjectId();
  const slot = o.objects.memory.put(id, { kind: "inline", bytes: Uint8Array.of(1) });
  o.objects.refs.addLocalOwned(slot);
  return { ref: new ObjectRef(id, o.address, slot), slot };
}

/** Holds each addBorrow reply until `ack` (the owner has not acknowledged the registration yet). */
function slowOwner(o: FakeOwner): { owner: FakeWorker; ack(): void } {
  const acks: (() => void)[] = [];
  const w = new FakeWorker(o.net);
  w.handle("addBorrow", () => new Promise((resolve) => acks.push(() => resolve({ ok: true }))));
  return { owner: w, ack: () => acks.splice(0).forEach((a) => a()) };
}

describe("TaskResults: errors the task threw", () => {
  test("a task that throws is run again while retryExceptions allows and it has retries, then fails with TaskError", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    o.raylet.onLease((l) => l.grant(w));
    w.onPush((p) => p.throw(new RangeError("out of range")));
    const any = o.submit({ maxRetries: 2, retryExceptions: true });
    const named = o.submit({ maxRetries: 2, retryExceptions: ["TypeError"] });
    const none = o.submit({ maxRetries: 2 });
    await eventually(() => [any, named, none].every((r) => o.valueOf(r) !== undefined), "every task failed");
    const runs = (r: typeof any): number => w.tasks.filter((t) => t.taskId === r.spec.taskId).length;
    assert.deepEqual([runs(any), runs(named), runs(none)], [3, 1, 1], "only errors the policy names are retried");
    for (const r of [any, named, none]) {
      const error = o.errorOf(r);
      assert.ok(error instanceof TaskError, String(error));
      assert.equal((error.cause as Error).name, "RangeError");
    }
  });
});

describe("ReferenceCounter: borrowers", () => {
  test("an owned result with a borrower outlives the owner's own refs; at zero it is freed, with its copy in the store", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    o.raylet.onLease((l) => l.grant(w));
    w.onPush((p) => p.reply({ nodeId: o.raylet.nodeId, size: 4096 }));
    const r = o.submit();
    await eventually(() => o.valueOf(r) !== undefined, "the task finished");
    const id = objectIdFor(r.spec.taskId, 0);
    const slot = r.returnSlots as Slot;
    o.objects.refs.addLocalOwned(slot); // the user's ref
    assert.equal(o.objects.refs.addBorrower(id), true, "another process borrows it (its addBorrow)");
    o.objects.refs.removeLocalOwned(slot); // the user's ref is collected
    await settle();
    assert.equal(o.objects.memory.has(id), true, "the borrower keeps it");
    assert.equal(o.lineage.stats().tasks, 1, "and the lineage to re-create it");
    assert.deepEqual(o.raylet.received("freeObjects"), []);
    o.objects.refs.removeBorrower(id); // its removeBorrow
    assert.equal(o.objects.memory.has(id), false, "freed at zero");
    assert.equal(o.lineage.stats().tasks, 0);
    await eventually(() => o.raylet.received("freeObjects").length === 1, "the node's copy is freed");
    assert.deepEqual(o.raylet.received("freeObjects"), [{ objectIds: [id] }]);
  });

  test("a process holding refs it does not own registers with the owner once, waits for the acknowledgement, and lets go at zero", async () => {
    const o = await owner();
    const { owner: other, ack } = slowOwner(o);
    const id = newPutObjectId();
    o.objects.refs.addLocal(id, other.address);
    o.objects.refs.addLocal(id, other.address);
    await eventually(() => other.received("addBorrow").length === 1, "the owner was told");
    assert.deepEqual(other.received("addBorrow"), [{ objectIds: [id] }], "one registration for two refs");
    assert.equal(o.objects.refs.borrowsPending(), true);
    let flushed = false;
    const flush = o.objects.refs.flushBorrows().then(() => (flushed = true));
    await settle();
    assert.equal(flushed, false, "flushBorrows waits for the owner's acknowledgement");
    ack();
    await flush;
    assert.equal(o.objects.refs.borrowsPending(), false);
    o.objects.refs.removeLocal(id);
    await settle();
    assert.deepEqual(other.received("removeBorrow"), [], "one ref is still held");
    o.objects.refs.removeLocal(id);
    await eventually(() => other.received("removeBorrow").length === 1, "the owner was told");
    assert.deepEqual(other.received("removeBorrow"), [{ objectIds: [id] }]);
  });
});

describe("ReferenceCounter: nested refs", () => {
  test("refs inside a task's return are held until the returned object is freed; the executor drops its pins once the owner acknowledged", async () => {
    const o = await owner();
    const executor = new FakeWorker(o.net);
    const { owner: other, ack } = slowOwner(o);
    const theirs = newPutObjectId();
    const ours = ownedValue(o);
    o.raylet.onLease((l) => l.grant(executor));
    executor.onPush((p) =>
      p.reply({ value: Uint8Array.of(1), contained: [{ objectId: theirs, ownerAddress: other.address }, ours.ref.toWire()] }),
    );
    const r = o.submit();
    await eventually(() => o.valueOf(r) !== undefined, "the task finished");
    await eventually(() => other.received("addBorrow").length === 1, "the owner of the nested ref was told");
    assert.deepEqual(other.received("addBorrow"), [{ objectIds: [theirs] }]);
    await settle();
    assert.deepEqual(executor.received("releaseContained"), [], "not before the registration is acknowledged");
    ack();
    await eventually(() => executor.received("releaseContained").length === 1, "the executor was told");
    assert.deepEqual(executor.received("releaseContained"), [{ objectIds: [objectIdFor(r.spec.taskId, 0)] }]);

    o.objects.refs.removeLocalOwned(ours.slot); // the user drops their ref to our own nested object
    assert.equal(o.objects.memory.has(ours.ref.objectId), true, "the returned value still holds it");
    const container = r.returnSlots as Slot;
    o.objects.refs.addLocalOwned(container);
    o.objects.refs.removeLocalOwned(container); // the returned object is released
    assert.equal(o.objects.memory.has(objectIdFor(r.spec.taskId, 0)), false);
    assert.equal(o.objects.memory.has(ours.ref.objectId), false, "our nested object goes with it");
    await eventually(() => other.received("removeBorrow").length === 1, "the other owner was told");
    assert.deepEqual(other.received("removeBorrow"), [{ objectIds: [theirs] }]);
  });

  test("refs inside a put value are held until the put object is freed", async () => {
    const o = await owner();
    const inner = ownedValue(o);
    const outer = o.objects.putter.put({ nested: [inner.ref] });
    const outerSlot = o.objects.memory.slot(outer.objectId) as Slot;
    o.objects.refs.addLocalOwned(outerSlot);
    o.objects.refs.removeLocalOwned(inner.slot);
    assert.equal(o.objects.memory.has(inner.ref.objectId), true, "held by the put value");
    o.objects.refs.removeLocalOwned(outerSlot);
    assert.equal(o.objects.memory.has(outer.objectId), false);
    assert.equal(o.objects.memory.has(inner.ref.objectId), false, "freed with it");
  });

  test("a ref nested in a task's arguments travels as a ref and is held by the task; the executor's borrow keeps it after the task", async () => {
    const o = await owner();
    const executor = new FakeWorker(o.net);
    const top = ownedValue(o);
    const nested = ownedValue(o);
    o.raylet.onLease((l) => l.grant(executor));
    executor.hold();
    const r = o.submit({}, [top.ref, { inner: nested.ref }]);
    assert.deepEqual(r.heldRefs, [top.ref, nested.ref], "the task holds every ref in its arguments");
    const push = await executor.nextPush();
    assert.deepEqual(push.spec.resolved.map((a) => a.index), [0], "only the top-level ref is resolved to its value");
    const args = deserialize(push.spec.args) as [unknown, { inner: ObjectRef }];
    assert.ok(args[1].inner instanceof ObjectRef);
    assert.equal(args[1].inner.objectId, nested.ref.objectId);
    assert.equal(args[1].inner.ownerAddress, o.address, "with its owner's address, to borrow it from");
    // The executor registers as a borrower before it replies (its addBorrow reaches the owner first).
    assert.equal(o.objects.refs.addBorrower(nested.ref.objectId), true);
    push.reply();
    await eventually(() => o.valueOf(r) !== undefined, "the task finished");
    o.objects.refs.removeLocalOwned(nested.slot);
    assert.equal(o.objects.memory.has(nested.ref.objectId), true, "the executor still borrows it");
    o.objects.refs.removeBorrower(nested.ref.objectId);
    assert.equal(o.objects.memory.has(nested.ref.objectId), false);
  });
});

describe("TaskResults: the reply of a value's bytes alone", () => {
  test("it is the value of the task's one return; a task of two returns fails with ProtocolError instead", async () => {
    const o = await owner();
    const w = new FakeWorker(o.net);
    o.raylet.onLease((l) => l.grant(w));
    // As a real worker answers: the bytes alone, whatever the task.
    w.handle("pushTask", () => Uint8Array.of(0x2a));
    const one = o.submit();
    const two = o.submit({ numReturns: 2 });
    await eventually(() => o.valueOf(one) !== undefined && o.valueOf(two) !== undefined, "both tasks ended");
    const value = o.valueOf(one);
    assert.equal(value?.kind, "inline");
    assert.equal(deserialize((value as { bytes: Uint8Array }).bytes), 42);
    assert.equal(o.errorOf(two)?.name, "ProtocolError", String(o.errorOf(two)));
    assert.equal(o.results.size(), 0, "neither task is left in flight");
  });
});
