/**
 * Issue 16, points 1–3 and 8 from the command line: `lux list` (table, json, yaml; filters,
 * limit and page tokens), `lux get`, `lux summary`, `lux memory` and `lux timeline` against a
 * cluster started by `lux start --head --task-events-max 30`; an unknown kind, field or
 * operator exits 2 listing the valid ones.
 *
 * Every command runs with its own LUX_SESSION_DIR_ROOT, so it finds only this test's cluster.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { STATE_FIELDS, STATE_KINDS } from "@lux/protocol";
import { fixtures, pidAlive, root, runScript, startScript, waitFor, type ScriptProcess } from "./helpers.js";

const luxBin = path.join(root, "packages/lux/bin/lux.js");
const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-state-cli-"));
const env = { LUX_SESSION_DIR_ROOT: sessionRoot, LUX_ADDRESS: "", LUX_TOKEN: "", LUX_TASK_EVENTS_REPORT_INTERVAL_MS: "100" };

function lux(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runScript(luxBin, { args, env, loader: false, timeoutMs: 60_000 });
}

async function json<T>(...args: string[]): Promise<T> {
  const r = await lux(...args, "--format", "json");
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

interface Page {
  items: Record<string, unknown>[];
  nextPageToken: string | null;
  total: number;
  dropped: number;
}

describe("lux list, get, summary, memory, timeline", () => {
  let driver: ScriptProcess | undefined;
  let ready: { jobId: string; failed: string[]; kept: string };
  const pids: number[] = [];

  before(async () => {
    const started = await lux("start", "--head", "--port", "0", "--dashboard-port", "0", "--num-cpus", "2", "--task-events-max", "30", "--system-config", '{"taskEventsReportIntervalMs": 100}');
    assert.equal(started.code, 0, started.stderr);
    const address = /Control service: (\S+)/.exec(started.stdout)?.[1] ?? "";
    for (const f of fs.readdirSync(path.join(sessionRoot, "cli"))) pids.push((JSON.parse(fs.readFileSync(path.join(sessionRoot, "cli", f), "utf8")) as { pid: number }).pid);
    driver = startScript(path.join(fixtures, "state-cli-driver.ts"), { env: { ...env, LUX_ADDRESS: address } });
    ready = JSON.parse((await driver.line(/ready (.*)/, 60_000))[1] as string) as typeof ready;
    // The 41 tasks' events (of which 30 are kept), the workers' included.
    let last: Page | undefined;
    await waitFor(async () => {
      const p = (last = await json<Page>("list", "tasks", "--limit", "100"));
      return p.total === 30 && p.items.every((t) => t["workerId"] !== null && t["state"] !== "RUNNING");
    }, "30 tasks with their runs", 30_000, 200).catch((e: unknown) => {
      const lacking = (last?.items ?? []).filter((t) => t["workerId"] === null || t["state"] === "RUNNING").map((t) => `${String(t["taskId"])}:${String(t["functionName"])}:${String(t["state"])}`);
      throw new Error(`${(e as Error).message}: total ${last?.total}, dropped ${last?.dropped}, without a finished run: ${lacking.join(" ") || "none"}`);
    });
  });

  after(async () => {
    driver?.kill();
    await driver?.exited();
    await lux("stop");
    for (const pid of pids) if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    fs.rmSync(sessionRoot, { recursive: true, force: true });
  });

  it("--task-events-max bounds the tasks kept; failures are kept and found by --filter, dropped counts the rest", async () => {
    const all = await json<Page>("list", "tasks");
    assert.equal(all.total, 30);
    assert.equal(all.dropped, 11, "41 tasks, 30 kept");
    const failed = await json<Page>("list", "tasks", "--filter", "state=FAILED");
    assert.deepEqual(new Set(failed.items.map((t) => t["taskId"])), new Set(ready.failed));
    assert.ok(failed.items.every((t) => t["errorType"] === "TaskError" && t["functionName"] === "double"));
    const jobs = await json<Page>("list", "jobs", "--filter", `jobId=${ready.jobId}`);
    assert.equal(jobs.items[0]?.["droppedTasks"], 11);
    const others = await json<Page>("list", "tasks", "--filter", "state!=FAILED", "--filter", "type=NORMAL_TASK");
    assert.equal(others.total, 30 - 4 - 1, "the actor call is not a normal task");
  });

  it("pages: --limit and --page-token walk every task once; yaml says the same as json", async () => {
    const seen: unknown[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page: Page = await json<Page>("list", "tasks", "--limit", "8", ...(token === null ? [] : ["--page-token", token]));
      seen.push(...page.items.map((t) => t["taskId"]));
      token = page.nextPageToken;
      pages++;
    } while (token !== null);
    assert.equal(pages, 4);
    assert.equal(new Set(seen).size, 30);
    const yaml = await lux("list", "tasks", "--filter", "state=FAILED", "--format", "yaml");
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(parse(yaml.stdout), await json<Page>("list", "tasks", "--filter", "state=FAILED"));
    const table = await lux("list", "tasks", "--limit", "3");
    assert.match(table.stdout, /^TASK_ID +NAME +FUNCTION_NAME +STATE/);
    assert.match(table.stdout, /Showing 3 of 30 tasks\.\nNext page: --page-token \S+/);
    assert.match(table.stdout, /Dropped: 11 tasks/);
  });

  it("an unknown kind, field or operator exits 2 and lists every valid one", async () => {
    const field = await lux("list", "tasks", "--filter", "status=FAILED");
    assert.equal(field.code, 2);
    for (const key of STATE_FIELDS.tasks) assert.ok(field.stderr.includes(key), `${key} listed: ${field.stderr}`);
    const kind = await lux("list", "task");
    assert.equal(kind.code, 2);
    for (const k of STATE_KINDS) assert.ok(kind.stderr.includes(k));
    const op = await lux("list", "actors", "--filter", "state>ALIVE");
    assert.equal(op.code, 2);
    assert.match(op.stderr, /valid: =, !=/);
    const summaryKind = await lux("summary", "nodes");
    assert.equal(summaryKind.code, 2);
    assert.match(summaryKind.stderr, /valid: tasks, actors, objects/);
    const format = await lux("list", "tasks", "--format", "xml");
    assert.equal(format.code, 2);
    const joining = await lux("start", "--address", "127.0.0.1:1", "--task-events-max", "5");
    assert.equal(joining.code, 2);
    assert.match(joining.stderr, /--task-events-max is for the head node/);
  });

  it("get shows one task with detail; an unknown id exits 1", async () => {
    const shown = await lux("get", "tasks", ready.failed[0] as string);
    assert.equal(shown.code, 0, shown.stderr);
    const task = parse(shown.stdout) as { state: string; errorMessage: string; executions: unknown[]; events: { state: string }[] };
    assert.equal(task.state, "FAILED");
    assert.match(task.errorMessage, /RangeError: no double for 5/);
    assert.equal(task.executions.length, 1);
    const missing = await lux("get", "actors", "f".repeat(32));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no actors with id/);
  });

  it("every kind lists; summary counts tasks by function and state", async () => {
    for (const kind of STATE_KINDS) {
      const r = await lux("list", kind);
      assert.equal(r.code, 0, `${kind}: ${r.stderr}`);
    }
    const workers = await json<Page>("list", "workers", "--filter", "type=DRIVER");
    assert.ok(workers.items.some((w) => w["pid"] === driver?.child.pid));
    const summary = await lux("summary", "tasks");
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /^30 tasks: 26 FINISHED, 4 FAILED/);
    assert.match(summary.stdout, /double +29 +25 +4/);
    assert.match(summary.stdout, /Holder\.hold +1 +1/);
    const actors = await json<{ byName: Record<string, Record<string, number>> }>("summary", "actors");
    assert.deepEqual(actors.byName["Holder"], { ALIVE: 1 });
  });

  it("memory lists live objects with size, owner and ref type, then each node's store", async () => {
    for (const groupBy of ["node", "owner"]) {
      const r = await lux("memory", "--group-by", groupBy, "--sort-by", "size");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`--- ${groupBy === "node" ? "Node" : "Owner"} \\S+: \\d+ references`));
      const line = r.stdout.split("\n").find((l) => l.startsWith(ready.kept) && / LOCAL /.test(l));
      assert.ok(line !== undefined, r.stdout);
      assert.match(line, /781\.\d KiB +LOCAL +\d+/);
      assert.ok(r.stdout.split("\n").some((l) => l.startsWith(ready.kept) && / BORROWED /.test(l)), "the actor borrows it");
      assert.match(r.stdout, /--- Object stores ---\nNODE_ID +OBJECTS +USED +CAPACITY +SPILLED\n\S+ +\d+ +\d/);
    }
    assert.equal((await lux("memory", "--group-by", "pid")).code, 2);
  });

  it("timeline writes one Chrome trace event per task run: pid the node, tid the worker, args the task id and status", async () => {
    const file = path.join(sessionRoot, "trace.json");
    const r = await lux("timeline", "--output", file, "--job-id", ready.jobId);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Wrote 30 task runs to /);
    const events = JSON.parse(fs.readFileSync(file, "utf8")) as { ph: string; name: string; pid: string; tid: string; ts: number; dur: number; args: { taskId: string; status: string } }[];
    assert.equal(events.length, 30);
    const tasks = (await json<Page>("list", "tasks")).items;
    for (const e of events) {
      const t = tasks.find((x) => x["taskId"] === e.args.taskId);
      assert.ok(t !== undefined);
      assert.deepEqual([e.ph, e.name, e.pid, e.tid, e.args.status], ["X", t["functionName"], t["nodeId"], t["workerId"], t["state"]]);
      assert.ok(Number.isInteger(e.ts) && e.dur >= 0);
    }
    assert.equal(events.filter((e) => e.args.status === "FAILED").length, 4);
  });
});
