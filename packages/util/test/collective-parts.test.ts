/** lux.util.collective's pure parts: typed arrays and reductions, topology, the mailbox, options, disagreements. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidOptionError } from "@lux/core";
import { disagreement } from "../src/collective/agreement.js";
import { Mailbox, type Payload } from "../src/collective/mailbox.js";
import { arrayOf, groupNameOf, rankOf, reduceOpOf, timeoutOf, worldSizeOf } from "../src/collective/options.js";
import { partOf, topologyOf } from "../src/collective/topology.js";
import { asElements, bytesOf, dtypeOf, reduceInto } from "../src/collective/typed-arrays.js";

function payload(bytes: number[]): Payload & { released: number } {
  const p = {
    released: 0,
    byteLength: bytes.length,
    read: async () => Uint8Array.from(bytes),
    pieces: async () => [Uint8Array.from(bytes)],
    release: () => {
      p.released++;
    },
  };
  return p;
}

describe("typed arrays", () => {
  it("dtypeOf names every typed array collectives take, and nothing else", () => {
    assert.equal(dtypeOf(new Float32Array(1)), "Float32Array");
    assert.equal(dtypeOf(new BigUint64Array(1)), "BigUint64Array");
    assert.equal(dtypeOf(new DataView(new ArrayBuffer(4))), undefined);
    assert.equal(dtypeOf([1, 2]), undefined);
    assert.equal(dtypeOf(Buffer.alloc(2)), "Uint8Array", "a Buffer is a Uint8Array");
  });

  it("reduceInto: each op on numbers and bigints; integers wrap, clamped arrays clamp, NaN propagates in MIN/MAX", () => {
    const a = Int8Array.from([100, -100, 5]);
    reduceInto(a, Int8Array.from([100, -100, 1]), "SUM");
    assert.deepEqual([...a], [-56, 56, 6]);
    const c = Uint8ClampedArray.from([200, 3]);
    reduceInto(c, Uint8ClampedArray.from([100, 4]), "PRODUCT");
    assert.deepEqual([...c], [255, 12]);
    const f = Float64Array.from([1, NaN, -3]);
    reduceInto(f, Float64Array.from([2, 0, -4]), "MIN");
    assert.deepEqual([...f], [1, NaN, -4]);
    const b = BigInt64Array.from([5n, -2n]);
    reduceInto(b, BigInt64Array.from([7n, -9n]), "MAX");
    assert.deepEqual([...b], [7n, -2n]);
    assert.throws(() => reduceInto(new Int32Array(2), new Int32Array(3), "SUM"), RangeError);
  });

  it("asElements views aligned bytes and copies misaligned ones; bytesOf is a view of a range", () => {
    const arr = Float32Array.from([1, 2, 3, 4]);
    const bytes = bytesOf(arr, 1, 3);
    assert.equal(bytes.byteLength, 8);
    assert.equal(bytes.buffer, arr.buffer, "a view");
    const view = asElements(arr, bytes);
    assert.deepEqual([...view], [2, 3]);
    assert.equal(view.buffer, arr.buffer, "aligned: a view");
    const shifted = new Uint8Array(9);
    shifted.set(bytes, 1);
    const copy = asElements(arr, shifted.subarray(1));
    assert.deepEqual([...copy], [2, 3]);
    assert.notEqual(copy.buffer, shifted.buffer, "misaligned: a copy");
    assert.throws(() => asElements(arr, new Uint8Array(3)), RangeError);
  });
});

describe("topology", () => {
  it("groups ranks by node in order of their lowest rank; parts are the fewest ranks of a node", () => {
    const t = topologyOf(["x", "y", "x", "z", "y", "y"]);
    assert.deepEqual(t.nodes, [[0, 2], [1, 4, 5], [3]]);
    assert.deepEqual(t.ringOrder, [0, 2, 1, 4, 5, 3]);
    assert.equal(t.parts, 1);
    assert.equal(t.nodeOf(4), 1);
    assert.equal(t.localIndexOf(5), 2);
    assert.equal(topologyOf(["a", "a", "b", "b"]).parts, 2);
  });

  it("partOf cuts a range in near-equal parts that cover it", () => {
    const parts = Array.from({ length: 4 }, (_, i) => partOf(10, 21, 4, i));
    assert.deepEqual(parts, [[10, 13], [13, 16], [16, 19], [19, 21]]);
    assert.deepEqual(partOf(0, 2, 3, 2), [2, 2], "more parts than elements: empty ones");
  });
});

describe("mailbox", () => {
  const op = { channel: "c", seq: 0 };

  it("a message waits for its take, or a take for its message", async () => {
    const m = new Mailbox();
    const early = payload([1]);
    m.deliver(1, op, "a", early);
    assert.equal(await m.take(1, op, "a"), early);
    const later = m.take(2, op, "b");
    const p = payload([2]);
    m.deliver(2, op, "b", p);
    assert.equal(await later, p);
    assert.equal(m.size, 0);
  });

  it("ending an operation rejects its takes and releases its messages, and those that come later", async () => {
    const m = new Mailbox();
    const waiting = m.take(1, op, "x");
    const held = payload([1]);
    m.deliver(2, op, "y", held);
    const next = payload([3]);
    m.deliver(2, { channel: "c", seq: 1 }, "y", next);
    m.end(op, new RangeError("over"));
    await assert.rejects(waiting, /over/);
    assert.equal(held.released, 1);
    const late = payload([2]);
    m.deliver(1, op, "z", late);
    assert.equal(late.released, 1, "a message for an ended operation is dropped");
    assert.equal(next.released, 0, "the next operation's message stays");
    assert.equal(m.size, 1);
  });

  it("an abort reaches the running operation, or waits for it to start", () => {
    const m = new Mailbox();
    const heard: string[] = [];
    m.start(op, (reason, from) => heard.push(`${from}: ${reason}`));
    m.abort(3, op, "broken");
    assert.deepEqual(heard, ["3: broken"]);
    const future = { channel: "c", seq: 5 };
    m.abort(2, future, "early");
    assert.deepEqual(m.start(future, () => undefined), { reason: "early", from: 2 });
  });
});

describe("options and disagreements", () => {
  it("checks each option and names it", () => {
    assert.equal(groupNameOf(undefined, "x"), "default");
    assert.throws(() => groupNameOf({ groupName: "a/b" }, "x"), (e: unknown) => e instanceof InvalidOptionError && /groupName/.test((e as Error).message));
    assert.equal(timeoutOf({}, "x"), 30_000);
    assert.throws(() => timeoutOf({ timeoutMs: 0 }, "x"), InvalidOptionError);
    assert.throws(() => timeoutOf({ timeoutMs: Infinity }, "x"), InvalidOptionError);
    assert.equal(reduceOpOf({}, "x"), "SUM");
    assert.throws(() => reduceOpOf({ op: "sum" }, "x"), /"SUM", "PRODUCT", "MIN", "MAX"/);
    assert.equal(rankOf({}, "x", "srcRank", 4, 0), 0);
    assert.throws(() => rankOf({ dstRank: 4 }, "x", "dstRank", 4), /dstRank.*from 0 to 3/);
    assert.throws(() => rankOf({}, "x", "dstRank", 4), InvalidOptionError, "required");
    assert.throws(() => worldSizeOf({ worldSize: 0 }, "x"), InvalidOptionError);
    assert.throws(() => arrayOf([1, 2], "allreduce"), /allreduce\(\) takes a typed array as its array .*got an array/);
    assert.throws(() => groupNameOf(5, "x"), TypeError);
  });

  it("a disagreement lists each distinct call with its ranks", () => {
    assert.equal(disagreement([{ operation: "barrier" }, { operation: "barrier" }]), undefined);
    assert.match(
      disagreement([
        { operation: "broadcast", dtype: "Int32Array", length: 3, root: 0 },
        { operation: "broadcast", dtype: "Int32Array", length: 3, root: 1 },
        { operation: "broadcast", dtype: "Int32Array", length: 3, root: 0 },
      ]) ?? "",
      /^the ranks disagree: ranks 0, 2 called broadcast\(Int32Array\[3\], root 0\); rank 1 called broadcast\(Int32Array\[3\], root 1\)\./,
    );
  });
});
