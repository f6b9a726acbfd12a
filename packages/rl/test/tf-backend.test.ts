/** tfjs loads in learner processes without changing how the process treats its errors. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadTf } from "../src/learner/tf-backend.js";

test("loading the wasm backend leaves the process's uncaughtException and unhandledRejection handlers as they were", async () => {
  const before = [process.listeners("uncaughtException").length, process.listeners("unhandledRejection").length];
  const tf = await loadTf("wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.deepEqual([process.listeners("uncaughtException").length, process.listeners("unhandledRejection").length], before);
});
