/**
 * Class instances and values that cannot travel (issue 13, point 13). The classes are
 * declared at the top level of this module, as the codec requires; a process that
 * serializes an instance also knows its class when decoding, so these round trips stay in
 * one process (the cluster tests in test/integration/values.test.ts cross processes).
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { SerializationError, deserialize, deserializeLoading, serialize } from "../src/serialization/codec.js";
import { deserializeParts, serializeParts } from "../src/serialization/parts.js";

let pointsConstructed = 0;

class Point {
  readonly kind = "point";
  constructor(
    readonly x: number,
    readonly y: number,
  ) {
    pointsConstructed++;
  }
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
  get sum(): number {
    return this.x + this.y;
  }
}

class Point3 extends Point {
  constructor(
    x: number,
    y: number,
    readonly z: number,
  ) {
    super(x, y);
  }
  override norm(): number {
    return Math.hypot(this.x, this.y, this.z);
  }
}

class TreeNode {
  parent: TreeNode | undefined = undefined;
  readonly children: TreeNode[] = [];
  constructor(readonly name: string) {}
  add(child: TreeNode): TreeNode {
    child.parent = this;
    this.children.push(child);
    return child;
  }
}

class WithSecret {
  #secret = 1;
  reveal(): number {
    return this.#secret;
  }
}

class Temperature {
  constructor(readonly celsius: number) {}
  toJSON(): string {
    return `${this.celsius}C`;
  }
}

class Listener extends EventEmitter {}

function roundTrip<T>(value: T): T {
  return deserialize(serialize(value).bytes) as T;
}

function refused(value: unknown, what: string, path: string, message: RegExp, root?: string): void {
  assert.throws(
    () => serialize(value, what, root),
    (error: unknown) => {
      assert.ok(error instanceof SerializationError, `expected SerializationError, got ${String(error)}`);
      assert.equal(error.path, path);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe("class instances (Ray: pickled class instances)", () => {
  it("class instances keep their prototype: methods, getters and instanceof work, no constructor runs", () => {
    const point = new Point(3, 4);
    const before = pointsConstructed;
    const back = roundTrip({ point, list: [new Point(1, 1), new Point3(1, 2, 2)] });
    assert.equal(pointsConstructed, before + 2, "only the two made here: decoding runs no constructor");
    assert.ok(back.point instanceof Point);
    assert.equal(Object.getPrototypeOf(back.point), Point.prototype);
    assert.equal(back.point.norm(), 5);
    assert.equal(back.point.sum, 7, "a getter of the class");
    assert.deepStrictEqual(back.point, point);
    assert.ok(back.list[1] instanceof Point3 && back.list[1] instanceof Point);
    assert.equal(back.list[1].norm(), 3);
  });

  it("keeps shared and cyclic instances as one object each", () => {
    const root = new TreeNode("root");
    const child = root.add(new TreeNode("child"));
    child.add(new TreeNode("leaf"));
    const back = roundTrip({ root, again: child });
    assert.ok(back.root instanceof TreeNode);
    const [backChild] = back.root.children;
    assert.ok(backChild instanceof TreeNode);
    assert.equal(backChild.parent, back.root, "the cycle child -> parent");
    assert.equal(back.again, backChild, "the same instance met twice");
    assert.ok(backChild.children[0] instanceof TreeNode);
    assert.equal(backChild.children[0].parent, backChild);
  });

  it("keeps the class through the object store's parts, out-of-band buffers included", () => {
    const node = new TreeNode("big");
    Object.assign(node, { samples: new Float64Array(4096).fill(1.5) });
    const parts = serializeParts({ node, point: new Point(6, 8) }, "put", 1024);
    assert.equal(parts.buffers.length, 1);
    const back = deserializeParts(parts.structure, parts.buffers.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength))) as {
      node: TreeNode & { samples: Float64Array };
      point: Point;
    };
    assert.ok(back.node instanceof TreeNode);
    assert.equal(back.node.samples[4095], 1.5);
    assert.equal(back.point.norm(), 10);
  });

  it("sends a class with toJSON() as what toJSON() returns; own getters as their values; not symbol keys", () => {
    assert.deepStrictEqual(roundTrip({ t: new Temperature(21) }), { t: "21C" });
    const withGetter = {
      get computed(): number {
        return 42;
      },
    };
    assert.deepStrictEqual(roundTrip(withGetter), { computed: 42 });
    const point = Object.assign(new Point(1, 2), { [Symbol("tag")]: "dropped" });
    const back = roundTrip(point);
    assert.ok(back instanceof Point);
    assert.deepStrictEqual(Object.getOwnPropertySymbols(back), []);
  });

  it("refuses, when decoding, a class whose source differs from the sender's", async () => {
    const { bytes } = serialize(new Point(1, 2));
    const text = Buffer.from(bytes).toString("latin1");
    const hash = /[0-9a-f]{16}/.exec(text)?.[0];
    assert.ok(hash !== undefined, "the class's hash is in the bytes");
    const altered = Buffer.from(text.replace(hash, "0".repeat(16)), "latin1");
    await assert.rejects(
      async () => deserializeLoading(altered),
      (error: unknown) => {
        assert.ok(error instanceof SerializationError, String(error));
        assert.match(error.message, /cannot rebuild an instance of Point .*no class Point with the sender's source/);
        return true;
      },
    );
  });
});

describe("values that cannot travel are refused at send time, naming their path", () => {
  it("refuses an instance of a class declared inside a function", () => {
    class Local {
      a = 1;
    }
    refused(
      { items: [1, new Local()] },
      "put",
      ".items[1]",
      /^cannot send put: value\.items\[1\] is an instance of Local, which Lux cannot find at the top level of serialization-classes\.test\.ts: .*Declare the class at the top level of its module and export it; send a plain object instead/,
    );
  });

  it("refuses classes with private members, and classes of Node.js", () => {
    refused({ s: new WithSecret() }, "argument 1 of f", ".s", /is an instance of WithSecret, which has private members \(#name\)/);
    refused([new Listener()], "x", "[0]", /is an instance of Listener, which extends EventEmitter, a class of Node\.js/);
    refused({ b: new SharedArrayBuffer(8) }, "x", ".b", /is an instance of SharedArrayBuffer, a built-in class/);
  });

  it("refuses generators, iterators, weak collections and boxed primitives", () => {
    function* numbers(): Generator<number> {
      yield 1;
    }
    async function* later(): AsyncGenerator<number> {
      yield 1;
    }
    const result = { items: [1, 2, 3, { gen: numbers() }] };
    refused(result, "the return value of g", ".items[3].gen", /^cannot send the return value of g: result\.items\[3\]\.gen is a generator; .*collect its values into an array/, "result");
    refused({ g: later() }, "x", ".g", /is an async generator/);
    refused({ it: new Map([[1, 2]]).keys() }, "x", ".it", /is an iterator \(Map Iterator\); .*\[\.\.\.iterator\]/);
    refused([[1].values()], "x", "[0]", /is an iterator \(Array Iterator\)/);
    refused(new Set([new Set([1]).entries()]), "x", ".values()[0]", /is an iterator \(Set Iterator\)/);
    refused({ w: new WeakMap() }, "x", ".w", /is a WeakMap; a WeakMap cannot cross the wire/);
    refused({ w: new WeakSet() }, "x", ".w", /is a WeakSet/);
    refused({ w: new WeakRef({}) }, "x", ".w", /is a WeakRef/);
    refused({ n: Object(1) as unknown }, "x", ".n", /is a boxed number \(a Number object\); send the primitive instead/);
  });

  it("looks inside class instances: what cannot travel there is named by its path", () => {
    const node = new TreeNode("root");
    node.add(Object.assign(new TreeNode("child"), { onDone: () => 1 }));
    refused({ tree: node }, "the return value of g", ".tree.children[0].onDone", /^cannot send the return value of g: result\.tree\.children\[0\]\.onDone is a function/, "result");
    refused([Object.assign(new Point(1, 2), { tag: Symbol("t") })], "x", "[0].tag", /is a symbol/);
  });

  it("still sends empty objects and objects made with Object.create(null)", () => {
    assert.deepStrictEqual(roundTrip({ empty: {}, dict: Object.create(null) as object }), { empty: {}, dict: {} });
  });
});
