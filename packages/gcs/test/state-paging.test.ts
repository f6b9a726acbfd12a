/**
 * State listings (issue 16, point 1): filters run over every row before the limit; a page
 * token is the key of the last row seen, so paging through data that changes between pages
 * neither repeats nor skips rows; an unknown kind, field, operator or a foreign page token
 * is refused with InvalidStateQueryError listing what is valid.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidStateQueryError } from "@lux/common";
import { STATE_FIELDS, TASK_ERROR_STACK_MAX, TASK_EVENT, type NodeInfo, type StateFilter } from "@lux/protocol";
import { Sequencer, encodePageToken, page, type RowSource } from "../src/state-paging.js";
import { StateManager, type StateManagerDeps } from "../src/state-manager.js";

interface Row {
  seq: number;
  id: string;
  state: string;
  name: string | null;
}

function source(rows: Row[]): RowSource<Row> {
  return { kind: "tasks", rows, key: (r) => [r.seq, r.id], field: (r, f) => (r as unknown as Record<string, unknown>)[f], item: (r) => ({ ...r }) };
}

const rows = (n: number, failedEvery: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({ seq: i, id: `t${String(i).padStart(4, "0")}`, state: i % failedEvery === 0 ? "FAILED" : "FINISHED", name: i % 2 === 0 ? "even" : null }));

/** Every page of a listing, following nextPageToken; `between` runs before each next page. */
function allPages(src: () => RowSource<Row>, filters: StateFilter[], limit: number, between: (n: number) => void = () => undefined): Row[] {
  const seen: Row[] = [];
  let token: string | undefined;
  for (let n = 0; ; n++) {
    const p = page(src(), { filters, limit, pageToken: token, detail: false }, 0);
    seen.push(...(p.items as Row[]));
    if (p.nextPageToken === null) return seen;
    token = p.nextPageToken;
    between(n);
  }
}

describe("state paging", () => {
  it("filters every row before the limit: total counts them all, items are the first matches", () => {
    const data = rows(1000, 97);
    const p = page(source(data), { filters: [["state", "=", "FAILED"]], limit: 3, detail: false }, 7);
    assert.equal(p.total, 11, "every 97th of 1000 rows failed");
    assert.deepEqual(p.items.map((r) => (r as Row).id), ["t0000", "t0097", "t0194"]);
    assert.equal(p.dropped, 7);
    assert.notEqual(p.nextPageToken, null);
    const rest = allPages(() => source(data), [["state", "=", "FAILED"]], 3);
    assert.deepEqual(rest.map((r) => r.seq), [0, 97, 194, 291, 388, 485, 582, 679, 776, 873, 970]);
  });

  it("enum fields ignore case; != keeps the others; a missing value counts as empty", () => {
    const data = rows(10, 5);
    assert.equal(page(source(data), { filters: [["state", "=", "failed"]], limit: 100, detail: false }, 0).total, 2);
    assert.equal(page(source(data), { filters: [["state", "!=", "FAILED"]], limit: 100, detail: false }, 0).total, 8);
    assert.equal(page(source(data), { filters: [["name", "=", ""]], limit: 100, detail: false }, 0).total, 5);
    assert.equal(page(source(data), { filters: [["name", "=", "EVEN"]], limit: 100, detail: false }, 0).total, 0, "names keep their case");
    assert.equal(page(source(data), { filters: [["name", "=", "even"], ["state", "=", "FAILED"]], limit: 100, detail: false }, 0).total, 1, "every filter holds");
  });

  it("the last page has no token; an empty listing is one page", () => {
    assert.equal(page(source(rows(4, 2)), { filters: [], limit: 4, detail: false }, 0).nextPageToken, null);
    const empty = page(source([]), { filters: [], limit: 4, detail: false }, 0);
    assert.deepEqual([empty.items, empty.total, empty.nextPageToken], [[], 0, null]);
  });

  it("pages stay stable while rows are added and removed between them", () => {
    let data = rows(50, 1000);
    let next = 50;
    const seen = allPages(
      () => source(data),
      [],
      7,
      (n) => {
        // Rows already seen and rows not seen yet go; new rows come after the last.
        data = data.filter((r) => r.seq !== n * 7 && r.seq !== 45 - n);
        data.push({ seq: next, id: `t${next++}`, state: "FINISHED", name: null });
      },
    );
    const ids = seen.map((r) => r.seq);
    assert.equal(new Set(ids).size, ids.length, "no row twice");
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in key order");
    // Every row that existed from the first page to the end was listed.
    const survivors = data.map((r) => r.seq).filter((s) => s < 50);
    for (const s of survivors) assert.ok(ids.includes(s), `row ${s} was listed`);
    assert.ok(ids.some((s) => s >= 50), "rows added meanwhile are listed after the others");
  });

  it("refuses a page token of another kind, and one that is not a page token", () => {
    const data = rows(10, 2);
    assert.throws(
      () => page(source(data), { filters: [], limit: 2, pageToken: encodePageToken("actors", [1, "x"]), detail: false }, 0),
      (e: unknown) => e instanceof InvalidStateQueryError && e.part === "pageToken" && /of actors, not of tasks/.test(e.message),
    );
    assert.throws(() => page(source(data), { filters: [], limit: 2, pageToken: "garbage!", detail: false }, 0), InvalidStateQueryError);
  });

  it("Sequencer: an id keeps its place; new ids come last; ids no longer listed are forgotten", () => {
    const seq = new Sequencer();
    const id = (s: string): string => s;
    assert.deepEqual(seq.order(["b", "a"], id).map((r) => [r.row, r.seq]), [["b", 0], ["a", 1]]);
    assert.deepEqual(seq.order(["c", "a", "b"], id).map((r) => [r.row, r.seq]), [["b", 0], ["a", 1], ["c", 2]]);
    assert.deepEqual(seq.order(["c"], id).map((r) => [r.row, r.seq]), [["c", 2]]);
    assert.deepEqual(seq.order(["a", "c"], id).map((r) => [r.row, r.seq]), [["c", 2], ["a", 3]], "a came back: a new place");
  });
});

describe("StateManager queries", () => {
  const deps = {
    actors: { entries: () => [][Symbol.iterator](), classOf: () => undefined },
    nodes: { list: () => [], alive: () => [] },
    jobs: { list: () => [] },
    placementGroups: { table: () => [] },
    view: { get: () => undefined },
    taskEventsMax: 100,
    nodeTimeoutMs: 1000,
  } as unknown as StateManagerDeps;

  it("an unknown kind, field or operator is refused, listing the valid ones", async () => {
    const state = new StateManager(deps);
    const query = { kind: "tasks", filters: [] as [string, string, string][], limit: 10, detail: false };
    await assert.rejects(state.list({ ...query, kind: "task" }), (e: unknown) => e instanceof InvalidStateQueryError && e.part === "kind" && e.valid.includes("placement-groups"));
    await assert.rejects(state.list({ ...query, filters: [["status", "=", "x"]] }), (e: unknown) => {
      assert.ok(e instanceof InvalidStateQueryError);
      assert.deepEqual(e.valid, STATE_FIELDS.tasks);
      assert.match(e.message, /unknown field of tasks "status"; valid: taskId, name, functionName, state/);
      return true;
    });
    await assert.rejects(state.list({ ...query, filters: [["state", "~", "x"]] }), (e: unknown) => e instanceof InvalidStateQueryError && e.part === "operator" && e.valid.join() === "=,!=");
    await assert.rejects(state.summary("nodes", []), (e: unknown) => e instanceof InvalidStateQueryError && e.valid.join() === "tasks,actors,objects");
  });

  it("lists tasks from their events; dropped is the job's when a jobId filter names one", async () => {
    const state = new StateManager({ ...deps, taskEventsMax: 2 });
    const times = new Float64Array([1, 2, 3, 4]);
    state.reportTaskEvents({
      nodeId: "n",
      workerId: "w",
      pid: 1,
      taskIds: ["a", "b", "c", "b"],
      codes: new Uint8Array([TASK_EVENT.SUBMITTED, TASK_EVENT.SUBMITTED, TASK_EVENT.SUBMITTED, TASK_EVENT.FAILED]),
      times: new Uint8Array(times.buffer),
      ends: new Uint8Array(),
      infos: [0, 1, 2, 2, 3, 4, 2, 2, 0, 1, 2, 2, 3, 4, 2, 2],
      strings: ["j1", "f", "", "j2", "g"],
      errors: [{ at: 3, type: "TaskError", message: "boom", stack: `RangeError: boom\n    at g (file:///app.js:3:9)${" ".repeat(TASK_ERROR_STACK_MAX)}` }],
      dropped: { j2: 4 },
    });
    const all = await state.list({ kind: "tasks", filters: [], limit: 10, detail: false });
    assert.deepEqual(all.items.map((t) => t["taskId"]), ["b", "c"], "a, the oldest still pending, was dropped");
    assert.equal(all.dropped, 5);
    const j2 = await state.list({ kind: "tasks", filters: [["jobId", "=", "j2"]], limit: 10, detail: false });
    assert.deepEqual([j2.total, j2.dropped], [1, 4]);
    const summary = await state.summary("tasks", []);
    assert.deepEqual(summary, { byName: { g: { FAILED: 1 }, f: { PENDING_NODE_ASSIGNMENT: 1 } }, byState: { FAILED: 1, PENDING_NODE_ASSIGNMENT: 1 }, total: 2, dropped: 5 });
    const failed = (await state.get("tasks", "b")) as { errorMessage: string; errorStack: string };
    assert.equal(failed.errorMessage, "boom");
    assert.match(failed.errorStack, /^RangeError: boom\n {4}at g \(file:\/\/\/app\.js:3:9\)/);
    assert.equal(failed.errorStack.length, TASK_ERROR_STACK_MAX, "the stack is cut to its bound");
    assert.equal((await state.list({ kind: "tasks", filters: [], limit: 10, detail: false })).items[0]?.["errorStack"], undefined, "detail only");
    assert.equal(await state.get("tasks", "a"), undefined);
  });

  it("lists nodes with their free resources (bundles' own left out) and, with detail, their store's use", async () => {
    const info = (nodeId: string, alive: boolean): NodeInfo => ({ nodeId, address: `127.0.0.1:${nodeId === "n1" ? 1 : 2}`, alive, resources: { CPU: 4 }, startedAtMs: 0, storeKind: "shm", storeCapacity: 1000, labels: {} });
    const asked: string[] = [];
    const raylet = { call: async (method: string) => (asked.push(method), { nodeId: "n1", objectStore: { objects: 2, bytes: 300 } }) };
    const state = new StateManager({
      ...deps,
      nodes: { list: () => [info("n1", true), info("n2", false)], alive: () => [{ info: info("n1", true), connection: raylet }] },
      view: { get: (nodeId: string) => (nodeId === "n1" ? { available: { CPU: 1.5, "CPU_group_pg-abc": 1 } } : undefined) },
    } as unknown as StateManagerDeps);
    const basic = await state.list({ kind: "nodes", filters: [], limit: 10, detail: false });
    assert.deepEqual(basic.items.map((n) => [n["nodeId"], n["availableResources"], n["storeUsedBytes"]]), [["n1", { CPU: 1.5 }, undefined], ["n2", {}, undefined]]);
    assert.deepEqual(asked, [], "no node is asked without detail");
    const detailed = await state.list({ kind: "nodes", filters: [], limit: 10, detail: true });
    assert.deepEqual(detailed.items.map((n) => [n["storeUsedBytes"], n["storeCapacity"]]), [[300, 1000], [null, 1000]]);
    assert.deepEqual(asked, ["getNodeInfo"]);
  });
});
