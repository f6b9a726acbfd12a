/**
 * examples/tune-asha.ts as users run it, in CI's short setting (--samples 4 --epochs 6; a file
 * of its own, as each test file has 120 s and the example starts a cluster and its trial actors
 * on a loaded machine).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { root, runScript } from "./helpers.js";

test("examples/tune-asha.ts: a search of SGD's hyperparameters with ASHA, the best model from its checkpoint", { timeout: 118_000 }, async () => {
  const { code, stdout, stderr } = await runScript(path.join(root, "examples/tune-asha.ts"), { args: ["--samples", "4", "--epochs", "6"], timeoutMs: 115_000 });
  assert.equal(code, 0, `exit ${code}; stdout: ${stdout.slice(-2000)}; stderr: ${stderr}`);
  assert.match(stdout, /^Trial status: 4 TERMINATED$/m);
  assert.match(stdout, /^Current best trial: \w+_\d{5} with mse=[\d.e-]+$/m);
  assert.match(stdout, /^trials: 4, terminated: 4, errors: 0, stopped early by ASHA: \d$/m);
  assert.match(stdout, /^best: mse [\d.]+ with lr [\d.e-]+, momentum [\d.]+, batch (16|32|64)$/m);
  assert.match(stdout, /^best model: y = -?[\d.]+x [+-] [\d.]+$/m);
});
