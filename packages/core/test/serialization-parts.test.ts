import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Packr } from "msgpackr";
import { decodeMessage, encodeMessage } from "@lux/protocol";
import {
  SerializationError,
  deserialize,
  registerWireExtension,
  serialize,
  type WireExtension,
} from "../src/serialization/codec.js";
import { deserializeParts, serializeParts, type SerializedParts } from "../src/serialization/parts.js";
import { planLayout, readLayout, writeLayout } from "../src/stored-object.js";

const THRESHOLD = 1024;

/** Lays the parts out as the object store does (64-byte aligned) and returns views of that memory. */
function store(parts: SerializedParts): { structure: Uint8Array; buffers: Uint8Array[] } {
  const layout = planLayout(parts.structure, parts.buffers);
  const arena = new Uint8Array(layout.size);
  writeLayout(layout, parts.structure, parts.buffers, (at, data) =>
    arena.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at),
  );
  return readLayout(arena.buffer);
}

function roundTrip<T>(value: T, threshold = THRESHOLD): T {
  const { structure, buffers } = store(serializeParts(value, undefined, threshold));
  return deserializeParts(structure, buffers) as T;
}

function filled<T extends { length: number; [i: number]: number | bigint }>(array: T, f: (i: number) => number | bigint): T {
  for (let i = 0; i < array.length; i++) array[i] = f(i);
  return array;
}

/** One large and one small instance of every binary kind. */
function everyKind(length: number): Record<string, ArrayBuffer | ArrayBufferView> {
  const bytes = (n: number): Uint8Array<ArrayBuffer> => filled(new Uint8Array(n), (i) => (i * 7) & 0xff);
  return {
    int8: filled(new Int8Array(length), (i) => (i % 256) - 128),
    uint8: bytes(length),
    clamped: filled(new Uint8ClampedArray(length), (i) => i & 0xff),
    int16: filled(new Int16Array(length), (i) => -i),
    uint16: filled(new Uint16Array(length), (i) => i),
    int32: filled(new Int32Array(length), (i) => -i * 1000),
    uint32: filled(new Uint32Array(length), (i) => i * 1000),
    float32: filled(new Float32Array(length), (i) => i / 3),
    float64: filled(new Float64Array(length), (i) => (i === 1 ? -0 : i / 7)),
    bigint64: filled(new BigInt64Array(length), (i) => -BigInt(i) * 2n ** 40n),
    biguint64: filled(new BigUint64Array(length), (i) => BigInt(i) * 2n ** 40n),
    buffer: Buffer.from(bytes(length)),
    dataView: new DataView(bytes(length + 3).buffer, 3, length),
    arrayBuffer: bytes(length).buffer,
  };
}

class Handle {
  constructor(readonly id: string) {}
}
const handleExtension: WireExtension<Handle> = {
  type: 43,
  Class: Handle,
  encode: (value) => ({ id: value.id }),
  decode: (data) => new Handle((data as { id: string }).id),
};
registerWireExtension(handleExtension);

describe("serializeParts / deserializeParts: round trips", () => {
  it("keeps binary values at or above the threshold out of band, smaller ones in band", () => {
    const large = filled(new Float64Array(THRESHOLD / 8), (i) => i + 0.5); // exactly the threshold
    const small = filled(new Float64Array(THRESHOLD / 8 - 1), (i) => i); // one element short
    const value = { large, small, n: 1, s: "text" };
    const parts = serializeParts(value, undefined, THRESHOLD);
    assert.equal(parts.buffers.length, 1);
    assert.equal(parts.buffers[0], large, "the caller's array itself, not a copy");
    assert.ok(parts.structure.byteLength < small.byteLength + 100, "the large array is not in the structure");
    assert.ok(parts.structure.byteLength > small.byteLength, "the small array is");
    assert.deepStrictEqual(roundTrip(value), value);
  });

  it("round-trips every binary kind, out of band and in band, with its class", () => {
    for (const length of [THRESHOLD * 2, 5]) {
      const value = everyKind(length);
      const parts = serializeParts(value, undefined, THRESHOLD);
      assert.equal(parts.buffers.length, length > 5 ? Object.keys(value).length : 0);
      const back = roundTrip(value);
      for (const [key, original] of Object.entries(value)) {
        const copy = back[key]!;
        assert.equal(Object.getPrototypeOf(copy), Object.getPrototypeOf(original), key);
        assert.deepStrictEqual(copy, original, key);
      }
      assert.ok(Buffer.isBuffer(back.buffer));
      assert.ok(Object.is((back.float64 as Float64Array)[1], -0));
      assert.equal((back.dataView as DataView).getUint8(0), (3 * 7) & 0xff);
    }
  });

  it("round-trips views at an offset and views of Buffers from Node's pool", () => {
    const base = filled(new Float64Array(4096), (i) => i);
    const view = base.subarray(1000, 3000);
    const pooled = Buffer.from("a pooled buffer"); // a view at some offset of Node's pool
    const back = roundTrip({ view, pooled }, 8);
    assert.deepStrictEqual(back.view, view);
    assert.equal(back.view.length, 2000);
    assert.ok(Buffer.isBuffer(back.pooled));
    assert.equal(back.pooled.toString(), "a pooled buffer");
  });

  it("finds binary values nested in Maps, Sets, arrays, errors and cycles", () => {
    const big = filled(new Int32Array(1000), (i) => i);
    const other: Buffer = Buffer.alloc(5000, 9);
    const cyclic: { self?: unknown; big: Int32Array; list: unknown[] } = { big, list: [] };
    cyclic.self = cyclic;
    cyclic.list.push(cyclic, big);
    const value = {
      map: new Map<unknown, unknown>([
        ["k", big],
        [other, "a Buffer as a key"],
      ]),
      set: new Set<unknown>([big, other]),
      list: [[[big]]],
      error: Object.assign(new RangeError("bad"), { payload: other }),
      cyclic,
    };
    const parts = serializeParts(value, undefined, THRESHOLD);
    assert.equal(parts.buffers.length, 2, "each large binary is sent once");
    const back = roundTrip(value);
    const backBig = back.map.get("k") as Int32Array;
    assert.deepStrictEqual(backBig, big);
    assert.equal(back.list[0]![0]![0], backBig, "the same array referenced twice is one object");
    assert.ok(back.set.has(backBig));
    assert.equal(back.cyclic.big, backBig);
    assert.equal(back.cyclic.self, back.cyclic);
    assert.equal(back.cyclic.list[0], back.cyclic);
    assert.equal(back.cyclic.list[1], backBig);
    const backOther = [...back.map.keys()][1] as Buffer;
    assert.ok(Buffer.isBuffer(backOther) && backOther.equals(other));
    assert.equal(back.error.payload, backOther);
    assert.ok(back.set.has(backOther));
    assert.ok(back.error instanceof RangeError);
  });

  it("handles a large binary value at top level, and the threshold 0", () => {
    const top = filled(new Float32Array(2048), (i) => i);
    assert.deepStrictEqual(roundTrip(top), top);
    const value = { empty: new Float64Array(0), one: new Uint8Array([1]) };
    const parts = serializeParts(value, undefined, 0);
    assert.equal(parts.buffers.length, 2);
    assert.deepStrictEqual(roundTrip(value, 0), value);
    assert.throws(() => serializeParts(value, undefined, -1), RangeError);
    assert.throws(() => serializeParts(value, undefined, Number.NaN), RangeError);
  });

  it("lists wire-extension instances as contained, as serialize does", () => {
    const value = { handle: new Handle("h1"), data: new Float64Array(1000), more: [new Handle("h2")] };
    const parts = serializeParts(value, undefined, THRESHOLD);
    assert.deepStrictEqual(parts.contained, serialize(value).contained);
    assert.deepStrictEqual(
      parts.contained.map((h) => (h as Handle).id),
      ["h1", "h2"],
    );
    const back = roundTrip(value);
    assert.ok(back.handle instanceof Handle);
    assert.deepStrictEqual(back, value);
  });

  it("keeps -0 and subclass instances exact (the rewritten value goes out of band too)", () => {
    class Samples extends Float64Array {}
    const samples = new Samples(4096).fill(2);
    const value = { samples, again: samples, zero: -0 };
    const parts = serializeParts(value, undefined, THRESHOLD);
    assert.equal(parts.buffers.length, 1);
    const back = roundTrip(value);
    assert.equal(Object.getPrototypeOf(back.samples), Float64Array.prototype);
    assert.deepStrictEqual(back.samples, new Float64Array(4096).fill(2));
    assert.equal(back.again, back.samples);
    assert.ok(Object.is(back.zero, -0));
  });

  it("sends a binary value that a toJSON() returns out of band too", () => {
    class Matrix {
      constructor(readonly data: Float64Array) {}
      toJSON(): unknown {
        return { rows: 2, data: this.data };
      }
    }
    const value = new Matrix(filled(new Float64Array(1024), (i) => i));
    const parts = serializeParts(value, undefined, THRESHOLD);
    assert.equal(parts.buffers.length, 1);
    assert.deepStrictEqual(roundTrip(value), { rows: 2, data: value.data });
  });
});

describe("serializeParts: sharing", () => {
  it("sends views of exactly the same bytes once; they come back sharing memory", () => {
    const memory = filled(new Float64Array(1024), (i) => i).buffer;
    const value = {
      floats: new Float64Array(memory),
      bytes: new Uint8Array(memory),
      buffer: Buffer.from(memory),
      view: new DataView(memory),
      memory,
    };
    const parts = serializeParts(value, undefined, THRESHOLD);
    assert.equal(parts.buffers.length, 1, "one copy of the bytes");
    const back = roundTrip(value);
    assert.deepStrictEqual(back, value);
    assert.equal(back.floats.buffer, back.bytes.buffer);
    assert.equal(back.buffer.buffer, back.floats.buffer);
    assert.equal(back.view.buffer, back.floats.buffer);
    back.bytes[0] = 0xff;
    assert.equal(back.buffer[0], 0xff, "the views share memory");
    assert.notEqual(back.memory, back.floats.buffer, "an ArrayBuffer comes back as a copy");
    assert.equal(new Uint8Array(back.memory)[0], 0, "the copy does not see later writes");
  });

  it("sends different ranges of one ArrayBuffer separately; they come back independent", () => {
    const whole = filled(new Float64Array(2048), (i) => i);
    const value = { head: whole.subarray(0, 1024), tail: whole.subarray(1024), overlap: whole.subarray(512, 1536) };
    const parts = serializeParts(value, undefined, THRESHOLD);
    assert.equal(parts.buffers.length, 3);
    const back = roundTrip(value);
    assert.deepStrictEqual(back, value);
    back.head[600] = -1;
    assert.equal(back.overlap[88], 600, "overlapping ranges are independent copies");
  });
});

describe("deserializeParts: zero copy", () => {
  it("returns views of the given buffers; writes to either side show through", () => {
    const value = { floats: filled(new Float64Array(1024), (i) => i), bytes: Buffer.alloc(4096, 1), view: new DataView(new ArrayBuffer(2048)) };
    const { structure, buffers } = store(serializeParts(value, undefined, THRESHOLD));
    const back = deserializeParts(structure, buffers) as typeof value;
    assert.equal(back.floats.buffer, buffers[0]!.buffer);
    assert.equal(back.floats.byteOffset, buffers[0]!.byteOffset);
    assert.equal(back.bytes.buffer, buffers[1]!.buffer);
    assert.equal(back.view.buffer, buffers[2]!.buffer);
    new Float64Array(buffers[0]!.buffer, buffers[0]!.byteOffset, 1)[0] = 42;
    assert.equal(back.floats[0], 42, "a write to the given buffer is visible");
    buffers[1]!.fill(7);
    assert.equal(back.bytes[100], 7);
    back.view.setUint8(5, 99);
    assert.equal(buffers[2]![5], 99, "a write through the result reaches the given buffer");
  });

  it("copies a typed array whose buffer is not aligned to its element size", () => {
    const floats = filled(new Float64Array(256), (i) => i * 2);
    const parts = serializeParts({ floats }, undefined, THRESHOLD);
    const misaligned = new Uint8Array(new ArrayBuffer(floats.byteLength + 1), 1, floats.byteLength);
    misaligned.set(new Uint8Array(floats.buffer));
    const back = deserializeParts(parts.structure, [misaligned]) as { floats: Float64Array };
    assert.deepStrictEqual(back.floats, floats);
    assert.notEqual(back.floats.buffer, misaligned.buffer);
  });

  it("leaves deserialize copying (in band values own their memory)", () => {
    const value = { floats: new Float64Array(16).fill(3), bytes: Buffer.from("abc") };
    const bytes = new Uint8Array(serialize(value).bytes);
    const back = deserialize(bytes) as typeof value;
    bytes.fill(0);
    assert.deepStrictEqual(back, value);
    const fromParts = deserializeParts(bytes.fill(0) && new Uint8Array(serialize(value).bytes), []) as typeof value;
    assert.deepStrictEqual(fromParts, value);
  });

  it("measures: a 1 GiB Float64Array is neither copied by serializeParts nor by deserializeParts", () => {
    const data = new Float64Array(128 * 1024 * 1024);
    data[12345] = 1.5;
    const value = { data };
    const best = { serialize: Infinity, deserialize: Infinity };
    let parts: SerializedParts | undefined;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      parts = serializeParts(value, "the value passed to put", 100 * 1024);
      const t1 = performance.now();
      const back = deserializeParts(parts.structure, [new Uint8Array(data.buffer)]) as typeof value;
      const t2 = performance.now();
      assert.equal(back.data.buffer, data.buffer);
      assert.equal(back.data[12345], 1.5);
      best.serialize = Math.min(best.serialize, t1 - t0);
      best.deserialize = Math.min(best.deserialize, t2 - t1);
    }
    assert.equal(parts!.buffers[0], data);
    assert.ok(parts!.structure.byteLength < 64, `structure is ${parts!.structure.byteLength} bytes`);
    // Copying 1 GiB takes well over 50 ms on any machine.
    assert.ok(best.serialize < 20, `serializeParts took ${best.serialize} ms`);
    assert.ok(best.deserialize < 20, `deserializeParts took ${best.deserialize} ms`);
  });
});

describe("serializeParts: compatibility", () => {
  it("writes exactly what serialize writes when nothing is out of band", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const values: unknown[] = [
      1,
      "s",
      null,
      undefined,
      { a: [1, 2, { b: "c" }], d: new Date(5), m: new Map([[1, 2]]), s: new Set(["x"]) },
      { small: new Float64Array(10), buf: Buffer.from("x"), ab: new ArrayBuffer(8), dv: new DataView(new ArrayBuffer(4)) },
      { zero: -0, err: new TypeError("t"), handle: new Handle("h") },
      cyclic,
      // in band, but large: serialize sizes the output buffer for it
      Array.from({ length: 3 }, () => new Uint8Array(THRESHOLD - 1)),
    ];
    for (const value of values) {
      const expected = Buffer.from(serialize(value).bytes);
      const parts = serializeParts(value, undefined, THRESHOLD);
      assert.equal(parts.buffers.length, 0);
      assert.ok(Buffer.from(parts.structure).equals(expected), `structure differs for ${String(value)}`);
      assert.deepStrictEqual(deserialize(parts.structure), deserialize(expected));
    }
    const big = { floats: new Float64Array(300_000).fill(1) }; // 2.4 MB, above 1 MiB, in band
    const parts = serializeParts(big, undefined, Infinity);
    assert.ok(Buffer.from(parts.structure).equals(Buffer.from(serialize(big).bytes)));
  });

  it("keeps serialize in band, also after serializeParts and when nested inside it", () => {
    const big = new Float64Array(4096).fill(2);
    serializeParts({ big }, undefined, THRESHOLD);
    assert.ok(serialize({ big }).bytes.byteLength > big.byteLength);
    // An extension or toJSON() that calls serialize while serializeParts runs
    let nested: Uint8Array | undefined;
    class Wrapper {
      toJSON(): unknown {
        nested = new Uint8Array(serialize({ big }).bytes);
        return "wrapped";
      }
    }
    const parts = serializeParts({ w: new Wrapper(), big }, undefined, THRESHOLD);
    assert.equal(parts.buffers.length, 1);
    assert.ok(nested !== undefined && nested.byteLength > big.byteLength);
    assert.deepStrictEqual(deserialize(nested), { big });
  });

  it("refuses to decode placeholders without their buffers", () => {
    const parts = serializeParts({ big: new Float64Array(4096) }, undefined, THRESHOLD);
    const structure = new Uint8Array(parts.structure);
    assert.throws(() => deserialize(structure), (error: unknown) => {
      assert.ok(error instanceof SerializationError);
      assert.match(error.message, /stored out of band; decode it with deserializeParts/);
      return true;
    });
    assert.throws(() => deserializeParts(structure, []), /out-of-band buffer 0 is missing \(0 buffers given\)/);
    assert.throws(() => deserializeParts(structure, [new Uint8Array(12)]), /cannot hold a Float64Array/);
  });

  it("leaves the protocol codec's encoding of binary values unchanged", () => {
    // The same message, encoded by the protocol codec in a process that never loaded the
    // value codec (msgpackr as shipped), here, and here while serializeParts is running.
    const fixture = `({
      id: 7,
      small: new Uint8Array([1, 2, 3]),
      bytes: new Uint8Array(300).fill(2),
      buffer: Buffer.alloc(70000, 1),
      floats: new Float64Array(40).fill(1.5),
      ints: [new Int16Array(5000).fill(-3)],
      arrayBuffer: new ArrayBuffer(100),
      view: new DataView(new ArrayBuffer(70000)),
    })`;
    const makeMessage = new Function(`return ${fixture};`) as () => Record<string, unknown>;
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const script =
      `import { encodeMessage } from "@lux/protocol";\n` +
      `import { Packr } from "msgpackr";\n` +
      `const m = ${fixture};\n` +
      `console.log(JSON.stringify([encodeMessage(m).toString("hex"), new Packr().pack(m).toString("hex")]));`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
    });
    const [pristineProtocol, pristinePlain] = JSON.parse(output) as [string, string];
    const plainPackr = new Packr();
    assert.equal(encodeMessage(makeMessage()).toString("hex"), pristineProtocol);
    assert.equal(plainPackr.pack(makeMessage()).toString("hex"), pristinePlain);

    const inside: string[] = [];
    class Sneaky {
      toJSON(): unknown {
        inside.push(encodeMessage(makeMessage()).toString("hex"), plainPackr.pack(makeMessage()).toString("hex"));
        return null;
      }
    }
    const parts = serializeParts({ s: new Sneaky(), big: new Float64Array(8192) }, undefined, 16);
    assert.equal(parts.buffers.length, 1);
    assert.deepStrictEqual(inside, [pristineProtocol, pristinePlain]);
    const decoded = decodeMessage(Buffer.from(pristineProtocol, "hex")) as Record<string, unknown>;
    assert.deepStrictEqual(decoded, makeMessage());
  });
});

describe("serializeParts: refused values", () => {
  it("names the path of a function, as serialize does", () => {
    const value = { data: new Float64Array(4096), nested: { list: [1, () => 2] } };
    assert.throws(
      () => serializeParts(value, "the value passed to put", THRESHOLD),
      (error: unknown) => {
        assert.ok(error instanceof SerializationError);
        assert.equal(error.path, ".nested.list[1]");
        assert.match(error.message, /^cannot send the value passed to put: value\.nested\.list\[1\] is a function; /);
        return true;
      },
    );
    assert.throws(() => serializeParts({ p: Promise.resolve(1) }, undefined, THRESHOLD), /value\.p is a Promise/);
  });

  it("uninstalls the out-of-band writer when packing fails", () => {
    class Broken {
      toJSON(): unknown {
        throw new Error("toJSON failed");
      }
    }
    const big = new Float64Array(4096);
    assert.throws(() => serializeParts({ big, broken: new Broken() }, "x", THRESHOLD), /cannot send x: toJSON failed/);
    assert.ok(serialize({ big }).bytes.byteLength > big.byteLength, "serialize is in band again");
  });
});
