/**
 * Issue 16, point 4: worker output reaches the driver of its job, and only that driver.
 * Drivers are separate processes (their stdout and stderr are read here) on a cluster they
 * did not start, as with `lux start` (two nodes): a task's stdout line comes prefixed
 * `(shout pid=… node=…)` on the driver's stdout, from either node, its stderr line on the driver's stderr, an actor's
 * `(Speaker pid=…)`; two drivers at once each see only their own; the same line from 4
 * workers prints once and then `[repeated 3× across cluster]`, every time with
 * LUX_DEDUP_LOGS=0; `logToDriver: false` prints nothing, the worker's log file keeps it.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, test } from "node:test";
import * as lux from "lux";
import { fixtures, runScript, withCluster } from "./helpers.js";

const ctx = withCluster({ head: { numCpus: 4 } }, async (cluster) => {
  await cluster.addNode({ numCpus: 1, resources: { second: 1 } });
});
const driver = path.join(fixtures, "logs-driver.ts");

async function run(mode: string, text: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; done: Record<string, unknown> }> {
  const r = await runScript(driver, { args: [mode, text], env: { LUX_ADDRESS: ctx.cluster.address, LUX_TOKEN: ctx.cluster.token, ...env }, timeoutMs: 90_000 });
  assert.equal(r.code, 0, `driver ${mode} failed:\n${r.stdout}\n${r.stderr}`);
  const done = /^done (.*)$/m.exec(r.stdout);
  assert.ok(done !== null, `no done line: ${r.stdout}`);
  return { stdout: r.stdout, stderr: r.stderr, done: JSON.parse(done[1] as string) as Record<string, unknown> };
}

const nodeTag = (i = 0): string => (ctx.cluster.nodes[i]?.nodeId ?? "").slice(0, 8);

describe("worker output in the driver", () => {
  test("a task's stdout and stderr reach its driver's, prefixed with its function, pid and node (this one's or another's); an actor's with its class", async () => {
    const text = `basic-${process.pid}`;
    const { stdout, stderr, done } = await run("basic", text);
    const { taskPid, actorPid, remotePid } = done as { taskPid: number; actorPid: number; remotePid: number };
    assert.ok(stdout.split("\n").includes(`(shout pid=${remotePid} node=${nodeTag(1)}) out ${text} there`), stdout);
    assert.ok(stderr.split("\n").includes(`(shout pid=${remotePid} node=${nodeTag(1)}) err ${text} there`), stderr);
    // The first task ran on either node.
    const on = [nodeTag(0), nodeTag(1)].find((tag) => stdout.includes(`(shout pid=${taskPid} node=${tag}) out ${text}\n`));
    assert.ok(on !== undefined, stdout);
    assert.ok(stderr.split("\n").includes(`(shout pid=${taskPid} node=${on}) err ${text}`), stderr);
    assert.ok(!stdout.includes(`err ${text}`), "stderr lines stay on stderr");
    assert.ok(!stderr.includes(`out ${text}`), "stdout lines stay on stdout");
    assert.ok(stdout.split("\n").includes(`(Speaker pid=${actorPid}) actor ${text}`), stdout);
  });

  test("two drivers on one cluster at once: each sees its own workers' output and never the other's", async () => {
    const [a, b] = await Promise.all([run("busy", `first-${process.pid}`), run("busy", `second-${process.pid}`)]);
    for (const [mine, theirs, out] of [
      ["first", "second", a],
      ["second", "first", b],
    ] as const) {
      const lines = out.stdout.split("\n").filter((l) => l.includes(` out ${mine}-`));
      assert.equal(lines.length, 20, `${mine} sees its 20 lines: ${out.stdout}`);
      assert.ok(!out.stdout.includes(theirs) && !out.stderr.includes(`err ${theirs}`), `${mine} saw ${theirs}'s output:\n${out.stdout}\n${out.stderr}`);
    }
  });

  test("the same line from 4 workers prints once, then with [repeated 3× across cluster]; LUX_DEDUP_LOGS=0 prints it 4 times", async () => {
    const text = `dedup-${process.pid}`;
    const { stdout, done } = await run("same", text);
    const pids = done["pids"] as number[];
    assert.equal(new Set(pids).size, 4, "4 actors, 4 processes");
    const same = stdout.split("\n").filter((l) => l.endsWith(`the same line ${text}`));
    assert.equal(same.length, 1, stdout);
    const repeated = stdout.split("\n").filter((l) => l.includes(`the same line ${text} [repeated 3× across cluster]`));
    assert.equal(repeated.length, 1, stdout);
    assert.match(repeated[0] as string, /^\(Speaker pid=\d+\) /);
    for (let i = 0; i < 4; i++) assert.ok(stdout.includes(`own line ${i} ${text}`), "different lines are all printed");

    const plain = await run("same", `${text}-all`, { LUX_DEDUP_LOGS: "0" });
    assert.equal(plain.stdout.split("\n").filter((l) => l.endsWith(`the same line ${text}-all`)).length, 4, plain.stdout);
    assert.ok(!plain.stdout.includes("repeated"), plain.stdout);
  });

  test("logToDriver: false prints none of the workers' output; their log files keep it", async () => {
    const text = `quiet-${process.pid}`;
    const { stdout, stderr, done } = await run("quiet", text);
    assert.ok(!stdout.includes(text.replace("quiet-", "out quiet-")) && !stdout.includes(`actor ${text}`), stdout);
    assert.ok(!stderr.includes(`err ${text}`), stderr);
    const client = await lux.state.connect({ address: ctx.cluster.address, token: ctx.cluster.token });
    try {
      const lines: string[] = [];
      for await (const line of client.getLog({ pid: done["taskPid"] as number })) lines.push(line);
      assert.ok(lines.includes(`out ${text}`) && lines.includes(`err ${text}`), `the worker's file: ${lines.join("\n")}`);
    } finally {
      client.close();
    }
  });
});
