/**
 * The collective's peer service (ranks' links to each other) is a Lux RPC service like the
 * cluster's: every method has a request schema, which refuses a field too many, a missing
 * one, a `__proto__` key or a body nested past the depth bound, as protocol's
 * every-method-checked test does for the cluster's services.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_MESSAGE_DEPTH, decodeMessage, encodeMessage, type Schema } from "@lux/protocol";
import { CollectivePeerService } from "../src/collective/peer-service.js";

const SAMPLES: Record<keyof typeof CollectivePeerService, Record<string, unknown>> = {
  hello: { group: "g", from: 0, to: 1, worldSize: 2, declaration: "d", shm: true },
};

const ok = (schema: Schema<unknown>, v: unknown): boolean => schema.test(decodeMessage(encodeMessage(v)), DEFAULT_MESSAGE_DEPTH);

test("every method of CollectivePeerService checks its request: valid samples pass, broken ones do not", () => {
  assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(CollectivePeerService).sort());
  for (const [method, spec] of Object.entries(CollectivePeerService)) {
    const schema = spec.request as Schema<unknown>;
    const sample = SAMPLES[method as keyof typeof SAMPLES];
    assert.ok(ok(schema, sample), `${method}: ${schema.explain(sample, "", DEFAULT_MESSAGE_DEPTH)}`);
    const broken: [string, unknown][] = [
      ["an extra field", { ...sample, extra: 1 }],
      ["a __proto__ key", { ...sample, ...(JSON.parse('{"__proto__": {"polluted": true}}') as object) }],
      ["nested past the bound", Array.from({ length: DEFAULT_MESSAGE_DEPTH }).reduce<unknown>((v) => [v], sample)],
      ...Object.keys(sample).map((key): [string, unknown] => [`${key} of another type`, { ...sample, [key]: [[["x"]]] }]),
    ];
    for (const [what, body] of broken) assert.equal(ok(schema, body), false, `${method} accepted ${what}`);
  }
});
