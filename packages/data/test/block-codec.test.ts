/**
 * The block codec: a table as an IPC schema message and, per record batch, its body buffers as
 * values of their own (what the store writes straight from the table's memory), and back.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dictionary, Int32, Table, Utf8, tableFromArrays, vectorFromArray } from "apache-arrow";
import { tableToRows } from "../src/batch.js";
import { blockSize, decodeBlock, encodeBlock, type EncodedBlock } from "../src/block.js";
import { columnsToTable } from "../src/batch.js";

/** The block as a reader finds it after the store: each buffer copied elsewhere, small ones at an odd offset (as inline bytes may be). */
function throughStore(block: EncodedBlock): EncodedBlock {
  if ("ipc" in block) return { ipc: block.ipc.slice() };
  const moved = (b: Uint8Array): Uint8Array => {
    if (b.byteLength >= 1024) return b.slice();
    const host = new Uint8Array(b.byteLength + 3);
    host.set(b, 3);
    return host.subarray(3);
  };
  return { schema: moved(block.schema), batches: block.batches.map((b) => ({ ...b, buffers: b.buffers.map(moved) })) };
}

describe("block codec", () => {
  const mixed = (): Table =>
    columnsToTable(
      {
        f: Float64Array.from({ length: 600 }, (_, i) => i / 2),
        i: Int32Array.from({ length: 600 }, (_, i) => i),
        s: Array.from({ length: 600 }, (_, i) => (i % 7 === 0 ? null : `s${i}`)),
        b: Array.from({ length: 600 }, (_, i) => (i % 5 === 0 ? null : i % 2 === 0)),
        d: Array.from({ length: 600 }, (_, i) => (i % 11 === 0 ? null : new Date(i * 1000))),
        l: Array.from({ length: 600 }, (_, i) => (i % 13 === 0 ? null : [i, i + 1])),
        o: Array.from({ length: 600 }, (_, i) => ({ x: i, y: `y${i}` })),
      },
      "test",
    );

  test("rows and types come back, through copies at any alignment", () => {
    const t = mixed();
    const back = decodeBlock(throughStore(encodeBlock(t)));
    assert.deepEqual(back.schema.fields.map((f) => String(f.type)), t.schema.fields.map((f) => String(f.type)));
    assert.deepEqual(tableToRows(back), tableToRows(t));
  });

  test("a slice (at an offset that is not a whole byte of validity) holds only its rows", () => {
    const t = mixed();
    const slice = t.slice(203, 353);
    const block = encodeBlock(slice);
    assert.deepEqual(tableToRows(decodeBlock(throughStore(block))), tableToRows(slice));
    assert.ok(blockSize(block) < blockSize(encodeBlock(t)) / 2, `${blockSize(block)} bytes for 150 of 600 rows`);
  });

  test("a table of several batches, and an empty one", () => {
    const a = tableFromArrays({ x: Float64Array.from([1, 2]) });
    const b = tableFromArrays({ x: Float64Array.from([3]) });
    const two = a.concat(b);
    assert.equal(two.batches.length, 2);
    assert.deepEqual(tableToRows(decodeBlock(throughStore(encodeBlock(two)))), [{ x: 1 }, { x: 2 }, { x: 3 }]);
    const none = a.slice(0, 0);
    const back = decodeBlock(throughStore(encodeBlock(none)));
    assert.equal(back.numRows, 0);
    assert.deepEqual(back.schema.names, ["x"]);
  });

  test("numeric buffers are the table's own memory (the store writes them without a copy first)", () => {
    const values = Float64Array.from({ length: 100_000 }, (_, i) => i);
    const block = encodeBlock(tableFromArrays({ v: values }));
    assert.ok(!("ipc" in block));
    assert.ok(block.batches[0]?.buffers.some((b) => b.buffer === values.buffer && b.byteLength === values.byteLength));
    assert.equal(decodeBlock(block).getChild("v")?.toArray().buffer, values.buffer);
  });

  test("dictionary-encoded columns travel as one IPC stream", () => {
    const dict = vectorFromArray(["a", "b", "a", null], new Dictionary(new Utf8(), new Int32()));
    const t = new Table({ d: dict });
    const block = encodeBlock(t);
    assert.ok("ipc" in block);
    assert.deepEqual(tableToRows(decodeBlock(throughStore(block))), [{ d: "a" }, { d: "b" }, { d: "a" }, { d: null }]);
  });
});
