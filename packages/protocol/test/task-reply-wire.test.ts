import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeMessage, decodeTaskReply, encodeMessage, encodeTaskReply, type TaskReply, type TaskReplyWire } from "../src/index.js";

const id0 = "a1b2c3d4e5f607180000000100000000";
const value = Uint8Array.of(0x92, 1, 2);

/** Through msgpack, as on a real connection. */
const received = (wire: TaskReplyWire): TaskReplyWire => decodeMessage(encodeMessage(wire)) as TaskReplyWire;

test("a reply of one inline return with nothing else travels as the value's bytes and comes back whole", () => {
  const reply: TaskReply = { returns: [{ objectId: id0, value }] };
  const wire = encodeTaskReply(reply, 1);
  assert.ok(wire instanceof Uint8Array);
  assert.deepEqual([...wire], [...value]);
  const back = received(wire);
  assert.ok(back instanceof Uint8Array, "msgpack gives bytes back as bytes");
  let asked = 0;
  const decoded = decodeTaskReply(back, () => {
    asked++;
    return id0;
  });
  assert.equal(asked, 1);
  assert.equal(decoded.returns.length, 1);
  assert.equal(decoded.returns[0]?.objectId, id0);
  assert.deepEqual([...(decoded.returns[0]?.value ?? [])], [...value]);
  assert.deepEqual(Object.keys(decoded), ["returns"], "no flag set");
});

test("every other reply travels as it is", () => {
  const others: [string, TaskReply, number][] = [
    ["an error", { returns: [{ objectId: id0, error: { code: "LUX_TASK", message: "boom" } }] }, 1],
    ["a stored return", { returns: [{ objectId: id0, nodeId: "n1", size: 10 }] }, 1],
    ["a stored return with copies", { returns: [{ objectId: id0, nodeId: "n1", size: 10, locations: ["n2"] }] }, 1],
    ["refs inside", { returns: [{ objectId: id0, value, contained: [{ objectId: id0, ownerAddress: "/tmp/o.sock" }] }], hasContained: true }, 1],
    ["several returns", { returns: [{ objectId: id0, value }, { objectId: `${id0}1`, value }] }, 2],
    ["a task of two returns", { returns: [{ objectId: id0, value }] }, 2],
    ["no return (numReturns 0)", { returns: [] }, 0],
    ["a requeue", { returns: [], requeue: true }, 1],
    ["a call that held the thread", { returns: [{ objectId: id0, value }], heldThread: true }, 1],
    ["the worker's last call", { returns: [{ objectId: id0, value }], workerExiting: true }, 1],
    ["a size beside an inline value", { returns: [{ objectId: id0, value, size: 3 }] }, 1],
  ];
  for (const [what, reply, numReturns] of others) {
    const encoded = encodeTaskReply(reply, numReturns);
    assert.equal(encoded, reply, `${what}: sent as a TaskReply`);
    const back = received(encoded);
    assert.ok(!(back instanceof Uint8Array), what);
    assert.deepEqual(
      decodeTaskReply(back, () => assert.fail(`${what}: no id asked`)),
      decodeMessage(encodeMessage(reply)),
      what,
    );
  }
});
