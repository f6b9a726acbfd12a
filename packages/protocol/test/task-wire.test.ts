import assert from "node:assert/strict";
import { test } from "node:test";
import { ProtocolError, decodeMessage, decodeTaskSpec, encodeMessage, encodeTaskSpec, type TaskSpec } from "../src/index.js";

const spec = (over: Partial<TaskSpec> = {}): TaskSpec => ({
  taskId: "a1b2c3d4e5f6071800000001",
  jobId: "0123456789abcdef",
  functionId: "f0e1d2c3b4a5968778695a4b3c2d1e0f",
  name: "square",
  args: Uint8Array.of(0x91, 0x02),
  resolved: [],
  borrowed: [],
  returnIds: ["a1b2c3d4e5f607180000000100000000"],
  ownerAddress: "/tmp/lux/owner.sock",
  gpuIds: [],
  ...over,
});

/** Through msgpack, as on a real connection. */
const send = (sender: object, receiver: object, s: TaskSpec): TaskSpec =>
  decodeTaskSpec(receiver, decodeMessage(encodeMessage(encodeTaskSpec(sender, s))));

test("a spec round-trips; the shared head is sent once per connection until it changes", () => {
  const [a, b] = [{}, {}];
  const first = spec();
  assert.deepEqual(send(a, b, first), first);
  const second = spec({ taskId: "a1b2c3d4e5f6071800000002", returnIds: ["a1b2c3d4e5f607180000000200000000"] });
  assert.equal(encodeTaskSpec({}, second)[1] !== 0, true, "a new connection gets the head");
  const wire = encodeTaskSpec(a, second);
  assert.equal(wire[1], 0, "same head as the previous spec: left off");
  assert.deepEqual(decodeTaskSpec(b, decodeMessage(encodeMessage(wire))), second);
  const other = spec({ name: "cube", functionId: "00000000000000000000000000000001" });
  assert.deepEqual(send(a, b, other), other);
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
});

test("malformed or out-of-context specs are refused with ProtocolError", () => {
  const wire = encodeTaskSpec({}, spec());
  wire[1] = 0;
  assert.throws(() => decodeTaskSpec({}, wire), (e: unknown) => e instanceof ProtocolError && /previous/.test(e.message));
  assert.throws(() => decodeTaskSpec({}, { taskId: "x" }), ProtocolError);
  assert.throws(() => decodeTaskSpec({}, ["x", ["a", "b"], Uint8Array.of(), [], 0, 0, 0]), ProtocolError);
  assert.throws(() => decodeTaskSpec({}, ["x", ["a", "b", "c", "d"], Uint8Array.of(), [], 5, 0, 0]), ProtocolError);
});
