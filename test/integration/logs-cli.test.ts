/**
 * Issue 16, point 4: `lux logs` and the state API's listLogs/getLog on a cluster whose
 * daemons rotate their logs at 512 bytes and keep 2 rotated files each. `lux logs` lists each
 * node's files; `lux logs FILE`, `lux logs worker --pid`, `lux logs actor --id` and
 * `lux logs task --id` (only that task's lines) print them, with --tail N and --follow
 * (followed until new lines come, then the command is killed). Rotation bounds every file
 * and the number of them. A log that is not there exits 1 naming it; bad flags exit 2. The
 * head's HTTP server serves the same (`/api/logs`, `/api/logs/tail`) for the dashboard.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as lux from "lux";
import { fixtures, root, runScript, startScript, waitFor, withCluster, type ScriptProcess } from "./helpers.js";

const ROTATION_BYTES = 512;
const ctx = withCluster(
  { head: { numCpus: 2 }, dashboard: true, config: { logRotationBytes: ROTATION_BYTES, logRotationBackups: 2, taskEventsReportIntervalMs: 100 } },
  async () => undefined,
);
const luxBin = path.join(root, "packages/lux/bin/lux.js");

interface Ready {
  rot: { pid: number; taskId: string };
  alpha: { pid: number; taskId: string };
  beta: { pid: number; taskId: string };
  stepsTask: string;
  tickerPid: number;
  actorId: string;
}

const env = (): Record<string, string> => ({ LUX_ADDRESS: ctx.cluster.address, LUX_TOKEN: ctx.cluster.token });
const cli = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => runScript(luxBin, { args, env: env(), loader: false, timeoutMs: 60_000 });
const lines = (text: string): string[] => text.split("\n").filter((l) => l !== "");

describe("lux logs", () => {
  let driver: ScriptProcess | undefined;
  let ready: Ready;

  before(async () => {
    driver = startScript(path.join(fixtures, "logs-cli-driver.ts"), { env: env() });
    ready = JSON.parse((await driver.line(/ready (.*)/, 60_000))[1] as string) as Ready;
    // The tasks' runs are known to the control service (task events), the steps task's included.
    const client = await lux.state.connect({ address: ctx.cluster.address, token: ctx.cluster.token });
    try {
      const ran = async (taskId: string): Promise<boolean> => (await client.get("tasks", taskId))?.executions?.length === 1;
      await waitFor(async () => (await ran(ready.stepsTask)) && (await ran(ready.alpha.taskId)) && (await ran(ready.beta.taskId)), "the tasks' runs in the state API");
    } finally {
      client.close();
    }
  });

  after(async () => {
    driver?.kill();
    await driver?.exited();
  });

  it("lists each node's files; every log rotates within its size and keeps at most 2 rotated files", async () => {
    const r = await cli("logs");
    assert.equal(r.code, 0, r.stderr);
    const node = ctx.cluster.nodes[0]?.nodeId ?? "";
    assert.match(r.stdout, /^NODE_ID\s+FILE\s+SIZE\s+MODIFIED/);
    for (const name of ["gcs.log", "raylet-0.log", `worker-${ready.rot.pid}.log`, `worker-${ready.rot.pid}.log.1`, `worker-${ready.rot.pid}.log.2`]) {
      assert.ok(lines(r.stdout).some((l) => l.startsWith(node) && l.split(/\s+/)[1] === name), `${name} listed:\n${r.stdout}`);
    }
    const dir = path.join(ctx.cluster.sessionDir, "logs");
    const files = fs.readdirSync(dir);
    assert.ok(!files.includes(`worker-${ready.rot.pid}.log.3`), files.join(", "));
    assert.ok(files.includes("raylet-0.log.1"), `the raylet's own log rotated too: ${files.join(", ")}`);
    for (const f of files) assert.ok(fs.statSync(path.join(dir, f)).size <= ROTATION_BYTES, `${f} is within the rotation size`);
  });

  it("FILE --tail N, and a worker's whole output across its rotated files (the oldest rows rotated away)", async () => {
    const tail = await cli("logs", "raylet-0.log", "--tail", "4");
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(lines(tail.stdout).length, 4);
    for (const l of lines(tail.stdout)) assert.match(l, /^\d{4}-\d\d-\d\dT\S+Z (DEBUG|INFO|WARN|ERROR) raylet: /);

    // The rot task's worker ran only it (maxCalls 1): its output is all rows.
    const all = await cli("logs", "worker", "--pid", String(ready.rot.pid));
    assert.equal(all.code, 0, all.stderr);
    const rows = lines(all.stdout);
    assert.ok(rows.every((l) => l.startsWith("rot row ")), all.stdout);
    assert.ok(rows.length >= 10 && rows.length <= 15, `the last 3 files of rows kept (5 a file), the oldest rotated away: ${rows.length}`);
    assert.ok(rows.at(-1)?.startsWith("rot row 199 "));
    const numbers = rows.map((l) => Number(l.split(" ")[2]));
    assert.deepEqual(numbers, numbers.map((_, i) => (numbers[0] as number) + i), "in order, none missing");
    assert.ok(!all.stdout.includes("\u001e"), "markers are not shown");
    const last3 = await cli("logs", "worker", "--pid", String(ready.rot.pid), "--tail", "3");
    assert.deepEqual(lines(last3.stdout), lines(all.stdout).slice(-3));
  });

  it("task --id prints only that task's lines; actor --id the actor's", async () => {
    const alpha = await cli("logs", "task", "--id", ready.alpha.taskId);
    assert.equal(alpha.code, 0, alpha.stderr);
    assert.deepEqual(lines(alpha.stdout).map((l) => l.split(" ").slice(0, 3).join(" ")), ["alpha row 0", "alpha row 1", "alpha row 2"]);
    const beta = await cli("logs", "task", "--id", ready.beta.taskId, "--tail", "2");
    assert.deepEqual(lines(beta.stdout).map((l) => l.split(" ").slice(0, 3).join(" ")), ["beta row 1", "beta row 2"]);
    const actor = await cli("logs", "actor", "--id", ready.actorId, "--tail", "3");
    assert.equal(actor.code, 0, actor.stderr);
    assert.equal(lines(actor.stdout).length, 3);
    for (const l of lines(actor.stdout)) assert.match(l, /^tick \d+$/);
  });

  // The ticker's file (about 90 bytes a second) rotates every few seconds: 70 lines cross a rotation.
  for (const [form, args, pattern, count] of [
    ["FILE", () => [`worker-${ready.tickerPid}.log`], /^tick (\d+)$/, 70],
    ["worker --pid", () => ["worker", "--pid", String(ready.tickerPid)], /^tick (\d+)$/, 15],
    ["actor --id", () => ["actor", "--id", ready.actorId], /^tick (\d+)$/, 15],
    ["task --id", () => ["task", "--id", ready.stepsTask], /^step (\d+)$/, 15],
  ] as const) {
    it(`${form} --follow --tail 1 prints new lines as they are written${count > 15 ? ", across rotations" : ""}`, async () => {
      const follow = startScript(luxBin, { args: ["logs", ...args(), "--follow", "--tail", "1"], env: env(), loader: false });
      try {
        const seen = (): number[] => lines(follow.stdout()).map((l) => Number(pattern.exec(l)?.[1] ?? NaN));
        await waitFor(() => seen().length >= count || follow.child.exitCode !== null, `${count} lines from lux logs ${args().join(" ")} --follow`, 30_000);
        const numbers = seen();
        assert.ok(numbers.length >= count, `still following: ${follow.stdout()}\n${follow.stderr()}`);
        assert.deepEqual(numbers, numbers.map((_, i) => (numbers[0] as number) + i), `consecutive, none twice: ${numbers.join(",")}`);
      } finally {
        follow.kill();
        await follow.exited();
      }
    });
  }

  it("a log that is not there exits 1 naming it; bad flags exit 2", async () => {
    const noFile = await cli("logs", "nothing.log");
    assert.equal(noFile.code, 1);
    assert.match(noFile.stderr, /no log of file "nothing\.log": no alive node has it/);
    const noNode = await cli("logs", "raylet-0.log", "--node-id", "ffffffff");
    assert.equal(noNode.code, 1);
    assert.match(noNode.stderr, /no log of node ffffffff: no node has this id/);
    const noPid = await cli("logs", "worker", "--pid", "999999999");
    assert.equal(noPid.code, 1);
    assert.match(noPid.stderr, /no log of worker pid 999999999/);
    const noTask = await cli("logs", "task", "--id", "f".repeat(24));
    assert.equal(noTask.code, 1);
    assert.match(noTask.stderr, /no log of task f+: the control service knows no such task/);
    const noActor = await cli("logs", "actor", "--id", "f".repeat(32));
    assert.equal(noActor.code, 1);
    assert.match(noActor.stderr, /no log of actor f+/);
    const badTail = await cli("logs", "raylet-0.log", "--tail", "0");
    assert.equal(badTail.code, 2);
    assert.match(badTail.stderr, /--tail takes a whole number >= 1, got "0"/);
    const badPid = await cli("logs", "worker", "--pid", "abc");
    assert.equal(badPid.code, 2);
    const followAll = await cli("logs", "--follow");
    assert.equal(followAll.code, 2);
  });

  it("the state API: listLogs per node; getLog reads as the command does and follows until the loop ends", async () => {
    const client = await lux.state.connect({ address: ctx.cluster.address, token: ctx.cluster.token });
    try {
      const nodes = await client.listLogs();
      assert.deepEqual(nodes.map((n) => n.nodeId), [ctx.cluster.nodes[0]?.nodeId]);
      const file = nodes[0]?.files.find((f) => f.name === `worker-${ready.rot.pid}.log`);
      assert.ok(file !== undefined && file.size > 0 && file.modifiedAt > Date.now() - 600_000, JSON.stringify(file));
      const nodeId = ctx.cluster.nodes[0]?.nodeId ?? "";
      assert.deepEqual((await client.listLogs({ nodeId: nodeId.slice(0, 8) })).map((n) => n.nodeId), [nodeId], "a node named by the start of its id");
      const alpha: string[] = [];
      for await (const l of client.getLog({ taskId: ready.alpha.taskId, tail: 1 })) alpha.push(l);
      assert.deepEqual(alpha.map((l) => l.split(" ").slice(0, 3).join(" ")), ["alpha row 2"]);
      const ticks: string[] = [];
      for await (const l of client.getLog({ actorId: ready.actorId, tail: 1, follow: true })) {
        ticks.push(l);
        if (ticks.length === 5) break;
      }
      assert.equal(ticks.length, 5);
      await assert.rejects(collectAll(client.getLog({ file: "nothing.log" })), (e: unknown) => e instanceof lux.LogNotFoundError);
      await assert.rejects(collectAll(client.getLog({ pid: 1, taskId: "x" })), (e: unknown) => e instanceof lux.InvalidOptionError);
    } finally {
      client.close();
    }
  });
});

describe("the head's HTTP server", () => {
  it("GET /api/logs lists each node's files; /api/logs/tail streams the last lines and then new ones; a missing file is a 404", async () => {
    const base = ctx.cluster.dashboardUrl as string;
    const headers = { authorization: `Bearer ${ctx.cluster.token}` };
    const listed = (await (await fetch(`${base}/api/logs`, { headers })).json()) as { nodeId: string; files: { name: string }[] }[];
    assert.deepEqual(listed.map((n) => n.nodeId), [ctx.cluster.nodes[0]?.nodeId]);
    for (const name of ["gcs.log", "raylet-0.log"]) assert.ok(listed[0]?.files.some((f) => f.name === name), `${name}: ${JSON.stringify(listed)}`);
    const missing = await fetch(`${base}/api/logs/tail?file=nothing.log`, { headers });
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { message: string }).message, /no log of file "nothing\.log"/);
    assert.equal((await fetch(`${base}/api/logs/tail?file=gcs.log&tail=0`, { headers })).status, 400);
    // The raylet's own log: its last 5 lines at once, then those it writes later (a job's workers stopped).
    const abort = new AbortController();
    const res = await fetch(`${base}/api/logs/tail?nodeId=${ctx.cluster.nodes[0]?.nodeId ?? ""}&file=raylet-0.log&tail=5`, { headers, signal: abort.signal });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })().catch(() => undefined);
    const count = (): number => lines(text).length;
    try {
      await waitFor(() => count() >= 5, "the last 5 lines");
      const before = count();
      await lux.init({ address: ctx.cluster.address });
      await lux.get(lux.remote(() => 1).remote());
      await lux.shutdown(); // the raylet logs that it stops the job's workers
      await waitFor(() => count() > before, `a line the raylet wrote since: ${text}`);
    } finally {
      abort.abort();
      await pump;
      await lux.shutdown();
    }
  });
});

async function collectAll(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l);
  return out;
}
