/**
 * examples/rl-cartpole-ppo.ts as users run it, in CI's short setting (a file of its own: each
 * test file has 120 s, and this one learns for most of it on a loaded machine).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { root, runScript } from "./helpers.js";

test("examples/rl-cartpole-ppo.ts (short: a return of 150 within 100 s): learns, evaluates, saves and restores", { timeout: 118_000 }, async () => {
  const { code, stdout, stderr } = await runScript(path.join(root, "examples/rl-cartpole-ppo.ts"), {
    args: ["--target", "150", "--max-seconds", "100", "--seed", "1"],
    timeoutMs: 115_000,
  });
  assert.equal(code, 0, `exit ${code}; stdout: ${stdout.slice(-2000)}; stderr: ${stderr}`);
  assert.match(stdout, /^iter 1 steps 1024 return /m);
  const reached = stdout.match(/^reached 150: return (\d+\.\d) after (\d+) steps, (\d+) s$/m);
  assert.ok(reached, `no "reached" line: ${stdout.slice(-2000)}`);
  assert.ok(Number(reached[1]) >= 150);
  assert.ok(Number(reached[3]) <= 100);
  assert.match(stdout, /^greedy evaluation: return \d+\.\d over 10 episodes$/m);
  assert.match(stdout, /^restored at iteration \d+: same greedy action$/m);
});
