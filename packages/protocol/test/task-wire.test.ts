import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_MESSAGE_DEPTH, ProtocolError, TaskSpecWire, decodeMessage, decodeTaskSpec, encodeMessage, encodeTaskSpec, type TaskSpec } from "../src/index.js";

const spec = (over: Partial<TaskSpec> = {}): TaskSpec => ({
  taskId: "a1b2c3d4e5f6071800000001",
  jobId: "0123456789abcdef",
  functionId: "f0e1d2c3b4a5968778695a4b3c2d1e0f",
  name: "square",
  args: Uint8Array.of(0x91, 0x02),
  resolved: [],
  borrowed: [],
  numReturns: 1,
  ownerAddress: "/tmp/lux/owner.sock",
  gpuIds: [],
  reported: false,
  ...over,
});

/** Through msgpack and the schema check at dispatch, as on a real connection. */
const received = (wire: TaskSpecWire): TaskSpecWire => {
  const decoded = decodeMessage(encodeMessage(wire));
  assert.equal(TaskSpecWire.test(decoded, DEFAULT_MESSAGE_DEPTH), true, TaskSpecWire.explain(decoded, "", DEFAULT_MESSAGE_DEPTH));
  return decoded as TaskSpecWire;
};
const send = (sender: object, receiver: object, s: TaskSpec): TaskSpec => decodeTaskSpec(receiver, received(encodeTaskSpec(sender, s)));

test("a spec round-trips; the shared head is sent once per connection until it changes", () => {
  const [a, b] = [{}, {}];
  const first = spec();
  assert.deepEqual(send(a, b, first), first);
  const second = spec({ taskId: "a1b2c3d4e5f6071800000002", numReturns: 2 });
  assert.equal(encodeTaskSpec({}, second)[1] !== 0, true, "a new connection gets the head");
  const wire = encodeTaskSpec(a, second);
  assert.equal(wire[1], 0, "same head as the previous spec: left off");
  assert.deepEqual(decodeTaskSpec(b, received(wire)), second);
  const other = spec({ name: "cube", functionId: "00000000000000000000000000000001" });
  assert.deepEqual(send(a, b, other), other);
  // A normal task's resources travel in the head: sent again when they are another object.
  const resources = { CPU: 0.5, slot: 1 };
  const withResources = spec({ resources });
  assert.deepEqual(send(a, b, withResources), withResources);
  const sameResources = spec({ taskId: "a1b2c3d4e5f6071800000005", resources });
  assert.equal(encodeTaskSpec(a, sameResources)[1], 0, "the same resources object: head left off");
  assert.deepEqual(decodeTaskSpec(b, received(encodeTaskSpec({ last: true }, sameResources))).resources, resources);
  const otherResources = spec({ taskId: "a1b2c3d4e5f6071800000006", resources: { CPU: 1 } });
  assert.deepEqual(send(a, b, otherResources), otherResources);
  const full = spec({
    resolved: [{ index: 0, objectId: "a1b2c3d4e5f607180000000300000000", value: Uint8Array.of(1) }],
    borrowed: [{ objectId: "a1b2c3d4e5f607180000000400000000", ownerAddress: "/tmp/x.sock" }],
    gpuIds: [0, 1],
    actorId: "ab".repeat(16),
    method: "add",
    callerId: "cd".repeat(16),
    seq: 7,
  });
  assert.deepEqual(send(a, b, full), full);
  // Generator tasks carry [backpressure, skip] last: after the actor part, or after a null for a function.
  const generator = spec({ taskId: "a1b2c3d4e5f6071800000007", generator: { backpressure: 2, skip: 5 } });
  assert.deepEqual(encodeTaskSpec(a, generator).slice(7), [null, [2, 5]]);
  assert.deepEqual(send(a, b, generator), generator);
  const generatorMethod = { ...full, taskId: "a1b2c3d4e5f6071800000008", generator: { backpressure: 0, skip: 0 } };
  assert.deepEqual(send(a, b, generatorMethod), generatorMethod);
  assert.equal(encodeTaskSpec(a, spec({ taskId: "a1b2c3d4e5f6071800000009" })).length, 7, "a plain task carries neither part");
});

test("an actor call's concurrency group and a task's maxCalls travel only when set", () => {
  const [a, b] = [{}, {}];
  const call = spec({ actorId: "ab".repeat(16), method: "fetch", callerId: "cd".repeat(16), seq: 1 });
  const plainWire = encodeTaskSpec(a, call);
  assert.equal((plainWire[7] as unknown[]).length, 4, "a call naming no group: the actor part as before");
  assert.deepEqual(decodeTaskSpec(b, received(plainWire)), call);
  const grouped = { ...call, taskId: "a1b2c3d4e5f6071800000010", concurrencyGroup: "io" };
  assert.deepEqual(encodeTaskSpec({}, grouped)[7], ["ab".repeat(16), "fetch", "cd".repeat(16), 1, "io"]);
  assert.deepEqual(send(a, b, grouped), grouped);
  const generatorGrouped = { ...grouped, taskId: "a1b2c3d4e5f6071800000011", generator: { backpressure: 1, skip: 0 } };
  assert.deepEqual(send(a, b, generatorGrouped), generatorGrouped);
  // maxCalls goes last, after nulls for the parts a normal task does not have.
  const limited = spec({ taskId: "a1b2c3d4e5f6071800000012", maxCalls: 2 });
  assert.deepEqual(encodeTaskSpec(a, limited).slice(7), [null, null, 2]);
  assert.deepEqual(send(a, b, limited), limited);
  const limitedGenerator = spec({ taskId: "a1b2c3d4e5f6071800000013", maxCalls: 1, generator: { backpressure: 0, skip: 3 } });
  assert.deepEqual(encodeTaskSpec(a, limitedGenerator).slice(7), [null, [0, 3], 1]);
  assert.deepEqual(send(a, b, limitedGenerator), limitedGenerator);
  assert.equal(send(a, b, spec({ taskId: "a1b2c3d4e5f6071800000014" })).maxCalls, undefined);
});

test("a task whose events its owner reports says so last; one that it does not adds nothing", () => {
  const [a, b] = [{}, {}];
  const reported = spec({ taskId: "a1b2c3d4e5f6071800000015", reported: true });
  assert.deepEqual(encodeTaskSpec({}, reported).slice(7), [null, null, null, 1]);
  assert.deepEqual(send(a, b, reported), reported);
  const both = spec({ taskId: "a1b2c3d4e5f6071800000016", maxCalls: 3, reported: true });
  assert.deepEqual(encodeTaskSpec({}, both).slice(7), [null, null, 3, 1]);
  assert.deepEqual(send(a, b, both), both);
  const unreported = spec({ taskId: "a1b2c3d4e5f6071800000017" });
  assert.equal(encodeTaskSpec({}, unreported).length, 7);
  assert.equal(send(a, b, unreported).reported, false);
});

test("a spec referring to a head that never came is refused with ProtocolError", () => {
  const wire = encodeTaskSpec({}, spec());
  wire[1] = 0;
  assert.throws(() => decodeTaskSpec({}, wire), (e: unknown) => e instanceof ProtocolError && /previous/.test(e.message));
});

test("the wire schema refuses malformed specs, naming where", () => {
  const bad: [unknown, RegExp][] = [
    [{ taskId: "x" }, /^the body: expected an array of 7 to 11, got an object$/],
    [["x", ["a", "b"], Uint8Array.of(), 1, 0, 0, 0], /^\[1\]: expected an array of 4 to 6, got 2 items$/],
    [["x", ["a", "b", "c", "d", { CPU: "1" }], Uint8Array.of(), 1, 0, 0, 0], /^\[1\]\[4\]\["CPU"\]: expected a number, got a string$/],
    [["x", ["a", "b", "c", "d"], Uint8Array.of(), 1, 5, 0, 0], /^\[4\]: expected 0 or an array, got number 5$/],
    [["x", 0, "not bytes", 1, 0, 0, 0], /^\[2\]: expected bytes, got a string$/],
    [["x", 0, Uint8Array.of(), ["r"], 0, 0, 0], /^\[3\]: expected an integer from 0 to 10000, got an array$/],
    [["x", 0, Uint8Array.of(), 2 ** 31, 0, 0, 0], /^\[3\]: expected an integer from 0 to 10000, got number 2147483648$/],
    [["x", 0, Uint8Array.of(), 1, [{ index: 0 }], 0, 0], /^\[4\]\[0\]\.objectId: expected a string, got nothing$/],
    [["x", 0, Uint8Array.of(), 1, 0, 0, 0, [1, null, null, null]], /^\[7\]\[0\]: expected a string, got number 1$/],
    [["x", 0, Uint8Array.of(), 1, 0, 0, 0, null, [1.5, 0]], /^\[8\]\[0\]: expected an integer >= 0, got number 1.5$/],
    [["x", 0, Uint8Array.of(), 1, 0, 0, 0, ["a", null, null, null, 7]], /^\[7\]\[4\]: expected a string, got number 7$/],
    [["x", 0, Uint8Array.of(), 1, 0, 0, 0, null, null, 0], /^\[9\]: expected an integer >= 1, got number 0$/],
  ];
  for (const [wire, problem] of bad) {
    assert.equal(TaskSpecWire.test(wire, DEFAULT_MESSAGE_DEPTH), false);
    assert.match(TaskSpecWire.explain(wire, "", DEFAULT_MESSAGE_DEPTH) ?? "", problem);
  }
});
