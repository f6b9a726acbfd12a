/**
 * The owner's answer to getObjectStatus is a long-poll: it replies with the value once it
 * is known, or "pending" after the wait the reader names, so no call between the two waits
 * without a deadline while the task that makes the object runs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "@lux/protocol";
import { MemoryStore, type ObjectValue } from "../src/memory-store.js";
import { ObjectDirectory } from "../src/object-directory.js";
import { Uploads } from "../src/uploads.js";

const INLINE: ObjectValue = { kind: "inline", bytes: new Uint8Array([7]) };

function directory(): { memory: MemoryStore; dir: ObjectDirectory; clock: FakeClock } {
  const memory = new MemoryStore();
  const clock = new FakeClock();
  const dir = new ObjectDirectory({ memory, raylet: { notify: () => undefined }, uploads: new Uploads(memory), clock, lostObjectConfirmTimeoutMs: 40_000 });
  return { memory, dir, clock };
}

/** Lets the status call reach its wait (it awaits the object's upload first). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("ObjectDirectory.status (getObjectStatus)", () => {
  it("answers pending after waitMs, leaving no waiter behind; the value once it is set", async () => {
    const { memory, dir, clock } = directory();
    const slot = memory.createNew("o1");
    const first = dir.status("o1", 5000);
    await turn();
    clock.advance(5000);
    assert.deepEqual(await first, { objectId: "o1", pending: true });
    assert.equal(memory.waiterCount(slot), 0, "the poll that gave up took its waiter back");
    const second = dir.status("o1", 5000);
    await turn();
    memory.setSlot(slot, INLINE);
    assert.deepEqual(await second, { objectId: "o1", value: new Uint8Array([7]) });
    assert.equal(clock.pendingTimers, 0, "its timer is cancelled");
    assert.deepEqual(await dir.status("o1", 5000), { objectId: "o1", value: new Uint8Array([7]) }, "a known value: at once");
  });

  it("an object freed while a reader polls is lost, not pending forever", async () => {
    const { memory, dir, clock } = directory();
    memory.createNew("o2");
    const poll = dir.status("o2", 1000);
    await turn();
    memory.delete("o2");
    clock.advance(1000);
    const reply = await poll;
    assert.ok("error" in reply && reply.error !== undefined, "an ObjectLostError");
    const again = await dir.status("o2", 1000);
    assert.ok("error" in again && again.error !== undefined);
  });
});
