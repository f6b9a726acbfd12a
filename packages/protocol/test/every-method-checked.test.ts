/**
 * Every method of every service this package declares has a request schema that checks
 * something: the services are found by enumerating the package's exports, so a new service
 * or method without a schema, or without a sample in @lux/testing's valid-requests.ts, fails here.
 * Each sample passes its schema (after a trip through msgpack, as from a peer); the same
 * sample with one field too many, one required field missing, a `__proto__` or
 * `constructor` key, or nested past the depth bound is refused.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as protocol from "../src/index.js";
import { DEFAULT_MESSAGE_DEPTH, anything, decodeMessage, encodeMessage, type Schema, type ServiceSpec } from "../src/index.js";
import { coreWorkerRequests, gcsRequests, rayletRequests } from "@lux/testing";

const SAMPLES: Record<string, Record<string, unknown>> = {
  GcsService: gcsRequests(),
  RayletService: rayletRequests(),
  CoreWorkerService: coreWorkerRequests(),
};

/** The exports that are services: objects whose every property is a method spec. */
function declaredServices(): [string, ServiceSpec][] {
  return Object.entries(protocol as Record<string, unknown>).filter((entry): entry is [string, ServiceSpec] => {
    const [, value] = entry;
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const specs = Object.values(value as object) as unknown[];
    return specs.length > 0 && specs.every((s) => typeof s === "object" && s !== null && "request" in s);
  });
}

const roundTrip = (v: unknown): unknown => decodeMessage(encodeMessage(v));
const ok = (schema: Schema<unknown>, v: unknown): boolean => schema.test(roundTrip(v), DEFAULT_MESSAGE_DEPTH);

/** The sample with a change that must make it invalid, for each kind of change that applies. */
function breakages(schema: Schema<unknown>, sample: unknown): [string, unknown][] {
  const out: [string, unknown][] = [
    ["a string instead", "not a request"],
    ["null instead", null],
    ["nested past the depth bound", nest(sample, DEFAULT_MESSAGE_DEPTH + 1)],
  ];
  if (Array.isArray(sample)) {
    out.push(["an item too many", [...sample, ...Array<null>(12).fill(null)]]);
    return out;
  }
  const body = sample as Record<string, unknown>;
  out.push(["an extra field", { ...body, extra: 1 }]);
  out.push(["a __proto__ key", { ...body, ...(JSON.parse('{"__proto__": {"polluted": true}}') as object) }]);
  out.push(["a constructor key", { ...body, constructor: "x" }]);
  for (const key of Object.keys(body)) {
    const { [key]: _, ...without } = body;
    if (!schema.test(without, DEFAULT_MESSAGE_DEPTH)) out.push([`without ${key}`, without]);
    out.push([`${key} of another type`, { ...body, [key]: typeof body[key] === "string" ? 12 : [[["twelve"]]] }]);
  }
  return out;
}

function nest(value: unknown, levels: number): unknown {
  let v = value;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

test("the package's services are found by enumerating its exports", () => {
  const names = declaredServices().map(([name]) => name);
  for (const expected of ["GcsService", "RayletService", "CoreWorkerService"]) assert.ok(names.includes(expected), `${expected} among ${names.join(", ")}`);
});

for (const [name, service] of declaredServices()) {
  test(`${name}: every method has a request schema, a valid sample passes it, broken samples do not`, () => {
    const samples = SAMPLES[name];
    assert.ok(samples !== undefined, `${name} has no samples in @lux/testing's valid-requests.ts`);
    for (const [method, spec] of Object.entries(service)) {
      const schema = spec.request as Schema<unknown> | undefined;
      assert.equal(typeof schema?.test, "function", `${name}.${method} has no request schema`);
      assert.equal(typeof schema?.explain, "function", `${name}.${method} has no request schema`);
      assert.notEqual(schema, anything, `${name}.${method}'s request is not checked (anything)`);
      assert.ok(Object.hasOwn(samples, method), `${name}.${method} has no sample in @lux/testing's valid-requests.ts`);
      const sample: unknown = samples[method];
      assert.ok(ok(schema as Schema<unknown>, sample), `${name}.${method}'s sample: ${schema?.explain(roundTrip(sample), "", DEFAULT_MESSAGE_DEPTH)}`);
      for (const [what, broken] of breakages(schema as Schema<unknown>, sample)) {
        assert.equal(ok(schema as Schema<unknown>, broken), false, `${name}.${method} accepted its sample with ${what}`);
        assert.notEqual(schema?.explain(roundTrip(broken), "", DEFAULT_MESSAGE_DEPTH), undefined, `${name}.${method}: ${what} refused without a reason`);
      }
    }
    assert.deepEqual(Object.keys(samples).sort(), Object.keys(service).sort(), `${name}: samples of methods it does not have`);
  });
}
