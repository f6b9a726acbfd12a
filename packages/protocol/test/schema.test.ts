/**
 * The schema DSL the services are declared with: what each schema accepts, where `explain`
 * says a bad value is bad, the keys refused at any depth, and what msgpackr makes of them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import {
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

function accepts<T>(schema: Schema<T>, ...values: unknown[]): void {
  for (const v of values) {
    assert.equal(schema.test(v), true, `should accept ${inspect(v)}: ${schema.explain(v, "")}`);
    assert.equal(schema.explain(v, ""), undefined);
  }
}

function refuses<T>(schema: Schema<T>, value: unknown, problem: RegExp): void {
  assert.equal(schema.test(value), false, `should refuse ${inspect(value)}`);
  assert.match(schema.explain(value, "") ?? "(accepted)", problem);
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

test("objects: every named field checked, unnamed ones ignored, optional and maybe fields", () => {
  const Spec = obj({ id: str, size: int(), name: maybe(str), tag: opt(str), list: arr(num) });
  const good: Infer<typeof Spec> = { id: "a", size: 1, name: undefined, list: [1, 2] };
  accepts(Spec, good, { ...good, tag: "t", extra: { anything: 1 } }, { ...good, tag: undefined }, { id: "a", size: 1, list: [] });
  refuses(Spec, { ...good, id: undefined }, /^id: expected a string, got nothing$/);
  refuses(Spec, { ...good, tag: 3 }, /^tag: expected a string, got number 3$/);
  refuses(Spec, { ...good, list: [1, "2"] }, /^list\[1\]: expected a number, got a string$/);
  refuses(Spec, null, /^the body: expected an object, got null$/);
  refuses(Spec, [good], /expected an object, got an array/);
  refuses(Spec, new Map(), /expected an object, got a non-plain object/);
  refuses(Spec, Object.assign(Object.create(null) as object, good), /expected an object, got a non-plain object/);
  accepts(empty, {}, { ignored: 1 });
  refuses(empty, undefined, /expected an object, got nothing/);
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
    assert.equal(Spec.test(value), false, what);
    assert.match(Spec.explain(value, "") ?? "(accepted)", /the key "(constructor|prototype|__proto__|__proto_)" is not allowed|expected an object, got a non-plain object/, what);
  }
});

test("msgpackr never builds an object with a __proto__ key: it decodes it as __proto_, which is refused", () => {
  const bytesWithProto = encodeMessage(JSON.parse('{"a": 1, "__proto__": {"polluted": true}}') as object);
  const decoded = decodeMessage(bytesWithProto) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype, "the prototype was not replaced");
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.equal(Object.hasOwn(decoded, "__proto__"), false);
  assert.deepEqual(Object.keys(decoded), ["a", "__proto_"]);
  assert.match(obj({ a: num }).explain(decoded, "") ?? "", /the key "__proto_" is not allowed/);
});

test("anything: refuses values nested deeper than 64 levels", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 70; i++) deep = [deep];
  assert.equal(anything.test(deep), false);
  assert.match(anything.explain(deep, "error") ?? "", /nested more than 64 levels deep/);
  let shallow: unknown = 1;
  for (let i = 0; i < 30; i++) shallow = { next: shallow };
  accepts(anything, shallow, new Map([["k", { v: 1 }]]), 1, "s", null);
});
