/**
 * ConcurrencyGroups, the worker's choice of the queue a call waits in: the group the call
 * names, else its method's (the `methods` option), else the default one (maxConcurrency).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TaskSpec } from "@lux/protocol";
import { InvalidOptionError } from "@lux/common";
import { ConcurrencyGroups } from "../src/concurrency-groups.js";

const call = (method: string, concurrencyGroup?: string): TaskSpec => ({
  taskId: "t",
  jobId: "j",
  functionId: "",
  name: method,
  args: Uint8Array.of(),
  resolved: [],
  borrowed: [],
  numReturns: 0,
  ownerAddress: "o",
  gpuIds: [],
  actorId: "a",
  method,
  ...(concurrencyGroup !== undefined ? { concurrencyGroup } : {}),
});

test("without groups every call is in the default group, whose limit is maxConcurrency; it may be named", () => {
  const groups = new ConcurrencyGroups(1000);
  assert.equal(groups.of(call("m")), groups.main);
  assert.equal(groups.main.limit, 1000);
  assert.equal(groups.of(call("m", "default")), groups.main);
  assert.equal(groups.of(call("m", "io")), undefined, "a group it does not have");
});

test("a method's calls run in its group, a call naming a group in that one, others in the default group", () => {
  const groups = new ConcurrencyGroups(3, { io: 2, compute: 1 }, { fetch: "io", idle: "default" });
  const io = groups.of(call("fetch"));
  const compute = groups.of(call("fetch", "compute"));
  assert.equal(io?.limit, 2);
  assert.equal(compute?.limit, 1);
  assert.notEqual(io, compute);
  assert.equal(groups.of(call("other")), groups.main);
  assert.equal(groups.of(call("idle")), groups.main);
  assert.equal(groups.of(call("fetch", "default")), groups.main, "a call may move a method back to the default group");
  assert.equal(groups.of(call("other", "io")), io, "one queue per group, whatever the method");
});

test("a call naming a group the actor lacks fails with InvalidOptionError listing its groups", () => {
  const e = new ConcurrencyGroups(1, { io: 2 }).unknown("gpu");
  assert.ok(e instanceof InvalidOptionError);
  assert.equal(e.option, "concurrencyGroup");
  assert.match(e.message, /the actor's groups are io; "default" is the default group\), got 'gpu'/);
});
