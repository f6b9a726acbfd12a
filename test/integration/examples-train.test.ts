/**
 * examples/train-tfjs.ts as users run it, in CI's short setting (--quick: 3 epochs of 1,024
 * rows; a file of its own, as each test file has 120 s and this one trains for a good part of
 * it on a loaded machine).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { root, runScript } from "./helpers.js";

test("examples/train-tfjs.ts --quick: an MLP on 2 workers, the loss going down, the best checkpoints kept, its model evaluated", { timeout: 118_000 }, async () => {
  const { code, stdout, stderr } = await runScript(path.join(root, "examples/train-tfjs.ts"), { args: ["--quick"], timeoutMs: 115_000 });
  assert.equal(code, 0, `exit ${code}; stdout: ${stdout.slice(-2000)}; stderr: ${stderr}`);
  const losses = [...stdout.matchAll(/^epoch (\d+) loss (\d+\.\d+)$/gm)].map((m) => Number(m[2]));
  assert.equal(losses.length, 3, stdout);
  assert.ok((losses[2] as number) < (losses[0] as number), `the loss goes down: ${losses.join(", ")}`);
  assert.match(stdout, /^checkpoints kept: checkpoint_00000\d, checkpoint_00000\d$/m);
  const mse = Number(/^held-out mse (\d+\.\d+)$/m.exec(stdout)?.[1]);
  assert.ok(mse < 0.2, `held-out mse ${mse}`);
});
