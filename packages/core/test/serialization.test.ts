import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Packr } from "msgpackr";
import {
  SerializationError,
  deserialize,
  registerWireExtension,
  serialize,
  type WireExtension,
} from "../src/serialization/codec.js";
import { collect } from "./collect.js";

function roundTrip<T>(value: T): T {
  return deserialize(serialize(value).bytes) as T;
}

/** Round-trips and checks deep equality, prototypes included. */
function assertRoundTrips(value: unknown): void {
  assert.deepStrictEqual(roundTrip(value), value);
}

function assertSerializationError(
  value: unknown,
  what: string | undefined,
  expected: { path: string; message: string | RegExp },
): void {
  assert.throws(
    () => serialize(value, what),
    (error: unknown) => {
      assert.ok(error instanceof SerializationError, `expected SerializationError, got ${String(error)}`);
      assert.equal(error.name, "SerializationError");
      assert.equal(error.path, expected.path);
      if (typeof expected.message === "string") assert.equal(error.message, expected.message);
      else assert.match(error.message, expected.message);
      return true;
    },
  );
}

// A tiny handle class standing in for ObjectRef / ActorHandle.
class Handle {
  constructor(readonly id: string) {}
}
const handleCalls = { encode: 0, decode: 0 };
const handleExtension: WireExtension<Handle> = {
  type: 42,
  Class: Handle,
  encode(value) {
    handleCalls.encode++;
    return { id: value.id };
  },
  decode(data) {
    handleCalls.decode++;
    return new Handle((data as { id: string }).id);
  },
};
registerWireExtension(handleExtension);

describe("serialize / deserialize: JSON types", () => {
  it("round-trips primitives and nested JSON data", () => {
    for (const value of [0, 1, -1, 42.5, 2 ** 31, 2 ** 32 + 1, -(2 ** 40), Number.MAX_SAFE_INTEGER, 1e300, 5e-324]) {
      assertRoundTrips(value);
    }
    for (const value of ["", "ok", "héllo wörld ✓ 🚀", "x".repeat(100_000), true, false, null]) {
      assertRoundTrips(value);
    }
    assertRoundTrips({ a: 1, b: "ok", c: [1, 2, 3], d: { e: [{ f: null }, [], {}] }, "key with spaces": true });
    assertRoundTrips([[], [[]], [1, "two", { three: 3 }]]);
  });

  it("keeps many objects of many shapes apart in one message", () => {
    const value = Array.from({ length: 300 }, (_, i) => ({ [`k${i % 90}`]: i, shared: i % 7 }));
    assertRoundTrips(value);
  });

  it("decodes messages independently of each other and of the Packr instance", () => {
    const first = serialize({ x: 1, y: 2 }).bytes;
    const second = serialize({ x: 3, y: 4 }).bytes;
    assert.deepStrictEqual(deserialize(second), { x: 3, y: 4 });
    assert.deepStrictEqual(deserialize(first), { x: 1, y: 2 });
    const fresh = new Packr({ structuredClone: true, moreTypes: true });
    assert.deepStrictEqual(fresh.unpack(Buffer.from(first)), { x: 1, y: 2 });
  });
});

describe("serialize / deserialize: undefined, -0, NaN", () => {
  it("keeps undefined at top level, as property values and as array elements", () => {
    assert.equal(roundTrip(undefined), undefined);
    const object = roundTrip({ a: undefined, b: 1 });
    assert.ok(Object.hasOwn(object, "a"));
    assertRoundTrips({ a: undefined, b: [undefined, 1, undefined] });
  });

  it("turns array holes into undefined", () => {
    const sparse = [1, , 3];
    const back = roundTrip(sparse);
    assert.equal(back.length, 3);
    assert.ok(Object.hasOwn(back, 1));
    assert.deepStrictEqual(back, [1, undefined, 3]);
  });

  it("keeps -0 everywhere, NaN and infinities", () => {
    assert.ok(Object.is(roundTrip(-0), -0));
    assert.ok(Object.is(roundTrip(0), 0));
    const value = {
      top: -0,
      list: [0, -0, 1],
      map: new Map<unknown, unknown>([["z", -0]]),
      set: new Set([{ z: -0 }]),
      nan: NaN,
      inf: Infinity,
      ninf: -Infinity,
    };
    const back = roundTrip(value);
    assert.deepStrictEqual(back, value); // deepStrictEqual uses Object.is for primitives
    assert.ok(Object.is(back.list[1], -0));
    assert.ok(Object.is(back.list[0], 0));
    assert.ok(Object.is(back.map.get("z"), -0));
    assert.ok(Number.isNaN(back.nan));
  });

  it("keeps identity and cycles when the value also holds -0", () => {
    const shared = { z: -0 };
    const value: { a: typeof shared; b: typeof shared; self?: unknown } = { a: shared, b: shared };
    value.self = value;
    const back = roundTrip(value);
    assert.equal(back.a, back.b);
    assert.equal(back.self, back);
    assert.ok(Object.is(back.a.z, -0));
  });

  it("does not modify the caller's value when rewriting -0", () => {
    const value = { z: -0, list: [-0] };
    serialize(value);
    assert.ok(Object.is(value.z, -0));
    assert.ok(Object.is(value.list[0], -0));
  });
});

describe("serialize / deserialize: built-in types", () => {
  it("round-trips BigInt, small and large", () => {
    for (const value of [
      0n,
      -1n,
      2n ** 63n - 1n,
      -(2n ** 63n),
      2n ** 64n - 1n,
      2n ** 64n,
      -(2n ** 64n),
      2n ** 200n + 12345n,
      -(3n ** 300n),
      2n ** 1000n,
    ]) {
      assert.equal(roundTrip(value), value);
    }
    assertRoundTrips({ list: [1n, 2n ** 100n] });
  });

  it("round-trips Date", () => {
    for (const date of [
      new Date(0),
      new Date(1_700_000_000_123),
      new Date("1969-07-20T20:17:40.5Z"),
      new Date("2500-01-01T00:00:00Z"),
      new Date(-8.64e15),
    ]) {
      const back = roundTrip(date);
      assert.ok(back instanceof Date);
      assert.equal(back.getTime(), date.getTime());
    }
    assert.ok(Number.isNaN(roundTrip(new Date(NaN)).getTime()));
  });

  it("round-trips Map and Set, with object keys", () => {
    const key = { k: 1 };
    const map = new Map<unknown, unknown>([
      [key, "object key"],
      ["s", 1],
      [2, [3]],
      [null, undefined],
      [new Map([[1, 2]]), new Set([1])],
    ]);
    assertRoundTrips(map);
    const set = new Set<unknown>([{ a: 1 }, 2, "three", [4], new Set([5])]);
    assertRoundTrips(set);
    assertRoundTrips({ empty: new Map(), none: new Set() });
    // Plain objects and Maps stay apart.
    const back = roundTrip({ object: { a: 1 }, map: new Map([["a", 1]]) });
    assert.equal(Object.getPrototypeOf(back.object), Object.prototype);
    assert.ok(back.map instanceof Map);
  });

  it("round-trips RegExp with its flags", () => {
    for (const regexp of [/ab+c/, /x/gimsuy, /\d+(?<name>\w)/d, /[\u{1F600}]/u]) {
      const back = roundTrip(regexp);
      assert.ok(back instanceof RegExp);
      assert.equal(back.source, regexp.source);
      assert.equal(back.flags, regexp.flags);
    }
  });

  it("round-trips every typed array, including views at an offset", () => {
    const arrays = [
      new Int8Array([-128, 0, 127]),
      new Uint8Array([0, 255]),
      new Uint8ClampedArray([0, 255]),
      new Int16Array([-32768, 32767]),
      new Uint16Array([65535]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([2 ** 32 - 1]),
      new Float32Array([1.5, -0, NaN, Infinity]),
      new Float64Array([Math.PI, -0, NaN, -Infinity, 5e-324]),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      new BigUint64Array([2n ** 64n - 1n]),
      new Float64Array(0),
    ];
    for (const array of arrays) {
      const back = roundTrip(array);
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(array));
      assert.deepStrictEqual(back, array);
    }
    const base = new Float64Array([1, 2, 3, 4, 5]);
    const view = base.subarray(1, 3);
    const back = roundTrip(view);
    assert.deepStrictEqual(back, new Float64Array([2, 3]));
    assert.equal(back.byteOffset, 0);
    assert.equal(back.buffer.byteLength, 16);
  });

  it("brings instances of subclasses of built-in types back as the built-in class", () => {
    class Samples extends Float64Array {}
    class Registry extends Map<string, unknown> {}
    class Tags extends Set<string> {}
    class Stamp extends Date {}
    class Pattern extends RegExp {}
    class View extends DataView<ArrayBuffer> {}
    const base = new Float64Array([1, 2, 3, 4]);
    const samples = new Samples(base.buffer, 8, 2);
    const value = {
      samples,
      again: samples,
      registry: new Registry([["a", { n: -0 }]]),
      tags: new Tags(["x"]),
      stamp: new Stamp(5),
      pattern: new Pattern("a+", "g"),
      view: new View(new ArrayBuffer(4)),
    };
    const back = roundTrip(value);
    assert.equal(Object.getPrototypeOf(back.samples), Float64Array.prototype);
    assert.deepStrictEqual(back.samples, new Float64Array([2, 3]));
    assert.equal(back.again, back.samples);
    assert.equal(Object.getPrototypeOf(back.registry), Map.prototype);
    assert.deepStrictEqual(back.registry, new Map([["a", { n: -0 }]]));
    assert.ok(Object.is((back.registry.get("a") as { n: number }).n, -0));
    assert.deepStrictEqual(back.tags, new Set(["x"]));
    assert.equal(Object.getPrototypeOf(back.stamp), Date.prototype);
    assert.equal(back.stamp.getTime(), 5);
    assert.equal(Object.getPrototypeOf(back.pattern), RegExp.prototype);
    assert.equal(back.pattern.flags, "g");
    assert.equal(Object.getPrototypeOf(back.view), DataView.prototype);
    assert.equal(samples.constructor, Samples, "the caller's value is left alone");
  });

  it("round-trips ArrayBuffer and DataView", () => {
    const buffer = new Uint8Array([1, 2, 3, 4, 5]).buffer;
    const back = roundTrip(buffer);
    assert.ok(back instanceof ArrayBuffer);
    assert.deepStrictEqual(new Uint8Array(back), new Uint8Array([1, 2, 3, 4, 5]));
    const view = new DataView(buffer, 1, 3);
    const backView = roundTrip(view);
    assert.ok(backView instanceof DataView);
    assert.equal(backView.byteLength, 3);
    assert.equal(backView.getUint8(0), 2);
  });

  it("round-trips Buffer as a Buffer, whatever kind of Uint8Array the bytes arrive in", () => {
    const pooled = Buffer.from("hello"); // a small view into Node's shared pool
    const large = Buffer.alloc(100_000, 7);
    const value = { pooled, large, nested: [Buffer.from([0, 1, 2])], empty: Buffer.alloc(0) };
    const { bytes } = serialize(value);
    for (const input of [bytes, new Uint8Array(bytes), new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)]) {
      const back = deserialize(input) as typeof value;
      assert.ok(Buffer.isBuffer(back.pooled));
      assert.ok(Buffer.isBuffer(back.large));
      assert.ok(Buffer.isBuffer(back.nested[0]));
      assert.ok(Buffer.isBuffer(back.empty));
      assert.equal(back.pooled.toString(), "hello");
      assert.ok(back.large.equals(large));
      assert.deepStrictEqual(back, value);
    }
    // A plain Uint8Array stays a plain Uint8Array.
    const plain = roundTrip(new Uint8Array([1, 2]));
    assert.equal(Object.getPrototypeOf(plain), Uint8Array.prototype);
  });

  it("returns binary values that own their memory (no view of the message bytes)", () => {
    const { bytes } = serialize({ b: Buffer.from("abcdef"), f: new Float64Array([1, 2]) });
    const copy = new Uint8Array(bytes);
    const back = deserialize(copy) as { b: Buffer; f: Float64Array };
    copy.fill(0);
    assert.equal(back.b.toString(), "abcdef");
    assert.deepStrictEqual(back.f, new Float64Array([1, 2]));
  });

  it("round-trips a large Float64Array without pinning its buffer for later messages", () => {
    const big = new Float64Array(2 * 1024 * 1024); // 16 MiB
    for (let i = 0; i < big.length; i += 4096) big[i] = i / 3;
    const { bytes } = serialize(big);
    assert.ok(bytes.byteLength < big.byteLength + 64, `message is ${bytes.byteLength} bytes`);
    assert.ok(bytes.buffer.byteLength < big.byteLength + 256 * 1024, "output buffer is sized to the payload");
    const back = deserialize(bytes) as Float64Array;
    assert.deepStrictEqual(back, big);
    const small = serialize({ a: 1 }).bytes;
    assert.ok(small.buffer.byteLength < 1024 * 1024, "a small message after a large one has its own buffer");
    assert.notEqual(small.buffer, bytes.buffer);
  });
});

describe("serialize / deserialize: errors", () => {
  it("keeps name, message, stack and own properties such as code", () => {
    const error = Object.assign(new Error("disk full"), { code: "ENOSPC", errno: -28, details: { path: "/tmp" } });
    const back = roundTrip(error);
    assert.equal(Object.getPrototypeOf(back), Error.prototype);
    assert.equal(back.name, "Error");
    assert.equal(back.message, "disk full");
    assert.equal(back.stack, error.stack);
    assert.equal(back.code, "ENOSPC");
    assert.equal(back.errno, -28);
    assert.deepStrictEqual(back.details, { path: "/tmp" });
    assert.ok(!Object.hasOwn(back, "cause"));
    assert.deepStrictEqual(Object.keys(back), ["code", "errno", "details"]);
    assert.deepStrictEqual(back, error);
  });

  it("brings built-in subclasses back as that class", () => {
    for (const error of [
      new TypeError("t"),
      new RangeError("r"),
      new SyntaxError("s"),
      new ReferenceError("f"),
      new EvalError("e"),
      new URIError("u"),
    ]) {
      const back = roundTrip(error);
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(error));
      assert.equal(back.name, error.name);
      assert.equal(back.message, error.message);
      assert.equal(back.stack, error.stack);
    }
  });

  it("brings custom subclasses back as the nearest built-in class with the right name", () => {
    class NotFoundError extends Error {
      readonly code = "NOT_FOUND";
      constructor(message: string) {
        super(message);
        this.name = "NotFoundError";
      }
    }
    class BadInput extends TypeError {
      override get name(): string {
        return "BadInput";
      }
    }
    const back = roundTrip(new NotFoundError("no such key"));
    assert.equal(Object.getPrototypeOf(back), Error.prototype);
    assert.equal(back.name, "NotFoundError");
    assert.equal(back.message, "no such key");
    assert.equal(back.code, "NOT_FOUND");
    assert.match(back.stack ?? "", /^NotFoundError: no such key/);

    const input = roundTrip(new BadInput("bad"));
    assert.ok(input instanceof TypeError);
    assert.equal(input.name, "BadInput");
    assert.ok(!Object.keys(input).includes("name"));
  });

  it("keeps cause, AggregateError errors, and errors without a message", () => {
    const root = new RangeError("root");
    const error = new Error("outer", { cause: root });
    const back = roundTrip(error);
    assert.ok(back.cause instanceof RangeError);
    assert.equal((back.cause as Error).message, "root");
    assert.ok(!Object.keys(back).includes("cause"));

    const aggregate = new AggregateError([new Error("a"), new TypeError("b")], "both failed");
    const backAggregate = roundTrip(aggregate);
    assert.ok(backAggregate instanceof AggregateError);
    assert.equal(backAggregate.message, "both failed");
    assert.equal(backAggregate.errors.length, 2);
    assert.ok(backAggregate.errors[1] instanceof TypeError);

    const bare = roundTrip(new Error());
    assert.equal(bare.message, "");
    assert.ok(!Object.hasOwn(bare, "message"));
  });

  it("keeps errors nested in other values, shared errors stay one object", () => {
    const error = new TypeError("shared");
    const back = roundTrip({ list: [error, error], map: new Map([["e", error]]) });
    assert.ok(back.list[0] instanceof TypeError);
    assert.equal(back.list[0], back.list[1]);
    assert.equal(back.map.get("e"), back.list[0]);
  });

  it("leaves msgpackr's own Error encoding unchanged for other Packr instances", () => {
    const other = new Packr({ moreTypes: true, structuredClone: true });
    const bytes = other.pack(Object.assign(new TypeError("x"), { code: "C" }));
    assert.equal(bytes[1], 0x65); // msgpackr's 'e' extension, not the codec's
    const back = other.unpack(bytes) as TypeError;
    assert.ok(back instanceof TypeError);
    assert.equal(back.message, "x");
    const plain = new Packr();
    assert.deepStrictEqual(plain.unpack(plain.pack(new Error("m"))), ["Error", "m", undefined]);
  });
});

describe("serialize / deserialize: references and classes", () => {
  it("keeps shared references as one object", () => {
    const shared = { s: 1 };
    const list = [1, 2];
    const back = roundTrip({ a: shared, b: shared, c: [shared, list], d: list });
    assert.equal(back.a, back.b);
    assert.equal(back.c[0], back.a);
    assert.equal(back.c[1], back.d);
  });

  it("keeps cycles through objects, arrays, Maps and Sets", () => {
    const object: Record<string, unknown> = { name: "root" };
    object.self = object;
    const backObject = roundTrip(object);
    assert.equal(backObject.self, backObject);

    const array: unknown[] = [1];
    array.push(array);
    const backArray = roundTrip(array);
    assert.equal(backArray[1], backArray);

    const map = new Map<string, unknown>();
    map.set("self", map);
    const backMap = roundTrip(map);
    assert.equal(backMap.get("self"), backMap);

    const set = new Set<unknown>();
    set.add(set);
    const backSet = roundTrip(set);
    assert.ok(backSet.has(backSet));

    const parent: { children: unknown[] } = { children: [] };
    parent.children.push({ parent }, { parent });
    const backParent = roundTrip(parent) as { children: { parent: unknown }[] };
    assert.equal(backParent.children[0]!.parent, backParent);
    assert.equal(backParent.children[1]!.parent, backParent);
  });

  it("brings objects with a null prototype back as plain objects (class instances: serialization-classes.test.ts)", () => {
    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    assert.deepStrictEqual(roundTrip(nullProto), { a: 1 });
  });

  it("ignores symbol-keyed properties and non-enumerable methods", () => {
    const value = { a: 1, [Symbol("hidden")]: 2, method() {} };
    Object.defineProperty(value, "method", { enumerable: false });
    assert.deepStrictEqual(roundTrip(value), { a: 1 });
  });
});

describe("wire extensions", () => {
  it("encodes and decodes registered instances anywhere in the value", () => {
    const a = new Handle("a");
    const b = new Handle("b");
    const c = new Handle("c");
    const d = new Handle("d");
    handleCalls.encode = 0;
    handleCalls.decode = 0;
    const value = { list: [a], map: new Map<unknown, unknown>([[b, "key"], ["value", c]]), set: new Set([d]) };
    const { bytes, contained } = serialize(value);
    assert.equal(handleCalls.encode, 4);
    assert.deepStrictEqual(contained, [a, b, c, d]);
    assert.equal(contained[0], a);
    const back = deserialize(bytes) as typeof value;
    assert.equal(handleCalls.decode, 4);
    assert.ok(back.list[0] instanceof Handle);
    assert.equal(back.list[0].id, "a");
    const key: unknown = [...back.map.keys()][0];
    assert.ok(key instanceof Handle && key.id === "b");
    assert.ok((back.map.get("value") as Handle).id === "c");
    assert.deepStrictEqual(back, value);
  });

  it("handles top-level instances, repeated instances and cycles", () => {
    const top = serialize(new Handle("top"));
    assert.deepStrictEqual(top.contained, [new Handle("top")]);
    assert.deepStrictEqual(deserialize(top.bytes), new Handle("top"));

    const handle = new Handle("twice");
    const value: Record<string, unknown> = { first: handle, nested: { again: handle } };
    value.self = value;
    const { bytes, contained } = serialize(value);
    assert.deepStrictEqual(contained, [handle]);
    const back = deserialize(bytes) as { first: Handle; nested: { again: Handle }; self: unknown };
    assert.ok(back.first instanceof Handle);
    assert.equal(back.first, back.nested.again);
    assert.equal(back.self, back);
  });

  it("keeps no instance alive once the value is packed (a ref or handle in a worker's last result must be collectable)", async () => {
    const weak = ((): WeakRef<Handle> => {
      const handle = new Handle("last");
      serialize({ nested: [handle] });
      return new WeakRef(handle);
    })();
    await collect();
    assert.equal(weak.deref(), undefined);
  });

  it("lists nothing as contained for values without registered instances", () => {
    assert.deepStrictEqual(serialize({ a: [1, 2] }).contained, []);
  });

  it("validates registrations", () => {
    class Other {}
    const extension = (type: number, Class: abstract new (...args: never[]) => object = Other): WireExtension<object> => ({
      type,
      Class,
      encode: () => null,
      decode: () => new Other(),
    });
    assert.throws(() => registerWireExtension(extension(0)), RangeError);
    assert.throws(() => registerWireExtension(extension(101)), RangeError);
    assert.throws(() => registerWireExtension(extension(1.5)), RangeError);
    assert.throws(() => registerWireExtension(extension(99)), /reserved/);
    assert.throws(() => registerWireExtension(extension(100)), /reserved/);
    assert.throws(() => registerWireExtension(extension(42)), /already registered for Handle/);
    assert.throws(() => registerWireExtension(extension(43, Handle)), /Handle is already registered as wire extension type 42/);
    registerWireExtension(handleExtension); // the same extension again is a no-op
  });
});

describe("serialize: refused values", () => {
  const advice =
    "pass data, not functions (define the function with lux.remote and pass its result or an ObjectRef)";

  it("refuses a nested function and names the path", () => {
    assertSerializationError({ opts: { cb: () => 1 } }, "argument 1 of f", {
      path: ".opts.cb",
      message: `cannot send argument 1 of f: value.opts.cb is a function; ${advice}`,
    });
  });

  it("refuses a function at top level, in arrays, Maps, Sets and errors", () => {
    assertSerializationError(() => 1, "argument 2 of square", {
      path: "",
      message: `cannot send argument 2 of square: value is a function; ${advice}`,
    });
    assertSerializationError([1, [2, Math.max]], undefined, {
      path: "[1][1]",
      message: `cannot serialize value: value[1][1] is a function; ${advice}`,
    });
    assertSerializationError({ m: new Map<unknown, unknown>([["k", { f() {} }]]) }, "x", {
      path: '.m.get("k").f',
      message: /value\.m\.get\("k"\)\.f is a function/,
    });
    assertSerializationError(new Map([[() => 1, 1]]), "x", { path: ".keys()[0]", message: /is a function/ });
    assertSerializationError({ s: new Set([1, class Foo {}]) }, "x", { path: ".s.values()[1]", message: /is a function/ });
    assertSerializationError({ "odd key": { "a-b": [() => 1] } }, "x", {
      path: '["odd key"]["a-b"][0]',
      message: /is a function/,
    });
    assertSerializationError(Object.assign(new Error("e"), { retry: () => 1 }), "x", {
      path: ".retry",
      message: /is a function/,
    });
    assertSerializationError(new Error("e", { cause: { f: () => 1 } }), "x", { path: ".cause.f", message: /is a function/ });
  });

  it("refuses a function returned by toJSON() and names the path", () => {
    class WithJSON {
      toJSON(): unknown {
        return { f: () => 1 };
      }
    }
    assertSerializationError({ x: new WithJSON() }, "result", {
      path: ".x.toJSON().f",
      message: `cannot send result: value.x.toJSON().f is a function; ${advice}`,
    });
  });

  it("refuses symbols", () => {
    assertSerializationError(Symbol("s"), "argument 1 of f", {
      path: "",
      message: "cannot send argument 1 of f: value is a symbol; a symbol cannot cross the wire (pass a string instead)",
    });
    assertSerializationError({ a: [Symbol("s")] }, undefined, { path: ".a[0]", message: /value\.a\[0\] is a symbol/ });
    assertSerializationError(new Map([["k", Symbol.iterator]]), undefined, { path: '.get("k")', message: /is a symbol/ });
    assertSerializationError(new Set([Symbol("s")]), undefined, { path: ".values()[0]", message: /is a symbol/ });
  });

  it("refuses Promises, telling the user to await them or pass an ObjectRef", () => {
    const promise = Promise.resolve(1);
    assertSerializationError({ pending: { p: promise } }, "argument 1 of f", {
      path: ".pending.p",
      message:
        "cannot send argument 1 of f: value.pending.p is a Promise; " +
        "a Promise cannot cross the wire (await it and pass the result, or pass an ObjectRef instead)",
    });
    assertSerializationError(promise, "return value of g", { path: "", message: /^cannot send return value of g: value is a Promise/ });
    assertSerializationError([new Map([[1, promise]])], undefined, { path: "[0].get(1)", message: /is a Promise/ });
  });

  it("wraps other encoding failures and keeps working afterwards", () => {
    class Boom {
      toJSON(): unknown {
        throw new Error("toJSON exploded");
      }
    }
    assert.throws(
      () => serialize({ b: new Boom() }, "argument 1 of f"),
      (error: unknown) =>
        error instanceof SerializationError &&
        error.message === "cannot send argument 1 of f: toJSON exploded" &&
        error.path === "" &&
        (error.cause as Error).message === "toJSON exploded",
    );
    assertRoundTrips({ after: "failure", list: [1, 2, 3] });
  });

  it("wraps an error thrown by a property getter", () => {
    const value = {
      get broken(): never {
        throw new Error("getter exploded");
      },
    };
    assert.throws(
      () => serialize(value, "argument 1 of f"),
      (error: unknown) =>
        error instanceof SerializationError && error.message === "cannot send argument 1 of f: getter exploded",
    );
  });

  it("refuses bytes that are not a serialized value", () => {
    assert.throws(() => deserialize(new Uint8Array(0)), SerializationError);
    assert.throws(() => deserialize(new Uint8Array([0x92, 1])), /Unexpected end of MessagePack data/);
    assert.throws(() => deserialize(new Uint8Array([0xd4, 77, 0])), /cannot deserialize value \(3 bytes\)/);
  });
});
