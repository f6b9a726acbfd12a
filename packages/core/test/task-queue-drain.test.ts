/**
 * A long queue of tasks drains in linear work: the owner never shifts an array that V8
 * cannot trim in place (past ~16,000 elements each such shift copies all the rest, which
 * made 300,000 queued tasks take 9× the time of 100,000; issue 25). Counted, not timed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeWorker, eventually } from "@lux/testing";
import type { TaskRecord } from "../src/task-record.js";
import { type FakeOwner, ownersClosedAfterEach } from "./fake-owner.js";

const owner = ownersClosedAfterEach();

/** Below this length V8 moves an array's start in place (measured: 10,000 shifts of 10,000 take 1 ms). */
const TRIMMED_IN_PLACE = 10_000;

/** Runs `body` counting shifts of arrays longer than TRIMMED_IN_PLACE anywhere in this process. */
async function countingLongShifts(body: () => Promise<void>): Promise<number> {
  const shift = Array.prototype.shift;
  let long = 0;
  Array.prototype.shift = function (this: unknown[]) {
    if (this.length > TRIMMED_IN_PLACE) long++;
    return shift.call(this);
  };
  try {
    await body();
  } finally {
    Array.prototype.shift = shift;
  }
  return long;
}

const finished = (o: FakeOwner, r: TaskRecord): boolean => o.valueOf(r) !== undefined;

describe("TaskSubmitter: a long queue", () => {
  test("20,000 tasks queued at once all run, in submission order, without shifting a long array", async () => {
    const o = await owner();
    const workers = [new FakeWorker(o.net), new FakeWorker(o.net)];
    const free = [...workers];
    o.raylet.onLease((lease) => {
      const w = free.pop();
      if (w !== undefined) lease.grant(w);
    });
    const n = 2 * TRIMMED_IN_PLACE;
    let tasks: TaskRecord[] = [];
    const long = await countingLongShifts(async () => {
      tasks = Array.from({ length: n }, (_, i) => o.submit({ name: `t${i}` }));
      await eventually(() => finished(o, tasks[n - 1] as TaskRecord), "the last task finished", 60_000);
    });
    assert.ok(tasks.every((r) => finished(o, r) && o.errorOf(r) === undefined), "every task finished");
    assert.equal(workers[0]!.pushes.length + workers[1]!.pushes.length, n, "each task pushed once");
    for (const w of workers) {
      const order = w.tasks.map((t) => Number(t.name.slice(1)));
      assert.ok(order.every((x, i) => i === 0 || x > (order[i - 1] as number)), "each worker got its tasks in submission order");
    }
    assert.equal(long, 0, "shifts of arrays V8 copies whole");
  });
});
