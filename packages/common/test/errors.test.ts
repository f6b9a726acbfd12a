import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as protocol from "@lux/protocol";
import { Packr } from "msgpackr";
import {
  ActorDiedError,
  ActorUnavailableError,
  ActorNameTakenError,
  ActorNotFoundError,
  PlacementGroupNameTakenError,
  PlacementGroupNotFoundError,
  PlacementGroupRemovedError,
  ERROR_CODES,
  GetTimeoutError,
  InvalidConfigError,
  InvalidOptionError,
  LuxError,
  NotInitializedError,
  NodeAffinityError,
  NoLauncherError,
  RuntimeEnvSetupError,
  ClusterLostError,
  ConnectFailedError,
  ConnectionClosedError,
  InitError,
  LeaseFailedError,
  NodeStartError,
  NotInActorError,
  RpcTimeoutError,
  ObjectLostError,
  ObjectStoreFullError,
  OutOfMemoryError,
  OwnerDiedError,
  ObjectFreedError,
  ProtocolError,
  InvalidRequestError,
  SerializationError,
  TaskCancelledError,
  TaskError,
  WorkerCrashedError,
  QueueFullError,
  DataPathNotFoundError,
  SchemaMismatchError,
  InvalidRowError,
  InvalidBatchError,
  UnknownColumnError,
  DataIteratorError,
  UnknownEnvError,
  InvalidEnvConfigError,
  EnvCheckError,
  EnvError,
  EnvRunnerError,
  AlgorithmConfigError,
  RlCheckpointError,
  TrainingFailedError,
  WorkerGroupError,
  TrainSessionError,
  InsufficientResourcesError,
  CheckpointNotFoundError,
  TrialFailedError,
  TuneSessionError,
  ExperimentNotFoundError,
  QueueEmptyError,
  PendingCallsLimitExceededError,
  CollectiveError,
  InvalidStateQueryError,
  InvalidMetricError,
  JobNotFoundError,
  JobExistsError,
  InvalidJobRequestError,
  JobNotFinishedError,
  JobApiError,
  LogNotFoundError,
  TlsConfigError,
  InvalidClusterConfigError,
  NodeProviderError,
  BackPressureError,
  DeploymentFailedError,
  InvalidServeConfigError,
  BatchSizeMismatchError,
  ApplicationNotFoundError,
  type WireError,
  ensureError,
  errorClassForCode,
  fromWireError,
  registeredErrorCodes,
  toWireError,
} from "../src/index.js";

const DOCS = new URL("../../../docs/errors.md", import.meta.url);
// Same settings as the RPC codec in @lux/protocol.
const packr = new Packr({ useRecords: false, moreTypes: true, int64AsType: "bigint" });

/** Sends `w` through msgpack, as the RPC layer does. */
function overTheWire(w: WireError): WireError {
  return packr.unpack(packr.pack(w)) as WireError;
}

function roundTrip(err: unknown): Error {
  return fromWireError(overTheWire(toWireError(err)));
}

/** Own enumerable properties, as a plain object. */
function ownProps(e: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e));
}

/** Rows of the table in docs/errors.md: code → { className, pkg }. */
function documentedCodes(): Map<string, { className: string; pkg: string }> {
  const rows = new Map<string, { className: string; pkg: string }>();
  for (const line of readFileSync(DOCS, "utf8").split("\n")) {
    const m = /^\|\s*`(LUX_[A-Z0-9_]+)`\s*\|\s*`(\w+)`[^|]*\|\s*`([^`]+)`\s*\|/.exec(line);
    if (m === null) continue;
    const [, code, className, pkg] = m as unknown as [string, string, string, string];
    assert.ok(!rows.has(code), `${code} is listed twice in docs/errors.md`);
    rows.set(code, { className, pkg });
  }
  return rows;
}

const remoteCause = Object.assign(new RangeError("too big"), { limit: 10, tags: ["a", "b"] });

/** One instance of every error class in this package. */
const SAMPLES: readonly LuxError[] = [
  new LuxError("invariant broken: lease without worker"),
  new TaskError({ taskId: "abc", functionName: "square", cause: remoteCause }),
  new GetTimeoutError({ timeoutMs: 500, objectIds: ["o1", "o2", "o3", "o4"] }),
  new ActorDiedError({ actorId: "a1", actorName: "counter", cause: new Error("killed with lux.kill()") }),
  new TaskCancelledError({ taskId: "t1" }),
  new WorkerCrashedError({ taskId: "t2", exitCode: 1, signal: "SIGKILL" }),
  new OutOfMemoryError({
    task: "allocate",
    taskId: "t3",
    nodeId: "n1",
    nodeAddress: "127.0.0.1:4100",
    usedBytes: 15 * 2 ** 30,
    capacityBytes: 16 * 2 ** 30,
    threshold: 0.9,
    topUsers: [{ pid: 42, rssBytes: 14 * 2 ** 30, name: "task allocate" }],
  }),
  new ObjectLostError({ objectId: "obj1" }),
  new OwnerDiedError({ objectId: "obj2", ownerAddress: "127.0.0.1:4000" }),
  new ObjectStoreFullError({ objectId: "obj3", size: 3 * 2 ** 20, capacity: 2 ** 30 }),
  new ActorNameTakenError({ name: "c", namespace: "default" }),
  new ActorNotFoundError({ name: "c", namespace: "ns" }),
  new InvalidOptionError({ option: "numCpus", expected: "a number >= 0", received: -1 }),
  new InvalidConfigError({ key: "logLevel", envVar: "LUX_LOG_LEVEL", value: "loud", expected: "one of ..." }),
  new ProtocolError({ reason: "bad magic bytes", peer: "10.0.0.2:6379" }),
  new InvalidRequestError({ method: "createActor", problem: "resources: expected an object, got nothing" }),
  new NotInitializedError({ operation: "lux.get" }),
  new ClusterLostError({ component: "raylet", address: "127.0.0.1:4100" }),
  new SerializationError({ path: "args[1].onDone", reason: "functions cannot be sent to another process" }),
  new NodeAffinityError({ nodeId: "n0de", what: "task f", reason: "the node is dead" }),
  new RuntimeEnvSetupError({ what: "packing workingDir /app", reason: "it holds 200 bytes, over the cap of 100 bytes" }),
  new NoLauncherError({ need: "start a private cluster" }),
  new ConnectionClosedError({ peer: "127.0.0.1:4100", method: "getNodes", reason: "read ECONNRESET", cause: new Error("read ECONNRESET") }),
  new ConnectFailedError({ address: "127.0.0.1:1", reason: "connect ECONNREFUSED 127.0.0.1:1" }),
  new RpcTimeoutError({ method: "getActorInfo", peer: "127.0.0.1:6379", timeoutMs: 5000 }),
  new LeaseFailedError({ what: "task f", reason: "worker process exited with code 1 before it registered", cause: new Error("exit") }),
  new InitError({ reason: "lux.init() was already called in this process; call lux.shutdown() first to connect again" }),
  new NodeStartError({ component: "raylet", reason: "exited during start (code 1): boom" }),
  new NotInActorError({ operation: "lux.exitActor" }),
  new ActorUnavailableError({ actorId: "a2", actorName: "stopped" }),
  new ObjectFreedError({ objectId: "obj4" }),
  new PlacementGroupNameTakenError({ name: "g", namespace: "ns" }),
  new PlacementGroupNotFoundError({ placementGroupId: "pg1", namespace: "ns" }),
  new PlacementGroupRemovedError({ placementGroupId: "pg1", what: "task f" }),
  new QueueFullError({ maxsize: 10, timeoutMs: 500 }),
  new QueueEmptyError({ items: 3 }),
  new PendingCallsLimitExceededError({ actorId: "a3", actorName: "busy", maxPendingCalls: 2 }),
  new CollectiveError({ groupName: "default", operation: "allreduce", rank: 2, reason: "rank 3 left the group" }),
  new InvalidStateQueryError({ part: "field", given: "status", valid: ["taskId", "state"], kind: "tasks" }),
  new InvalidMetricError({ metric: "requests", problem: "a counter only goes up: inc(-1) is negative (use a Gauge for values that go down)" }),
  new JobNotFoundError({ submissionId: "job-1" }),
  new JobExistsError({ submissionId: "job-1" }),
  new InvalidJobRequestError({ field: "entrypoint", reason: "a non-empty string" }),
  new JobNotFinishedError({ submissionId: "job-1", status: "RUNNING" }),
  new JobApiError({ url: "http://127.0.0.1:8265/api/jobs", status: 401, reason: "the token is not this cluster's" }),
  new DataPathNotFoundError({ path: "data/*.parquet", reason: "the glob matches no file" }),
  new SchemaMismatchError({ where: 'file "b.csv"', reference: 'file "a.csv"', column: "price", expected: "Float64", found: "Utf8" }),
  new InvalidRowError({ file: "people.csv", line: 7, expected: 3, found: 4 }),
  new InvalidBatchError({ operator: "MapBatches(scale)", problem: "columns of unequal lengths: a 3, b 2" }),
  new UnknownColumnError({ column: "prise", operation: "sort", columns: ["id", "price"] }),
  new DataIteratorError({ split: 1, reason: "another reader is iterating it" }),
  new UnknownEnvError({ env: "Pong", registered: ["CartPole-v1", "GridWorld"] }),
  new InvalidEnvConfigError({ env: "GridWorld", field: "goal", problem: "[1, 1] is on a wall or a pit" }),
  new EnvCheckError({ env: "MyEnv", problem: "step() returned an observation outside its observationSpace", value: "Float32Array [9]", space: "Box(low=-1, high=1, shape=[1])" }),
  new EnvError({ env: "MyEnv", method: "step", runner: 2, subEnv: 1, reason: "RangeError: boom", cause: new RangeError("boom") }),
  new EnvRunnerError({ runner: 1, reason: "ActorDiedError: the actor died", cause: new Error("the actor died") }),
  new AlgorithmConfigError({ algorithm: "PPO", field: "lr", value: "0", problem: "must be a number > 0" }),
  new RlCheckpointError({ path: "/tmp/ckpt", problem: "it has no algorithm_state.json" }),
  new TrainingFailedError({ runName: "mnist", failures: 2, maxFailures: 1, cause: new WorkerGroupError({ errors: new Map([[1, new RangeError("bad batch")]]) }) }),
  new WorkerGroupError({ errors: new Map<number, Error>([[1, new RangeError("bad batch")], [0, new Error("peer left")]]) }),
  new TrainSessionError({ operation: "train.report()", reason: "called outside a training worker" }),
  new InsufficientResourcesError({ what: 'trainer "mnist"', demand: "4 workers of { CPU: 2 }: { CPU: 8 } in all", totals: "{ CPU: 4 } in all" }),
  new CheckpointNotFoundError({ path: "/tmp/nothing", reason: "no such folder" }),
  new TrialFailedError({ trialId: "3f2a9_00004", failures: 1, cause: new RangeError("lr too high") }),
  new TuneSessionError({ operation: "tune.getContext()", reason: "called outside a trial" }),
  new ExperimentNotFoundError({ path: "/tmp/nothing", reason: "no experiment-state.json there" }),
  new LogNotFoundError({ what: 'file "nothing.log" on node 3f2a9c01', reason: "no such file there; it has gcs.log, raylet.log" }),
  new TlsConfigError({ reason: "--tls-ca is missing" }),
  new InvalidClusterConfigError({ file: "cluster.yaml", problems: [{ path: "availableNodeTypes.gpu.maxWorkers", line: 14, message: "must be ≥ minWorkers" }] }),
  new NodeProviderError({ provider: "kubernetes", operation: "create pod lux-cpu-1", status: 403, reason: "exceeded quota" }),
  new BackPressureError({ app: "default", deployment: "Model", maxQueuedRequests: 10 }),
  new DeploymentFailedError({ app: "default", deployment: "Model", reason: "its constructor threw TypeError: no weights" }),
  new InvalidServeConfigError({ file: "serve.yaml", path: "applications[0].deployments[0].numReplica", line: 7, problem: 'unknown key; did you mean "numReplicas"?' }),
  new BatchSizeMismatchError({ functionName: "predict", inputs: 4, outputs: 3 }),
  new ApplicationNotFoundError({ app: "shop", known: ["default"] }),
];

/** The package that declares each class: @lux/protocol for the connection errors, else @lux/common. */
function packageOf(cls: unknown): string {
  return Object.values(protocol).includes(cls as never) ? "@lux/protocol" : "@lux/common";
}

describe("error codes", () => {
  test("ERROR_CODES are unique and each has one registered class (protocol's or this package's)", () => {
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
    for (const code of ERROR_CODES) assert.ok(errorClassForCode(code), `no class registered for ${code}`);
    assert.deepEqual([...registeredErrorCodes()].sort(), [...ERROR_CODES].sort());
  });

  test("every class has a sample below", () => {
    assert.deepEqual(SAMPLES.map((e) => e.code).sort(), [...ERROR_CODES].sort());
  });

  test("docs/errors.md documents every code, with its class and package, and no other", () => {
    const documented = documentedCodes();
    const codes = new Set<string>(ERROR_CODES);
    for (const code of ERROR_CODES) {
      const row = documented.get(code);
      assert.ok(row, `${code} is missing from docs/errors.md; add a row to its table`);
      const cls = errorClassForCode(code);
      assert.equal(row.className, cls?.prototype.name, `${code}: wrong class in docs/errors.md`);
      assert.equal(row.pkg, packageOf(cls), `${code} is listed under ${row.pkg}`);
    }
    for (const code of documented.keys()) assert.ok(codes.has(code), `docs/errors.md lists ${code}, which does not exist`);
  });

  test("each instance has its class's code and name, and is an Error", () => {
    for (const e of SAMPLES) {
      const ctor = e.constructor as typeof LuxError;
      assert.equal(e.code, ctor.code);
      assert.equal(e.name, ctor.prototype.name);
      assert.ok(e instanceof Error && e instanceof LuxError);
      assert.match(e.stack ?? "", new RegExp(`^${e.name}: `));
      assert.ok(!Object.keys(e).includes("name"), `${e.name}: name must not be an own property`);
    }
  });
});

describe("messages", () => {
  test("TaskError names the task and the cause", () => {
    const e = new TaskError({ taskId: "abc", functionName: "square", cause: new RangeError("too big") });
    assert.equal(e.message, "task square (id abc) failed: RangeError: too big");
    assert.equal(e.cause.name, "RangeError");
  });

  test("TaskError turns a thrown non-Error into an Error", () => {
    const e = new TaskError({ taskId: "t", functionName: "f", cause: "boom" });
    assert.ok(e.cause instanceof Error);
    assert.equal(e.message, "task f (id t) failed: Error: boom");
    const e2 = new TaskError({ taskId: "t", functionName: "f", cause: { status: 404 } });
    assert.equal(e2.message, "task f (id t) failed: Error: non-Error value thrown: { status: 404 }");
    assert.equal((e2.cause as Error & { status?: number }).status, 404);
  });

  test("messages carry the fields that matter", () => {
    const [, , timeout, died, , crashed, , , owner, full, taken, , option, cfg, proto] = SAMPLES;
    assert.match(timeout?.message ?? "", /500 ms; 4 objects were not ready: o1, o2, o3 and 1 more/);
    assert.match(died?.message ?? "", /actor "counter" \(id a1\) died: Error: killed with lux\.kill\(\)/);
    assert.match(crashed?.message ?? "", /exit code 1, signal SIGKILL/);
    assert.match(owner?.message ?? "", /owner at 127\.0\.0\.1:4000/);
    assert.match(full?.message ?? "", /3145728 bytes \(3\.0 MiB\).*1073741824 bytes \(1\.0 GiB\)/);
    assert.match(taken?.message ?? "", /"c" already exists in namespace "default"/);
    assert.match(option?.message ?? "", /invalid option numCpus: expected a number >= 0, got -1/);
    assert.match(cfg?.message ?? "", /"loud" for environment variable LUX_LOG_LEVEL/);
    assert.match(proto?.message ?? "", /with 10\.0\.0\.2:6379: bad magic bytes/);
  });

  test("optional fields given as absent are not own properties", () => {
    const e = new WorkerCrashedError({ taskId: "t" });
    assert.deepEqual(Object.keys(e), ["code", "taskId"]);
    assert.match(e.message, /exited unexpectedly and/);
  });

  test("queue errors say what missed: the wait, or the batch (all or nothing)", () => {
    assert.equal(
      new QueueFullError({ maxsize: 10, timeoutMs: 500 }).message.split(". ")[0],
      "the queue is full (maxsize 10) after waiting 500 ms; the item was not put",
    );
    assert.match(new QueueFullError({ maxsize: 2, items: 3 }).message, /^the queue \(maxsize 2\) has no room for a batch of 3 items; nothing was put/);
    assert.match(new QueueEmptyError().message, /^the queue is empty\. Put items in first/);
    assert.equal(
      new InvalidStateQueryError({ part: "field", given: "status", valid: ["taskId", "state"], kind: "tasks" }).message,
      'invalid state query: unknown field of tasks "status"; valid: taskId, state',
    );
    assert.equal(
      new InvalidStateQueryError({ part: "pageToken", given: "x", valid: [], reason: "not a page token" }).message,
      'invalid state query: unknown pageToken "x": not a page token',
    );
    assert.match(new QueueEmptyError({ items: 3 }).message, /^the queue holds fewer than the 3 items asked for; nothing was taken/);
    assert.deepEqual(Object.keys(new QueueEmptyError({ timeoutMs: 5 })), ["code", "timeoutMs"]);
  });

  test("PendingCallsLimitExceededError names the actor and its limit, and says what to do", () => {
    const e = new PendingCallsLimitExceededError({ actorId: "a3", actorName: "busy", maxPendingCalls: 2 });
    assert.match(e.message, /^actor "busy" \(id a3\) already has 2 calls from this process unfinished \(its maxPendingCalls\), so this call was not made\. Wait for earlier calls/);
    assert.match(new PendingCallsLimitExceededError({ actorId: "a4", maxPendingCalls: 1 }).message, /^actor a4 already has 1 call from/);
    assert.deepEqual(Object.keys(e), ["code", "actorId", "actorName", "maxPendingCalls"]);
  });

  test("OwnerDiedError is an ObjectLostError", () => {
    const e = new OwnerDiedError({ objectId: "o", ownerAddress: "a" });
    assert.ok(e instanceof ObjectLostError);
    assert.equal(e.code, "LUX_OWNER_DIED");
    assert.equal(new ObjectLostError({ objectId: "o" }).code, "LUX_OBJECT_LOST");
  });
});

describe("wire round trip", () => {
  for (const original of SAMPLES) {
    test(`${original.name} comes back as the same class with the same fields`, () => {
      const w = toWireError(original);
      assert.equal(w.code, original.code);
      assert.ok(!("code" in w.props), "code travels in its own slot");
      const back = roundTrip(original);
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(original));
      assert.ok(back instanceof LuxError);
      assert.equal(back.name, original.name);
      assert.equal(back.message, original.message);
      assert.equal(back.stack, original.stack);
      assert.equal(back.code, original.code);
      assert.deepEqual(ownProps(back), ownProps(original));
      if (original.cause === undefined) {
        assert.ok(!("cause" in back));
      } else {
        const cause = back.cause as Error;
        const originalCause = original.cause as Error;
        assert.equal(Object.getPrototypeOf(cause), Object.getPrototypeOf(originalCause));
        assert.equal(cause.message, originalCause.message);
        assert.equal(cause.stack, originalCause.stack);
        assert.deepEqual(ownProps(cause), ownProps(originalCause));
      }
    });
  }

  test("WorkerGroupError's errors come back as a Map from rank to errors of their classes (the RPC codec makes maps objects)", () => {
    const original = new WorkerGroupError({ errors: new Map<number, Error>([[1, new RangeError("bad batch")], [0, new ActorDiedError({ actorId: "a9" })]]) });
    assert.match(original.message, /^2 training workers failed: rank 0: ActorDiedError: .*; rank 1: RangeError: bad batch$/);
    const back = roundTrip(original) as WorkerGroupError;
    assert.ok(back instanceof WorkerGroupError && back.errors instanceof Map);
    assert.deepEqual([...back.errors.keys()], [1, 0]);
    assert.ok(back.errors.get(1) instanceof RangeError);
    assert.equal(back.errors.get(1)?.message, "bad batch");
    assert.ok(back.errors.get(0) instanceof ActorDiedError);
    assert.equal((back.errors.get(0) as ActorDiedError).actorId, "a9");
    const plain = roundTrip(Object.assign(new Error("x"), { byKey: new Map([["a", 1]]) })) as Error & { byKey: unknown };
    assert.deepEqual(plain.byKey, new Map([["a", 1]]), "any error's Map property");
  });

  test("TaskError's cause keeps the remote name, message, stack and own properties", () => {
    const back = roundTrip(SAMPLES[1]) as TaskError;
    assert.ok(back instanceof TaskError);
    assert.equal(back.taskId, "abc");
    assert.equal(back.functionName, "square");
    assert.ok(back.cause instanceof RangeError);
    assert.equal(back.cause.stack, remoteCause.stack);
    assert.deepEqual(ownProps(back.cause), { limit: 10, tags: ["a", "b"] });
  });

  test("a nested TaskError chain round-trips", () => {
    const inner = new TaskError({ taskId: "t1", functionName: "inner", cause: new TypeError("x is undefined") });
    const outer = new TaskError({ taskId: "t2", functionName: "outer", cause: inner });
    const back = roundTrip(outer) as TaskError;
    assert.ok(back.cause instanceof TaskError);
    assert.ok(back.cause.cause instanceof TypeError);
    assert.equal(back.message, "task outer (id t2) failed: TaskError: task inner (id t1) failed: TypeError: x is undefined");
  });

  test("built-in errors come back as their class", () => {
    for (const E of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) {
      const original = new E("bad");
      const back = roundTrip(original);
      assert.equal(back.constructor, E);
      assert.equal(back.message, "bad");
      assert.equal(back.stack, original.stack);
      assert.ok(!Object.keys(back).includes("name"));
    }
  });

  test("a custom error class comes back as an Error with its name, message, stack and props", () => {
    class HttpError extends Error {
      constructor(
        message: string,
        readonly status: number,
      ) {
        super(message);
        this.name = "HttpError";
      }
    }
    const original = new HttpError("not found", 404);
    const back = roundTrip(original);
    assert.equal(back.constructor, Error);
    assert.equal(back.name, "HttpError");
    assert.equal(back.message, "not found");
    assert.equal(back.stack, original.stack);
    assert.equal((back as Error & { status?: number }).status, 404);
    assert.match(String(back), /^HttpError: not found$/);
  });

  test("a Node system error keeps its own code property", () => {
    const original = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT", errno: -2, syscall: "open" });
    const w = toWireError(original);
    assert.equal(w.code, undefined);
    const back = roundTrip(original);
    assert.ok(!(back instanceof LuxError));
    assert.deepEqual(ownProps(back), { code: "ENOENT", errno: -2, syscall: "open" });
  });

  test("causes of plain errors round-trip, cycles end", () => {
    const root = new Error("root");
    const mid = new Error("mid", { cause: root });
    const top = new TypeError("top", { cause: mid });
    const back = roundTrip(top);
    assert.equal((back.cause as Error).message, "mid");
    assert.equal(((back.cause as Error).cause as Error).message, "root");

    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as Error & { cause?: unknown }).cause = b;
    const w = toWireError(a);
    assert.equal(w.cause?.message, "b");
    assert.equal(w.cause.cause, undefined);
  });

  test("AggregateError keeps its errors", () => {
    const original = new AggregateError([new RangeError("one"), new LuxError("two")], "both failed");
    const back = roundTrip(original) as AggregateError;
    assert.ok(back instanceof AggregateError);
    assert.equal(back.message, "both failed");
    assert.ok(back.errors[0] instanceof RangeError);
    assert.ok(back.errors[1] instanceof LuxError);
  });

  test("props are made plain: functions, symbols, cycles, class instances", () => {
    const circular: Record<string, unknown> = { x: 1 };
    circular["self"] = circular;
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const original = Object.assign(new Error("messy"), {
      fn: function handler() {},
      sym: Symbol("s"),
      circular,
      point: new Point(1, 2),
      when: new Date(0),
      bytes: new Uint8Array([1, 2, 3]),
      big: 2n ** 70n,
      nested: new Error("inner"),
      ["__proto__"]: "not a prototype",
    });
    Object.defineProperty(original, "__proto__", { value: "evil", enumerable: true });
    const w = toWireError(original);
    assert.deepEqual(w.props["fn"], "[Function: handler]");
    assert.equal(w.props["sym"], "Symbol(s)");
    assert.deepEqual(w.props["circular"], { x: 1, self: "[Circular]" });
    assert.deepEqual(w.props["point"], { x: 1, y: 2 });
    assert.equal(Object.getPrototypeOf(w.props["point"]), Object.prototype);
    assert.equal((w.props["nested"] as WireError).message, "inner");
    const back = fromWireError(structuredClone(w)) as Error & Record<string, unknown>;
    assert.deepEqual(back["when"], new Date(0));
    assert.deepEqual(back["bytes"], new Uint8Array([1, 2, 3]));
    assert.equal(back["big"], 2n ** 70n);
    assert.equal(Object.getPrototypeOf(back), Error.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(back, "__proto__")?.value, "evil");
  });

  test("non-Error thrown values become Errors", () => {
    assert.deepEqual(toWireError("boom"), { name: "Error", message: "boom", props: {} });
    assert.equal(toWireError(42).message, "non-Error value thrown: 42");
    assert.equal(toWireError(undefined).message, "non-Error value thrown: undefined");
    const w = toWireError({ name: "Oops", message: "like an error", detail: 1 });
    assert.deepEqual(w, { name: "Oops", message: "like an error", props: { detail: 1 } });
    assert.equal(ensureError("x").message, "x");
    const e = new Error("same");
    assert.equal(ensureError(e), e);
  });

  test("toWireError survives hostile getters", () => {
    const e = new Error("getter");
    Object.defineProperty(e, "bad", {
      enumerable: true,
      get() {
        throw new Error("nope");
      },
    });
    assert.equal(toWireError(e).props["bad"], "[getter threw: nope]");
  });

  test("fromWireError tolerates malformed input and unknown codes", () => {
    const junk = { name: 42, message: null, props: null } as unknown as WireError;
    const e = fromWireError(junk);
    assert.ok(e instanceof Error);
    assert.equal(e.message, "");
    assert.match(fromWireError(null).message, /malformed error received from a peer: null/);
    assert.match(fromWireError("x").message, /malformed error received from a peer: 'x'/);
    const unknownCode = fromWireError({ code: "LUX_FROM_THE_FUTURE", name: "FutureError", message: "m", props: { a: 1 } });
    assert.ok(unknownCode instanceof LuxError);
    assert.equal(unknownCode.code, "LUX_FROM_THE_FUTURE");
    assert.equal(unknownCode.name, "FutureError");
    assert.equal((unknownCode as LuxError & { a?: number }).a, 1);
  });
});

describe("messages of the connection and start errors", () => {
  test("each names what failed and where", () => {
    const byCode = new Map(SAMPLES.map((e) => [e.code, e.message]));
    assert.equal(byCode.get("LUX_CONNECTION_CLOSED"), "the connection to 127.0.0.1:4100 is closed (calling getNodes): read ECONNRESET");
    assert.match(byCode.get("LUX_CONNECT_FAILED") ?? "", /^cannot connect to 127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\. Check/);
    assert.match(byCode.get("LUX_RPC_TIMEOUT") ?? "", /^getActorInfo to 127\.0\.0\.1:6379 got no reply within 5000 ms\./);
    assert.match(byCode.get("LUX_LEASE_FAILED") ?? "", /^could not lease a worker for task f: worker process exited with code 1/);
    assert.equal(byCode.get("LUX_NODE_START_FAILED"), "the raylet process exited during start (code 1): boom");
    assert.equal(byCode.get("LUX_NOT_IN_ACTOR"), "lux.exitActor() ends the current actor: call it from inside an actor's method");
  });
});

/**
 * Two installed copies of Lux (say, an app and a library that each depend on it): each has
 * its own @lux/common and @lux/protocol, so its own classes. The built packages are copied
 * into a temporary node_modules and imported from there.
 */
describe("two installed copies", () => {
  const root = fileURLToPath(new URL("../../..", import.meta.url));
  let dir: string;
  let other: typeof import("../src/index.js");
  let sharingProtocol: typeof import("../src/index.js");

  /** Copies a workspace package's package.json and dist into `modules`. */
  function install(modules: string, name: string): void {
    const to = path.join(modules, "@lux", name);
    mkdirSync(to, { recursive: true });
    cpSync(path.join(root, "packages", name, "package.json"), path.join(to, "package.json"));
    cpSync(path.join(root, "packages", name, "dist"), path.join(to, "dist"), { recursive: true });
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "lux-copies-"));
    const full = path.join(dir, "full", "node_modules");
    install(full, "common");
    install(full, "protocol");
    symlinkSync(path.join(root, "node_modules", "msgpackr"), path.join(full, "msgpackr"), "dir");
    other = (await import(pathToFileURL(path.join(full, "@lux/common/dist/index.js")).href)) as typeof other;
    // npm may share one @lux/protocol between two copies of @lux/common.
    const shared = path.join(dir, "shared", "node_modules");
    install(shared, "common");
    mkdirSync(path.join(shared, "@lux"), { recursive: true });
    symlinkSync(path.join(root, "packages", "protocol"), path.join(shared, "@lux", "protocol"), "dir");
    sharingProtocol = (await import(pathToFileURL(path.join(shared, "@lux/common/dist/index.js")).href)) as typeof other;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test("the copies are separate: other classes, other registries", () => {
    assert.notEqual(other.GetTimeoutError, GetTimeoutError);
    assert.notEqual(other.LuxError, LuxError);
    assert.notEqual(other.errorClassForCode("LUX_GET_TIMEOUT"), GetTimeoutError);
  });

  test("a copy of @lux/common sharing this @lux/protocol loads, and the first class of each code stays registered", () => {
    assert.notEqual(sharingProtocol.GetTimeoutError, GetTimeoutError);
    assert.equal(sharingProtocol.errorClassForCode("LUX_GET_TIMEOUT"), GetTimeoutError);
  });

  for (const [name, copy] of [["a copy with its own protocol", () => other], ["a copy sharing this protocol", () => sharingProtocol]] as const) {
    test(`${name}: each of its errors is instanceof this copy's class with the same code (and its parents), of no other`, () => {
      const theirs = copy() as unknown as Record<string, typeof LuxError>;
      for (const ours of SAMPLES) {
        const TheirClass = theirs[ours.name] as typeof LuxError;
        const shared = theirs === (sharingProtocol as unknown) && packageOf(ours.constructor) === "@lux/protocol";
        assert.equal(TheirClass === ours.constructor, shared, `${ours.name}: the copies share only @lux/protocol's classes`);
        // Made as fromWireError makes it: the class's prototype, the fields as own properties.
        const theirError = Object.assign(Reflect.construct(Error, [ours.message], TheirClass) as LuxError, ownProps(ours));
        assert.ok(theirError instanceof TheirClass);
        for (const sample of SAMPLES) {
          const OurClass = sample.constructor as typeof LuxError;
          const expected = ours instanceof OurClass; // what instanceof says within one copy
          assert.equal(theirError instanceof OurClass, expected, `${ours.name} of the other copy instanceof ${OurClass.name}`);
          assert.equal(ours instanceof (theirs[sample.name] as typeof LuxError), expected, `${ours.name} instanceof the other ${sample.name}`);
        }
      }
    });
  }

  test("an error sent by one copy comes back in the other as that copy's class, with its fields", () => {
    for (const original of SAMPLES) {
      const back = other.fromWireError(overTheWire(toWireError(original)));
      assert.equal(back.constructor, other.errorClassForCode(original.code), original.name);
      assert.deepEqual(ownProps(back), ownProps(original));
      const home = fromWireError(overTheWire(other.toWireError(back)));
      assert.equal(Object.getPrototypeOf(home), Object.getPrototypeOf(original));
    }
  });
});
