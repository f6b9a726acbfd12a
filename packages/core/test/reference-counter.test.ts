import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStore } from "../src/memory-store.js";
import { ReferenceCounter } from "../src/reference-counter.js";

const SELF = "/tmp/self.sock";
const OTHER = "/tmp/other.sock";

/** A counter whose owners acknowledge borrow registrations when the test calls `ack`. */
function counter(): { store: MemoryStore; refs: ReferenceCounter; events: string[]; ack: () => void } {
  const store = new MemoryStore();
  const events: string[] = [];
  const acks: (() => void)[] = [];
  const owners = {
    addBorrow: (id: string, owner: string) => {
      events.push(`borrow ${id} from ${owner}`);
      return new Promise<void>((resolve) => acks.push(resolve));
    },
    removeBorrow: (id: string, owner: string) => void events.push(`unborrow ${id} from ${owner}`),
  };
  const refs = new ReferenceCounter(SELF, store, owners, (id) => {
    events.push(`free ${id}`);
    store.delete(id);
  });
  return { store, refs, events, ack: () => acks.splice(0).forEach((resolve) => resolve()) };
}

describe("ReferenceCounter", () => {
  it("counts an owned object on its memory-store entry and frees it when refs, pins and borrowers are all gone", () => {
    const { store, refs, events } = counter();
    const slot = store.createNew("a");
    refs.addLocalOwned(slot);
    refs.addLocal("a", SELF); // a second ref object, made from the id
    refs.pin("a", SELF);
    assert.equal(refs.addBorrower("a"), true);
    assert.deepEqual([slot.local, slot.pins, slot.borrowers], [2, 1, 1]);
    assert.equal(refs.ownedCount(), 1);
    refs.removeLocalOwned(slot);
    refs.removeLocal("a");
    refs.unpin("a");
    assert.deepEqual(events, []);
    refs.removeBorrower("a");
    assert.deepEqual(events, ["free a"]);
    assert.equal(store.has("a"), false);
    assert.equal(refs.ownedCount(), 0);
    // A late finalizer call for a freed entry changes nothing.
    refs.removeLocalOwned(slot);
    assert.deepEqual(events, ["free a"]);
  });

  it("keeps borrowed objects in its own table and releases them to their owner", () => {
    const { refs, events } = counter();
    refs.addLocal("b", OTHER);
    refs.addLocal("b", OTHER);
    assert.equal(refs.addBorrower("b"), false, "only owners have borrowers");
    assert.equal(refs.ownedCount(), 0);
    assert.equal(refs.size(), 1);
    assert.deepEqual(refs.borrowedFrom(OTHER), ["b"]);
    refs.removeLocal("b");
    refs.removeLocal("b");
    assert.deepEqual(events, [`borrow b from ${OTHER}`, `unborrow b from ${OTHER}`]);
    assert.equal(refs.size(), 0);
  });

  it("knows which borrow registrations the owners have not acknowledged yet", async () => {
    const { refs, ack } = counter();
    assert.equal(refs.borrowsPending(), false);
    refs.addLocal("c", OTHER);
    refs.addLocal("c", OTHER); // a second ref to the same object registers nothing new
    refs.addLocal("d", OTHER);
    assert.equal(refs.borrowsPending(), true);
    let flushed = false;
    const flush = refs.flushBorrows().then(() => (flushed = true));
    await Promise.resolve();
    assert.equal(flushed, false, "flushBorrows waits for the acknowledgements");
    ack();
    await flush;
    assert.equal(refs.borrowsPending(), false);
  });

  it("counts a ref to an owned object whose entry is gone (it came back inside a value) in its table", () => {
    const { refs, events } = counter();
    refs.addLocal("gone", SELF);
    assert.equal(refs.ownedCount(), 1);
    assert.equal(refs.addBorrower("gone"), true);
    refs.removeLocal("gone");
    refs.removeBorrower("gone");
    assert.deepEqual(events, ["free gone"]);
    assert.equal(refs.size(), 0);
  });
});
