/**
 * Lookups of an actor id the control service has not heard of: long-polls that each
 * answer "not yet" after their wait, under one limit counted from the first lookup.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ActorDiedError, ActorNameTakenError } from "@lux/common";
import { FakeClock, type ActorInfo } from "@lux/protocol";
import { ActorRegistrations, nextChange, unregisteredInfo } from "../src/actor-lookups.js";

describe("ActorRegistrations", () => {
  it("a lookup answers false after its wait, true once the creator registers", async () => {
    const clock = new FakeClock();
    const regs = new ActorRegistrations(60_000, clock);
    const first = regs.wait("a1", 5000);
    clock.advance(5000);
    assert.equal(await first, false);
    const second = regs.wait("a1", 5000);
    regs.registered("a1");
    assert.equal(await second, true);
    assert.equal(clock.pendingTimers, 0, "no timer is left behind");
  });

  it("polling again does not extend the limit: it counts from the first lookup", async () => {
    const clock = new FakeClock();
    const regs = new ActorRegistrations(12_000, clock);
    for (let i = 0; i < 2; i++) {
      const poll = regs.wait("a2", 5000);
      clock.advance(5000);
      assert.equal(await poll, false);
    }
    const last = regs.wait("a2", 5000);
    clock.advance(2000);
    await assert.rejects(last, (e: unknown) => e instanceof ActorDiedError && /registered within 12000 ms/.test(String((e.cause as Error).message)));
    await assert.rejects(regs.wait("a2", 5000), ActorDiedError, "later lookups fail at once");
  });

  it("a refused registration fails its lookups with ActorDiedError caused by the refusal", async () => {
    const regs = new ActorRegistrations(60_000, new FakeClock());
    const waiting = regs.wait("a3", Infinity);
    regs.registered("a3", new ActorNameTakenError({ name: "c", namespace: "ns" }));
    await assert.rejects(waiting, (e: unknown) => e instanceof ActorDiedError && e.cause instanceof ActorNameTakenError);
  });
});

describe("nextChange", () => {
  it("answers the change when it comes, else the current info after waitMs, taking its waiter back", async () => {
    const clock = new FakeClock();
    const waiters = new Set<(info: ActorInfo) => void>();
    const pending = unregisteredInfo("a4");
    const polled = nextChange(waiters, () => pending, 5000, clock);
    clock.advance(5000);
    assert.equal((await polled).state, "PENDING");
    assert.equal(waiters.size, 0);
    const changed = nextChange(waiters, () => pending, 5000, clock);
    for (const w of waiters) w({ ...pending, state: "ALIVE", address: "127.0.0.1:1" });
    assert.equal((await changed).state, "ALIVE");
    assert.equal(clock.pendingTimers, 0);
  });
});
