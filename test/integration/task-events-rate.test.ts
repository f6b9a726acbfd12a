/**
 * Issue 16, point 3 (the cost of task events, point 9): past taskEventsRateMax tasks a
 * second an owner does not report its tasks (nor do their executors), and counts them as
 * dropped; it still reports such a task when it fails and when it is still running an
 * interval after its submission. Through the state API of a real cluster, whose config the
 * driver takes when it connects.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as lux from "lux";
import { waitFor, withCluster } from "./helpers.js";
import { double, waitForFile } from "./fixtures/state-defs.js";

const QUICK = 100;
/** Tasks an owner reports per interval: taskEventsRateMax (1/s) × the interval (4 s). */
const BUDGET = 4;

describe("task events past taskEventsRateMax", () => {
  // One task reported per second (four per interval of 4 s) by each owner: the cluster's
  // config, which the driver (the owner here) takes when it connects. The interval is long
  // enough that the quick tasks end within it on a loaded machine (a task still pending a
  // whole interval after its submission is reported).
  withCluster({ head: { numCpus: 2 }, config: { taskEventsRateMax: 1, taskEventsReportIntervalMs: 4000 } });

  it("reports the tasks under the rate, counts the rest as dropped, and still shows a failure and a long run", async (t) => {
    const gate = path.join(os.tmpdir(), `lux-rate-gate-${process.pid}-${Date.now()}`);
    t.after(() => fs.rmSync(gate, { force: true }));
    // One synchronous burst, so one interval: the first tasks take its budget.
    const quick = Array.from({ length: QUICK }, (_, i) => double.remote(i));
    const failing = double.remote(7, [7]);
    const slow = waitForFile.remote(gate);
    assert.equal((await lux.get(quick)).length, QUICK);
    await assert.rejects(lux.get(failing), lux.TaskError);
    const jobId = lux.getRuntimeContext().jobId;
    // Not reported at its submission, the gated task is once it has been running an interval.
    await waitFor(async () => (await lux.state.listTasks({ filters: [["functionName", "=", "waitForFile"], ["state", "=", "RUNNING"]] })).total === 1, "the long run listed as RUNNING", 30_000, 100);
    fs.writeFileSync(gate, "");
    assert.equal(await lux.get(slow), "opened");
    let page: lux.state.StatePage<lux.state.TaskStateItem> | undefined;
    const summary = (): string => (page?.items ?? []).map((x) => `${x.functionName}:${x.state}:${x.nodeId === null ? "-" : "node"}`).sort().join(" ");
    await waitFor(
      async () => {
        page = await lux.state.listTasks({ filters: [["jobId", "=", jobId]], limit: 1000 });
        return page.dropped === QUICK - BUDGET && summary() === ["double:FAILED:node", ...Array<string>(BUDGET).fill("double:FINISHED:node"), "waitForFile:FINISHED:node"].join(" ");
      },
      "the quick tasks of the budget, the failure (its failed run too) and the long run listed; the other quick tasks counted as dropped",
      30_000,
      100,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}: listed ${summary()}, dropped ${page?.dropped}`);
    });
    assert.equal(page?.total, BUDGET + 2);
  });
});
