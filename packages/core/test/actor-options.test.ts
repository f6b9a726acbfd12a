/**
 * What an actor holds and what it is placed by: without numCpus, placed as needing one CPU
 * and holding none (as in Ray); with numCpus, both are what it asks. maxConcurrency is left
 * to the worker unless given.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileActorOptions } from "../src/options.js";

test("without numCpus an actor is placed by one CPU (plus what else it asks) and holds none of it", () => {
  assert.deepEqual(pick(compileActorOptions({}, "ns")), { resources: {}, placementResources: { CPU: 1 } });
  assert.deepEqual(pick(compileActorOptions({ numGpus: 1, resources: { slot: 2 } }, "ns")), {
    resources: { GPU: 1, slot: 2 },
    placementResources: { CPU: 1, GPU: 1, slot: 2 },
  });
});

test("with numCpus, even 0, an actor is placed by and holds exactly what it asks", () => {
  assert.deepEqual(pick(compileActorOptions({ numCpus: 2 }, "ns")), { resources: { CPU: 2 }, placementResources: undefined });
  assert.deepEqual(pick(compileActorOptions({ numCpus: 0 }, "ns")), { resources: {}, placementResources: undefined });
});

test("maxConcurrency is undefined unless given (the worker decides from the class)", () => {
  assert.equal(compileActorOptions({}, "ns").maxConcurrency, undefined);
  assert.equal(compileActorOptions({ maxConcurrency: 4 }, "ns").maxConcurrency, 4);
});

function pick(o: ReturnType<typeof compileActorOptions>): { resources: Record<string, number>; placementResources: Record<string, number> | undefined } {
  return { resources: o.resources, placementResources: o.placementResources };
}
