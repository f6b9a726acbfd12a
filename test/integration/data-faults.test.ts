/**
 * @lux/data under faults (issue 18, point 9), with real SIGKILLs: a worker killed mid-task is
 * retried and the output is exactly the input rows; a class UDF whose actors die 10% of the
 * time finishes with maxRestarts/maxTaskRetries -1 and fails with ActorDiedError with
 * maxRestarts 0; a UDF throw leaves no task running.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import * as data from "@lux/data";
import { Flaky, killFirstTime } from "./fixtures/data-faults-defs.js";
import { throwsOnSeven } from "./fixtures/data-defs.js";
import { waitFor } from "./helpers.js";

let dir: string;

before(async () => {
  await lux.init({ numCpus: 4 });
  data.DataContext.getCurrent().enableProgressBars = false;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-data-faults-"));
});

after(async () => {
  await lux.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test("a worker SIGKILLed mid-task is retried: the output is exactly the input rows", async () => {
  const d = fs.mkdtempSync(path.join(dir, "kill-"));
  const rows = upTo(400).map((id) => ({ id, dir: d }));
  const out = await data.fromItems(rows, { parallelism: 8 }).mapBatches(killFirstTime).takeAll();
  assert.ok(fs.existsSync(path.join(d, "killed")), "a worker was killed");
  assert.deepEqual(out.map((r) => r.id).sort((a, b) => a - b), upTo(400));
});

test("a pool UDF killing its process 10% of the time finishes with maxRestarts -1, maxTaskRetries -1", async () => {
  const d = fs.mkdtempSync(path.join(dir, "flaky-"));
  const ds = data.range(600, { parallelism: 60 }).mapBatches(Flaky, { concurrency: 2, fnConstructorArgs: [d], maxRestarts: -1, maxTaskRetries: -1 });
  const out = await ds.takeAll();
  assert.deepEqual(out.map((r) => r.id).sort((a, b) => a - b), upTo(600));
  assert.ok(fs.readdirSync(d).length > 0, "some actors died on the way");
});

test("with maxRestarts 0, the first death fails the consumer with ActorDiedError", async () => {
  const d = fs.mkdtempSync(path.join(dir, "flaky0-"));
  const ds = data.range(2000, { parallelism: 200 }).mapBatches(Flaky, { concurrency: 2, fnConstructorArgs: [d], maxRestarts: 0 });
  await assert.rejects(ds.takeAll(), (e: unknown) => e instanceof data.ActorDiedError);
});

test("a UDF throw rejects with TaskError naming operator and block, and leaves no task running", async () => {
  await assert.rejects(data.range(400, { parallelism: 8 }).map(throwsOnSeven).takeAll(), (e: unknown) => {
    assert.ok(e instanceof data.TaskError);
    assert.match(e.message, /ReadRange->Map\(throwsOnSeven\) on block \d+/);
    return true;
  });
  // The execution waited for its tasks to end before rejecting: none is left running now.
  // (Task events reach the control service about a second after a task's state changes.)
  await waitFor(async () => (await lux.state.listTasks({ filters: [["state", "=", "RUNNING"]] })).items.length === 0, "no running task", 5_000);
});
