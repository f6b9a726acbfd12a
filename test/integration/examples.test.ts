/** The examples users copy run as they are (CI runs them here): examples/*.ts, each a process of its own. */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { root, runScript } from "./helpers.js";

test("examples/data-etl.ts: reads CSV, cleans, aggregates per region, writes and reads Parquet", { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runScript(path.join(root, "examples/data-etl.ts"), { timeoutMs: 110_000 });
  assert.equal(code, 0, `exit ${code}; stderr: ${stderr}`);
  assert.match(stdout, /^plan: ReadCSV->Filter\(valid\)->Map\(withRevenue\)->MapBatches\(withTax\)$/m);
  assert.match(stdout, /^rows: 800$/m);
  for (const region of ["east", "north", "south", "west"]) assert.match(stdout, new RegExp(`^${region} 200 \\d+(\\.\\d+)? 2\\.50$`, "m"));
});

test("examples/rl-cartpole-ppo.ts (short: a return of 150 within 3 minutes): learns, evaluates, saves and restores", { timeout: 240_000 }, async () => {
  const { code, stdout, stderr } = await runScript(path.join(root, "examples/rl-cartpole-ppo.ts"), {
    args: ["--target", "150", "--max-seconds", "180", "--seed", "1"],
    timeoutMs: 230_000,
  });
  assert.equal(code, 0, `exit ${code}; stdout: ${stdout.slice(-2000)}; stderr: ${stderr}`);
  assert.match(stdout, /^iter 1 steps 1024 return /m);
  const reached = stdout.match(/^reached 150: return (\d+\.\d) after (\d+) steps, (\d+) s$/m);
  assert.ok(reached, `no "reached" line: ${stdout.slice(-2000)}`);
  assert.ok(Number(reached[1]) >= 150);
  assert.ok(Number(reached[3]) <= 180);
  assert.match(stdout, /^greedy evaluation: return \d+\.\d over 10 episodes$/m);
  assert.match(stdout, /^restored at iteration \d+: same greedy action$/m);
});
