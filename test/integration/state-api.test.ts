/**
 * Issue 16, points 1–3 and 8 through the public API (`lux.state`) on a two-node LocalCluster:
 * tasks from task events (states, where they ran, errors, Class.method names), filters run
 * before the limit, paging through every page once, one item by id with detail, actors,
 * nodes, jobs, placement groups, workers (drivers included) and objects with why each is
 * held (asked of every node and process), summaries, the timeline, and invalid queries.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import * as lux from "lux";
import { resetConfig, setConfig } from "@lux/common";
import { waitFor, withCluster } from "./helpers.js";
import { HolderActor, double, pause, sizeOf } from "./fixtures/state-defs.js";

const GET_MS = 60_000;

/** Every page of a task listing, following nextPageToken. */
async function allTasks(options: lux.state.ListOptions): Promise<lux.state.TaskStateItem[]> {
  const items: lux.state.TaskStateItem[] = [];
  let pageToken: string | null = null;
  do {
    const page: lux.state.StatePage<lux.state.TaskStateItem> = await lux.state.listTasks({ ...options, pageToken });
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
  return items;
}

describe("lux.state", () => {
  const setup = withCluster({ head: { numCpus: 2 }, config: { taskEventsReportIntervalMs: 100 } }, async (cluster) => {
    await cluster.addNode({ numCpus: 1, resources: { side: 1 } });
    await cluster.waitForNodes(2);
    // The driver's own config: its events every 100 ms, and where its objects were made.
    setConfig("taskEventsReportIntervalMs", 100);
    setConfig("recordRefCreationSites", true);
    await lux.init({ address: cluster.address });
  });
  after(() => resetConfig());

  it("lists every task once its events arrive: state, where it ran, its error; filters before the limit; every page once", async () => {
    const failOn = [3, 11, 17];
    const refs = Array.from({ length: 20 }, (_, i) => double.remote(i, failOn));
    const sideRef = double.options({ resources: { side: 1 } }).remote(100);
    const settled = await Promise.allSettled([...refs, sideRef].map((r) => lux.get(r, { timeoutMs: GET_MS })));
    assert.equal(settled.filter((s) => s.status === "rejected").length, 3);
    const ids = new Set([...refs, sideRef].map((r) => r.id.slice(0, 24)));
    let tasks: lux.state.TaskStateItem[] = [];
    await waitFor(async () => {
      tasks = (await allTasks({ limit: 7 })).filter((t) => ids.has(t.taskId));
      return tasks.length === 21 && tasks.every((t) => t.workerId !== null && (t.state === "FINISHED" || t.state === "FAILED"));
    }, "the 21 tasks' events");
    assert.equal(new Set(tasks.map((t) => t.taskId)).size, 21, "paging by 7 listed each task once");
    const failed = await lux.state.listTasks({ filters: [["state", "=", "FAILED"]], limit: 2 });
    assert.equal(failed.total, 3, "the filter ran over every task, not the first page");
    assert.equal(failed.items.length, 2);
    assert.notEqual(failed.nextPageToken, null);
    const rest = await lux.state.listTasks({ filters: [["state", "=", "FAILED"]], limit: 2, pageToken: failed.nextPageToken });
    assert.deepEqual([rest.items.length, rest.nextPageToken, rest.total], [1, null, 3]);
    for (const t of [...failed.items, ...rest.items]) {
      assert.equal(t.errorType, "TaskError");
      assert.equal(t.functionName, "double");
    }
    const side = tasks.find((t) => t.taskId === sideRef.id.slice(0, 24));
    assert.equal(side?.nodeId, setup.cluster.nodes[1]?.nodeId, "it ran on the node with the side resource");
    const job = lux.getRuntimeContext().jobId;
    assert.ok(tasks.every((t) => t.jobId === job && t.type === "NORMAL_TASK" && t.creationTimeMs !== null && t.startTimeMs !== null), "every task of this job, normal, with its times");
    const notFinished = await lux.state.listTasks({ filters: [["state", "!=", "FINISHED"], ["functionName", "=", "double"]] });
    assert.equal(notFinished.total, 3);
    assert.equal(failed.dropped, 0);
  });

  it("get: one task with its state times, runs and error message; undefined for an unknown id", async () => {
    const ref = double.remote(5, [5]);
    await assert.rejects(lux.get(ref, { timeoutMs: GET_MS }));
    const taskId = ref.id.slice(0, 24);
    let task: lux.state.TaskStateItem | undefined;
    await waitFor(async () => (task = await lux.state.get("tasks", taskId))?.executions?.[0]?.endTimeMs != null && task?.state === "FAILED", "the task's events");
    assert.ok(task !== undefined, "the task by id");
    assert.match(task.errorMessage ?? "", /RangeError: no double for 5/);
    assert.deepEqual(task.events?.map((e) => e.state).slice(-2), ["RUNNING", "FAILED"]);
    assert.equal(task.executions?.length, 1);
    assert.equal(task.executions?.[0]?.status, "FAILED");
    assert.equal(await lux.state.get("tasks", "0".repeat(24)), undefined);
  });

  it("actors, their calls as Class.method, nodes, jobs, placement groups and workers (drivers too)", async () => {
    const holder = HolderActor.options({ name: "state-holder" }).remote();
    await lux.get(holder.hold.remote([]), { timeoutMs: GET_MS });
    const actors = await lux.state.listActors({ filters: [["className", "=", "Holder"]] });
    assert.equal(actors.total, 1);
    assert.deepEqual([actors.items[0]?.name, actors.items[0]?.state, actors.items[0]?.jobId], ["state-holder", "ALIVE", lux.getRuntimeContext().jobId]);
    let call: lux.state.TaskStateItem | undefined;
    await waitFor(async () => (call = (await lux.state.listTasks({ filters: [["functionName", "=", "Holder.hold"]] })).items[0])?.state === "FINISHED" && call?.workerId !== null, "the actor call's events");
    assert.deepEqual([call?.type, call?.actorId, call?.workerId], ["ACTOR_TASK", actors.items[0]?.actorId, actors.items[0]?.workerId]);

    const nodes = await lux.state.listNodes();
    assert.deepEqual(new Set(nodes.items.map((n) => n.nodeId)), new Set(setup.cluster.nodes.map((n) => n.nodeId)));
    assert.ok(nodes.items.every((n) => n.state === "ALIVE"), "every node alive");
    assert.equal((await lux.state.listNodes({ filters: [["state", "=", "DEAD"]] })).total, 0);

    const jobs = await lux.state.listJobs({ filters: [["state", "=", "RUNNING"]] });
    assert.ok(jobs.items.some((j) => j.jobId === lux.getRuntimeContext().jobId), "this driver's job listed");

    const pg = lux.placementGroup([{ CPU: 1 }], { name: "state-pg" });
    await lux.get(pg.ready(), { timeoutMs: GET_MS });
    const groups = await lux.state.listPlacementGroups({ filters: [["name", "=", "state-pg"]] });
    assert.deepEqual([groups.total, groups.items[0]?.state, groups.items[0]?.placementGroupId], [1, "CREATED", pg.id]);
    await lux.removePlacementGroup(pg);

    const workers = await lux.state.listWorkers();
    const driver = workers.items.find((w) => w.type === "DRIVER" && w.pid === process.pid);
    assert.ok(driver !== undefined, "this driver is listed");
    assert.equal(driver.jobId, lux.getRuntimeContext().jobId);
    assert.ok(workers.items.some((w) => w.workerId === actors.items[0]?.workerId && w.state === "LEASED"), "the actor's worker");
    const perNode = await lux.state.listWorkers({ filters: [["nodeId", "=", setup.cluster.nodes[1]?.nodeId ?? ""], ["type", "=", "WORKER"]] });
    assert.ok(perNode.total >= 1 && perNode.items.every((w) => w.nodeId === setup.cluster.nodes[1]?.nodeId), JSON.stringify(perNode));
  });

  it("objects: each held object with its size, owner, node and why it is held, from every process", async () => {
    const small = lux.put({ hello: "world" });
    const big = lux.put(new Float64Array(200_000));
    const bigView = await lux.get(big); // this driver maps it: its view pins it in the store
    const gate = pause.remote(30_000); // never awaited: the next task waits on it
    const pending = sizeOf.remote(gate, big);
    const holder = HolderActor.remote();
    await lux.get(holder.hold.remote([small]), { timeoutMs: GET_MS });
    const self = lux.getRuntimeContext();
    let rows: lux.state.ObjectStateItem[] = [];
    await waitFor(async () => {
      rows = (await lux.state.listObjects({ limit: 10_000, detail: true })).items;
      return rows.some((r) => r.objectId === small.id && r.refType === "BORROWED");
    }, "the actor's borrowed ref to be listed");
    const of = (ref: lux.ObjectRef, type: string): lux.state.ObjectStateItem | undefined => rows.find((r) => r.objectId === ref.id && r.refType === type);
    const local = of(small, "LOCAL");
    assert.ok(local !== undefined, JSON.stringify(rows.filter((r) => r.objectId === small.id)));
    assert.equal(local.pid, process.pid);
    assert.equal(local.workerId, self.workerId);
    assert.equal(local.nodeId, self.nodeId);
    assert.equal(local.status, "INLINE");
    assert.match(local.callSite ?? "", /state-api\.test\.ts:\d+/, "where it was put (recordRefCreationSites)");
    const borrowed = of(small, "BORROWED");
    assert.equal(borrowed?.ownerAddress, local.holderAddress, "the driver owns what the actor borrows");
    assert.notEqual(borrowed?.pid, process.pid);
    const arg = of(big, "PENDING_TASK_ARG");
    assert.ok((arg?.size ?? 0) >= bigView.byteLength, "its size in the store");
    assert.deepEqual(arg?.storedOn, [self.nodeId]);
    const pinned = of(big, "PINNED");
    assert.equal(pinned?.pid, process.pid, "this driver's view pins it");
    assert.equal(pinned?.status, "SEALED");

    const filtered = await lux.state.listObjects({ filters: [["objectId", "=", big.id]] });
    assert.ok(filtered.total >= 2 && filtered.items.every((r) => r.objectId === big.id), JSON.stringify(filtered));
    const one = (await lux.state.get("objects", big.id)) as unknown as { references: { refType: string }[]; size: number };
    assert.deepEqual(new Set(one.references.map((r) => r.refType)), new Set(["PENDING_TASK_ARG", "PINNED"]));

    const summary = await lux.state.summary("objects");
    assert.ok((summary.byRefType["BORROWED"]?.count ?? 0) >= 1, JSON.stringify(summary.byRefType));
    const store = summary.nodes.find((n) => n.nodeId === self.nodeId);
    assert.ok(store !== undefined && store.usedBytes >= 1_600_000 && store.capacityBytes > store.usedBytes, JSON.stringify(store));
    await lux.cancel(pending);
    await lux.cancel(gate, { force: true });
    await lux.kill(holder);
  });

  it("summaries count tasks by function and actors by class, by state", async () => {
    const tasks = await lux.state.summary("tasks");
    assert.ok((tasks.byName["double"]?.["FAILED"] ?? 0) >= 4, JSON.stringify(tasks.byName));
    assert.ok((tasks.byName["double"]?.["FINISHED"] ?? 0) >= 18, JSON.stringify(tasks.byName));
    assert.equal(tasks.total, Object.values(tasks.byState).reduce((a, b) => a + b, 0));
    const failedOnly = await lux.state.summary("tasks", { filters: [["state", "=", "FAILED"]] });
    assert.deepEqual(Object.keys(failedOnly.byState), ["FAILED"]);
    const actors = await lux.state.summary("actors");
    assert.ok((actors.byName["Holder"]?.["ALIVE"] ?? 0) >= 1, JSON.stringify(actors.byName));
  });

  it("timeline: one Chrome trace event per task run, on its node (pid) and worker (tid)", async () => {
    const refs = [7, 8, 9].map((x) => double.remote(x));
    await lux.get(refs, { timeoutMs: GET_MS });
    const ids = new Set(refs.map((r) => r.id.slice(0, 24)));
    let events: lux.state.TraceEvent[] = [];
    await waitFor(async () => (events = (await lux.state.timeline({ jobId: lux.getRuntimeContext().jobId })).filter((e) => ids.has(e.args.taskId))).length === 3, "3 runs");
    const tasks = await Promise.all([...ids].map((id) => lux.state.get("tasks", id)));
    for (const e of events) {
      const task = tasks.find((t) => t?.taskId === e.args.taskId);
      assert.deepEqual([e.ph, e.name, e.pid, e.tid, e.args.status], ["X", "double", task?.nodeId, task?.workerId, "FINISHED"]);
      assert.ok(e.dur >= 0 && Math.abs(e.ts - (task?.startTimeMs ?? 0) * 1000) < 1, JSON.stringify(e));
    }
    const all = await lux.state.timeline();
    const runs = (await allTasks({ limit: 1000, detail: true })).reduce((n, t) => n + (t.executions?.length ?? 0), 0);
    assert.equal(all.length, runs, "one event per run of every task kept");
    assert.equal(JSON.parse(JSON.stringify(all)).length, all.length);
  });

  it("an unknown kind, field or operator is refused with InvalidStateQueryError listing the valid ones", async () => {
    await assert.rejects(lux.state.list("task" as "tasks"), (e: unknown) => e instanceof lux.InvalidStateQueryError && e.valid.includes("placement-groups"));
    await assert.rejects(lux.state.listTasks({ filters: [["status", "=", "FAILED"]] }), (e: unknown) => {
      assert.ok(e instanceof lux.InvalidStateQueryError, String(e));
      assert.deepEqual(e.valid, lux.state.STATE_FIELDS.tasks);
      return true;
    });
    await assert.rejects(lux.state.listActors({ filters: [["state", "~" as "=", "x"]] }), (e: unknown) => e instanceof lux.InvalidStateQueryError && e.valid.join(" ") === "= !=");
    await assert.rejects(lux.state.listTasks({ limit: 0 }), lux.InvalidStateQueryError);
    await assert.rejects(lux.state.listTasks({ pageToken: "nope" }), lux.InvalidStateQueryError);
  });

  it("lux.state.connect: a client of its own, without a job", async () => {
    const client = await lux.state.connect({ address: setup.cluster.address, token: setup.cluster.token });
    try {
      const jobsBefore = (await client.listJobs()).total;
      assert.equal((await client.listNodes()).total, 2);
      assert.equal((await client.listJobs()).total, jobsBefore, "connecting registered no job");
    } finally {
      client.close();
    }
  });
});
