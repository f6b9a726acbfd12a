/**
 * The schema DSL the services are declared with: what each schema accepts, where `explain`
 * says a bad value is bad, the keys refused at any depth, and what msgpackr makes of them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { Packr } from "msgpackr";
import {
  DEFAULT_MESSAGE_DEPTH,
  anything,
  arr,
  bool,
  bytes,
  decodeMessage,
  empty,
  encodeMessage,
  int,
  lit,
  maybe,
  nullable,
  num,
  obj,
  opt,
  record,
  str,
  tuple,
  union,
  type Infer,
  type Schema,
} from "../src/index.js";

const DEPTH = DEFAULT_MESSAGE_DEPTH;

function accepts<T>(schema: Schema<T>, ...values: unknown[]): void {
  for (const v of values) {
    assert.equal(schema.test(v, DEPTH), true, `should accept ${inspect(v)}: ${schema.explain(v, "", DEPTH)}`);
    assert.equal(schema.explain(v, "", DEPTH), undefined);
  }
}

function refuses<T>(schema: Schema<T>, value: unknown, problem: RegExp, depth = DEPTH): void {
  assert.equal(schema.test(value, depth), false, `should refuse ${inspect(value)}`);
  assert.match(schema.explain(value, "", depth) ?? "(accepted)", problem);
}

test("leaves: strings, numbers, integers, booleans, bytes, literals", () => {
  accepts(str, "", "x");
  refuses(str, 1, /^the body: expected a string, got number 1$/);
  accepts(num, 0, -1.5, Number.MAX_VALUE);
  refuses(num, "1", /expected a number, got a string/);
  accepts(int(), 0, 7, 2 ** 40);
  refuses(int(), -1, /expected an integer >= 0, got number -1/);
  refuses(int(), 1.5, /expected an integer >= 0/);
  refuses(int(), 10n, /got bigint 10/);
  accepts(bool, true, false);
  refuses(bool, 0, /expected a boolean/);
  accepts(bytes, Uint8Array.of(1), Buffer.from("x"));
  refuses(bytes, [1], /expected bytes, got an array/);
  accepts(lit("get", "arg"), "get", "arg");
  refuses(lit("get", "arg"), "put", /expected "get" or "arg", got a string/);
});

test("objects: every named field checked, no other field allowed, optional and maybe fields", () => {
  const Spec = obj({ id: str, size: int(), name: maybe(str), tag: opt(str), list: arr(num) });
  const good: Infer<typeof Spec> = { id: "a", size: 1, name: undefined, list: [1, 2] };
  // A `maybe` field may be left out too: to a reader, absent and undefined are the same.
  accepts(Spec, good, { ...good, tag: "t" }, { ...good, tag: undefined }, { id: "a", size: 1, name: "n", list: [] }, { id: "a", size: 1, list: [] });
  refuses(Spec, { ...good, extra: { anything: 1 } }, /^the body: the key "extra" is not one of this message's$/);
  refuses(Spec, { ...good, tag: "t", extra: undefined }, /the key "extra" is not one of this message's/);
  refuses(Spec, { id: "a", list: [] }, /^size: expected an integer >= 0, got nothing$/);
  refuses(Spec, { ...good, id: undefined }, /^id: expected a string, got nothing$/);
  refuses(Spec, { ...good, tag: 3 }, /^tag: expected a string, got number 3$/);
  refuses(Spec, { ...good, list: [1, "2"] }, /^list\[1\]: expected a number, got a string$/);
  refuses(Spec, null, /^the body: expected an object, got null$/);
  refuses(Spec, [good], /expected an object, got an array/);
  refuses(Spec, new Map(), /expected an object, got a non-plain object/);
  refuses(Spec, Object.assign(Object.create(null) as object, good), /expected an object, got a non-plain object/);
  accepts(empty, {});
  refuses(empty, { extra: 1 }, /the key "extra" is not one of this message's/);
  refuses(empty, undefined, /expected an object, got nothing/);
  // Decoded from the wire, as a peer would send it.
  refuses(Spec, decodeMessage(encodeMessage({ ...good, more: 1 })), /the key "more" is not one of this message's/);
  accepts(Spec, decodeMessage(encodeMessage(good)));
});

test("nested paths name the field: objects in arrays in records", () => {
  const Nested = obj({ nodes: arr(obj({ total: record(num) })) });
  refuses(Nested, { nodes: [{ total: { CPU: 1 } }, { total: { CPU: "many" } }] }, /^nodes\[1\]\.total\["CPU"\]: expected a number, got a string$/);
  refuses(Nested, { nodes: [{}] }, /^nodes\[0\]\.total: expected an object, got nothing$/);
});

test("unions, nullable and positional tuples (with optional trailing items)", () => {
  const Strategy = union(lit("DEFAULT", "SPREAD"), obj({ nodeId: str, soft: bool }));
  accepts(Strategy, "SPREAD", { nodeId: "n", soft: true });
  refuses(Strategy, "PACK", /expected "DEFAULT" or "SPREAD" or an object, got a string/);
  refuses(Strategy, { nodeId: "n" }, /^soft: expected a boolean, got nothing$/);
  accepts(nullable(num), null, 1);
  refuses(nullable(num), undefined, /expected a number, got nothing/);
  const Pair = tuple([str, num], [bool]);
  accepts(Pair, ["a", 1], ["a", 1, true]);
  refuses(Pair, ["a"], /expected an array of 2 to 3, got 1 items/);
  refuses(Pair, ["a", 1, true, 4], /expected an array of 2 to 3, got 4 items/);
  refuses(Pair, ["a", 1, "yes"], /^\[2\]: expected a boolean, got a string$/);
});

test("the keys constructor, prototype, __proto__ (and __proto_) are refused in any object, at any depth", () => {
  const Spec = obj({ env: record(str), inner: obj({ a: num }), error: opt(anything) });
  const good = { env: { A: "1" }, inner: { a: 1 } };
  accepts(Spec, good, { ...good, error: { name: "E", nested: [{ ok: 1 }] } });
  const bad: [string, unknown][] = [
    ["constructor at the top", { ...good, constructor: "x" }],
    ["prototype at the top", { ...good, prototype: {} }],
    ["__proto__ in a record (as msgpackr decodes it)", decodeMessage(encodeMessage({ ...good, env: JSON.parse('{"__proto__": "x"}') as object }))],
    ["constructor in a record", { ...good, env: { constructor: "x" } }],
    ["prototype in a nested object", { ...good, inner: { a: 1, prototype: 1 } }],
    ["constructor deep in an error payload", { ...good, error: { cause: [{ constructor: { x: 1 } }] } }],
    ["__proto__ own key deep in an error payload", { ...good, error: { cause: JSON.parse('{"__proto__": {"polluted": true}}') as object } }],
  ];
  for (const [what, value] of bad) {
    assert.equal(Spec.test(value, DEPTH), false, what);
    assert.match(Spec.explain(value, "", DEPTH) ?? "(accepted)", /the key "(constructor|prototype|__proto__|__proto_)" is not allowed|expected an object, got a non-plain object/, what);
  }
});

test("msgpackr never builds an object with a __proto__ key: it decodes it as __proto_, which is refused", () => {
  const bytesWithProto = encodeMessage(JSON.parse('{"a": 1, "__proto__": {"polluted": true}}') as object);
  const decoded = decodeMessage(bytesWithProto) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype, "the prototype was not replaced");
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.equal(Object.hasOwn(decoded, "__proto__"), false);
  assert.deepEqual(Object.keys(decoded), ["a", "__proto_"]);
  assert.match(obj({ a: num }).explain(decoded, "", DEPTH) ?? "", /the key "__proto_" is not allowed/);
});

test("depth: a value nesting more levels of objects and arrays than allowed is refused, typed or not", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 70; i++) deep = [deep];
  assert.equal(anything.test(deep, DEPTH), false);
  assert.match(anything.explain(deep, "error", DEPTH) ?? "", /nested too deep \(config rpcMaxMessageDepth\)/);
  assert.equal(anything.test(deep, 71), true, "the bound is the caller's");
  let shallow: unknown = 1;
  for (let i = 0; i < 30; i++) shallow = { next: shallow };
  accepts(anything, shallow, new Map([["k", { v: 1 }]]), 1, "s", null);
  refuses(anything, new Map([[[[["k"]]], 1]]), /a key nested too deep/, 3);
  // Typed shapes count their own levels: the body is one, each object or array inside one more.
  const Spec = obj({ nodes: arr(obj({ total: record(num) })), error: opt(anything) });
  const value = { nodes: [{ total: { CPU: 1 } }] };
  assert.equal(Spec.test(value, 4), true);
  refuses(Spec, value, /^nodes\[0\]\.total: nested too deep/, 3);
  refuses(Spec, { ...value, error: { cause: { cause: { cause: {} } } } }, /^error\.cause\.cause\.cause: nested too deep/, 4);
  refuses(tuple([arr(num)]), [[1]], /^\[0\]: nested too deep/, 1);
});

test("msgpackr's reference extensions (shared and cyclic objects) are refused when decoding: a small frame cannot make a check walk forever", () => {
  const withReferences = new Packr({ structuredClone: true });
  const shared = { a: 1 };
  let dag: unknown = shared;
  for (let i = 0; i < 40; i++) dag = [dag, dag];
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  for (const value of [dag, cyclic]) {
    const encoded = withReferences.pack(value);
    assert.ok(encoded.length < 1024, "a few bytes stand for 2^40 objects, or for an endless one");
    assert.throws(() => decodeMessage(encoded), /Structured clone extension is disabled/);
  }
});
