/**
 * Issue 13 point 16: a worker runs its job's `--require`/`--import` preloads (the driver's
 * loader, e.g. tsx) itself, after Lux's own modules and before any task, in the driver's
 * order and resolved from the working directory as Node resolves the flags.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { fixtures, runScript } from "./helpers.js";

test("workers run the driver's --require and --import preloads, in order, before their tasks", async () => {
  const r = await runScript(path.join(fixtures, "preloads-driver.ts"), {
    // A path as Node takes it for --require, a relative one for --import (from the working directory).
    nodeArgs: ["--require", path.join(fixtures, "preload-require.cjs"), "--import", "./test/integration/fixtures/preload-import.mjs"],
    env: { LUX_ADDRESS: "" },
  });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as { driver: string[]; worker: string[] };
  assert.deepEqual(out.driver, ["require", "import"]);
  assert.deepEqual(out.worker, ["require", "import"]);
});
