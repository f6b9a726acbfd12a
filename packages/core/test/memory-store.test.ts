import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStore, type ObjectValue } from "../src/memory-store.js";
import { ObjectRef } from "../src/object-ref.js";

const INLINE: ObjectValue = { kind: "inline", bytes: new Uint8Array([1]) };

describe("MemoryStore", () => {
  it("hands a set value to the slot's waiters once, then to its watchers", () => {
    const store = new MemoryStore();
    const slot = store.createNew("a");
    const seen: string[] = [];
    store.addWaiter(slot, (v) => seen.push(`waiter ${v.kind}`));
    const unwatch = store.watch((s) => seen.push(`watcher ${s.id}`));
    store.setSlot(slot, INLINE);
    store.setSlot(slot, INLINE); // a value set again (a new location) reaches watchers only
    unwatch();
    assert.deepEqual(seen, ["waiter inline", "watcher a", "watcher a"]);
    assert.equal(slot.waiters, undefined);
  });

  it("calls its waiters once per addition, one or several; each take-back undoes one addition", () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    const waiter = (name: string) => (v: ObjectValue) => calls.push(`${name} ${v.kind}`);
    const one = store.createNew("one");
    const a = waiter("a");
    store.addWaiter(one, a);
    assert.equal(store.waiterCount(one), 1);
    store.setSlot(one, INLINE);
    const several = store.createNew("several");
    const [b, c, d] = [waiter("b"), waiter("c"), waiter("d")];
    for (const w of [b, c, b, d]) store.addWaiter(several, w);
    store.removeWaiter(several, c);
    store.removeWaiter(several, b);
    assert.equal(store.waiterCount(several), 2);
    store.setSlot(several, INLINE);
    const gaveUp = store.createNew("gave up");
    store.addWaiter(gaveUp, d);
    store.removeWaiter(gaveUp, a); // not its waiter: nothing changes
    assert.equal(store.waiterCount(gaveUp), 1);
    store.removeWaiter(gaveUp, d);
    assert.equal(store.waiterCount(gaveUp), 0);
    store.setSlot(gaveUp, INLINE);
    assert.deepEqual(calls, ["a inline", "b inline", "d inline"]);
    assert.deepEqual([one.waiters, several.waiters, gaveUp.waiters], [undefined, undefined, undefined]);
  });

  it("counts each slot's references on its own: a borrower of one object is none of another's", () => {
    const store = new MemoryStore();
    const [a, b] = [store.createNew("a"), store.put("b", INLINE)];
    assert.deepEqual([a.local, a.pins, a.borrowers, b.local, b.pins, b.borrowers], [0, 0, 0, 0, 0, 0]);
    (a as { borrowers: number }).borrowers++;
    (b as { pins: number }).pins++;
    assert.deepEqual([a.local, a.pins, a.borrowers, b.local, b.pins, b.borrowers], [0, 0, 1, 0, 1, 0]);
    assert.equal(store.createNew("c").borrowers, 0);
  });

  it("marks slots for one wait call: a second sighting is a duplicate, a watched slot is taken once", () => {
    const store = new MemoryStore();
    const slot = store.createNew("a");
    assert.equal(store.markSeen(slot, 1), true);
    assert.equal(store.markSeen(slot, 1), false);
    assert.equal(store.markSeen(slot, 2), true, "a later call sees it afresh");
    store.markWatched(slot, 2);
    assert.equal(store.takeWatched(slot, 3), false, "another call's mark");
    assert.equal(store.takeWatched(slot, 2), true);
    assert.equal(store.takeWatched(slot, 2), false);
  });

  it("points slots at the unfinished task that returns them until that task finishes", () => {
    const store = new MemoryStore();
    const slots = [store.createNew("a"), store.createNew("b")];
    const first = {};
    const rerun = {};
    store.attachTask(slots, first);
    store.attachTask([slots[1]!], rerun);
    store.detachTask(slots, first);
    assert.deepEqual(slots.map((s) => s.task), [undefined, rerun]);
  });

  it("finds an owned ref's slot again once the cached one was deleted", () => {
    const store = new MemoryStore();
    const first = store.createNew("a");
    const ref = new ObjectRef("a", "self", first);
    assert.equal(store.slotOf(ref), first);
    store.delete("a");
    assert.equal(first.deleted, true);
    assert.equal(store.slotOf(ref), undefined);
    const again = store.createNew("a");
    assert.equal(store.slotOf(ref), again);
    assert.equal(ref.slot, again);
  });
});
