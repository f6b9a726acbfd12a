/**
 * An owner (the submitting side of a core worker) built from its real parts on a fake
 * network: the object manager, task results, lineage and recovery, the task and actor
 * submitters and the canceller, wired as CoreWorker's constructor wires them, with a
 * FakeRaylet as the local raylet, a FakeGcs as the control service and a FakeClock.
 */
import { afterEach } from "node:test";
import type { CoreWorkerService, GcsService, RayletService, RpcConnection, TaskSpec } from "@lux/protocol";
import { CoreWorkerService as CoreWorkerServiceDef, FakeClock, serve } from "@lux/protocol";
import { defaultConfig, fromWireError, newTaskId, objectIdFor, type ConfigValues, type SystemConfig } from "@lux/common";
import { FakeGcs, FakeNetwork, FakeRaylet } from "@lux/testing";
import { ActorSubmitter } from "../src/actor-submitter.js";
import { DependencyResolver } from "../src/dependency-resolver.js";
import { GeneratorStreams } from "../src/generator-streams.js";
import type { ObjectRefGenerator } from "../src/object-ref-generator.js";
import { Lineage } from "../src/lineage.js";
import type { ObjectValue } from "../src/memory-store.js";
import { ObjectManager } from "../src/object-manager.js";
import { ObjectRecovery } from "../src/object-recovery.js";
import type { ObjectRef } from "../src/object-ref.js";
import type { StoreIO } from "../src/store-io.js";
import { encodeArgs, topLevelRefs } from "../src/task-args.js";
import { TaskCanceller } from "../src/task-canceller.js";
import { newTaskRecord, refsOf, type TaskOptionsCompiled, type TaskRecord } from "../src/task-record.js";
import { PlainTask, isPlain } from "../src/plain-task.js";
import type { TaskPace } from "../src/function-registry.js";
import { TaskResults } from "../src/task-results.js";
import { TaskSubmitter } from "../src/task-submitter.js";

export const NODE = "node-A";
export const JOB = "job-1";

/** Options of a plain task: one CPU, no retries, one return. */
export const TASK: TaskOptionsCompiled = { resources: { CPU: 1 }, maxRetries: 0, retryExceptions: false, numReturns: 1 };

/**
 * Writes "large" values nowhere: a put of a value that is not inline is recorded as stored
 * on this node, as if the store had taken it.
 */
const storeNowhere = {
  write: (_objectId: string, parts: { structure: Uint8Array }) => ({ size: parts.structure.byteLength, done: undefined }),
} as unknown as StoreIO;

export interface FakeOwner {
  /** The tunables its parts were built with: small limits (see SMALL). */
  readonly config: ConfigValues;
  readonly net: FakeNetwork;
  readonly clock: FakeClock;
  readonly address: string;
  /** This node's raylet: every lease request starts here. */
  readonly raylet: FakeRaylet;
  readonly gcs: FakeGcs;
  readonly objects: ObjectManager;
  readonly results: TaskResults;
  readonly lineage: Lineage;
  readonly submitter: TaskSubmitter;
  readonly actors: ActorSubmitter;
  readonly canceller: TaskCanceller;
  /** Where the items of generator tasks go (served to workers as reportGeneratorItem). */
  readonly generators: GeneratorStreams;
  /** The pace of the function `submit` calls unless told another: known to hand back (pipelined behind). */
  readonly pace: TaskPace;
  /** Submits a task with `args` (refs among them are resolved first), as CoreWorker.submitTask does. */
  submit(options?: Partial<TaskOptionsCompiled>, args?: unknown[], pace?: TaskPace): TaskRecord;
  /**
   * Submits a generator task (`backpressure`: generatorBackpressureNumObjects, 0 for none), as
   * a remote generator function's `.remote()` does: its record and its generator.
   */
  submitGenerator(backpressure?: number, options?: Partial<TaskOptionsCompiled>): { record: TaskRecord; gen: ObjectRefGenerator<unknown> };
  /** Submits a call of `method` on the actor, as CoreWorker.submitActorCall does (through `handle`, if given). */
  call(actorId: string, method: string, args?: unknown[], handle?: object): TaskRecord;
  /** The owner's refs to a task's results. */
  refs(record: TaskRecord): ObjectRef[];
  /** The value of a task's first result, once known. */
  valueOf(record: TaskRecord): ObjectValue | undefined;
  /** The error a task's first result failed with, if it failed. */
  errorOf(record: TaskRecord): Error | undefined;
  close(): void;
}

export interface FakeOwnerOptions {
  /** This node's id (its raylet's). Default: NODE. */
  nodeId?: string;
  /** Config entries over SMALL. */
  config?: SystemConfig;
}

/** Limits small enough that a test reaches them in a few steps. */
export const SMALL: SystemConfig = { maxLeaseSpillbacks: 3, maxWorkerStartFailures: 4, maxPendingLeaseRequests: 4, workerLeaseIdleMs: 100 };

export async function fakeOwner(options: FakeOwnerOptions = {}): Promise<FakeOwner> {
  const config = defaultConfig({ ...SMALL, ...options.config });
  const clock = new FakeClock(1_000_000);
  const net = new FakeNetwork({ clock, callTimeoutMs: config.rpcTimeoutMs });
  const nodeId = options.nodeId ?? NODE;
  const raylet = new FakeRaylet(net, { nodeId });
  const gcs = new FakeGcs(net);
  const address = net.address("owner");
  const rayletConnection = await net.connect<RayletService, CoreWorkerService>(raylet.address);
  const gcsConnection: RpcConnection<GcsService, CoreWorkerService> = await net.connect(gcs.address);
  // The owner serves its workers' reports of generator items (set below, once the objects exist).
  let generators: GeneratorStreams | undefined;
  const handlers = serve(CoreWorkerServiceDef, {
    reportGeneratorItem: (item, connection) => (generators as GeneratorStreams).report(item, connection as RpcConnection<CoreWorkerService>),
  });
  const peers = net.pool<CoreWorkerService, CoreWorkerService>(handlers);
  const objects = new ObjectManager({
    selfAddress: address,
    nodeId,
    raylet: rayletConnection,
    peers,
    store: storeNowhere,
    blocking: { enter: () => undefined, leave: () => undefined },
    clock,
    config,
  });
  generators = new GeneratorStreams(objects);
  const lineage = new Lineage(config.maxLineageBytes);
  objects.onFree((id) => lineage.freed(id));
  const results = new TaskResults(objects, lineage);
  const dependencies = new DependencyResolver(objects.getter, results);
  const submitter = new TaskSubmitter({
    jobId: JOB,
    nodeId,
    raylet: rayletConnection,
    raylets: net.pool<RayletService, CoreWorkerService>(),
    workers: peers,
    results,
    placementGroupRemoved: async () => false,
    clock,
    config,
  });
  results.onRetry((r) => submitter.enqueue(r));
  const actors = new ActorSubmitter({ callerId: "caller-1", gcs: gcsConnection, peers, results, nodeId, config });
  // As CoreWorker.resubmit: a finished task (or actor call) runs again to re-create its lost results.
  const resubmit = (record: TaskRecord): void => {
    record.state = "resolving";
    results.track(record);
    if (record.spec.actorId !== undefined) actors.resend(record, dependencies.resolve(record, undefined));
    else enqueueWhenResolved(dependencies, record, submitter);
  };
  const recovery = new ObjectRecovery(address, objects.memory, objects.directory, lineage, resubmit);
  objects.directory.onLost((ids, failed) => recovery.recover(ids, failed));
  const canceller = new TaskCanceller({ selfAddress: address, results, submitter, actors, peers });

  const record = (spec: TaskSpec, args: unknown[], held: readonly ObjectRef[], opts: TaskOptionsCompiled, pace?: TaskPace): TaskRecord => {
    const r = newTaskRecord(spec, topLevelRefs(args), held, opts, pace);
    results.track(r);
    return r;
  };
  const defaultPace: TaskPace = { handsBack: true };
  const spec = (name: string, args: Uint8Array, numReturns: number): TaskSpec => {
    const taskId = newTaskId();
    return { taskId, jobId: JOB, functionId: "f", name, args, resolved: [], borrowed: [], numReturns, ownerAddress: address, gpuIds: [] };
  };
  const errorOf = (r: TaskRecord): Error | undefined => {
    const v = objects.memory.peek(objectIdFor(r.spec.taskId, 0));
    return v?.kind === "error" ? fromWireError(v.error) : undefined;
  };

  return {
    config,
    net,
    clock,
    address,
    raylet,
    gcs,
    objects,
    results,
    lineage,
    submitter,
    actors,
    canceller,
    generators,
    pace: defaultPace,
    submit(options = {}, args = [], pace = defaultPace) {
      const opts = { ...TASK, ...options };
      const encoded = encodeArgs(args, "f");
      let r: TaskRecord;
      if (isPlain(opts)) {
        // As CoreWorker.submitTask: record and spec in one object.
        const head = { jobId: JOB, functionId: "f", name: opts.name ?? "f", ownerAddress: address, numReturns: opts.numReturns, options: opts, pace };
        r = new PlainTask(head, newTaskId(), encoded.bytes, topLevelRefs(args), encoded.held, undefined);
        results.track(r);
      } else r = record(spec(opts.name ?? "f", encoded.bytes, opts.numReturns), args, encoded.held, opts, pace);
      if (r.deps.length === 0) submitter.enqueue(r);
      else enqueueWhenResolved(dependencies, r, submitter);
      return r;
    },
    submitGenerator(backpressure = 0, options = {}) {
      const opts = { ...TASK, ...options, generatorBackpressure: backpressure };
      const s = spec(opts.name ?? "gen", encodeArgs([], "gen").bytes, 1);
      s.generator = { backpressure, skip: 0 };
      const r = record(s, [], [], opts, defaultPace);
      const [completion] = refsOf(r.returnSlots, address);
      const gen = (generators as GeneratorStreams).open(completion as ObjectRef);
      submitter.enqueue(r);
      return { record: r, gen };
    },
    call(actorId, method, args = [], handle = undefined) {
      const encoded = encodeArgs(args, method);
      const s = { ...spec(method, encoded.bytes, 1), functionId: "", actorId, method };
      const r = record(s, args, encoded.held, { ...TASK, resources: {} });
      const call = actors.submit(actorId, r, handle);
      if (r.deps.length === 0) actors.markReady(actorId, call);
      else {
        void dependencies.resolve(r, undefined).then((ok) => {
          if (ok) actors.markReady(actorId, call);
          else actors.remove(actorId, r);
        });
      }
      return r;
    },
    refs: (r) => refsOf(r.returnSlots, address),
    valueOf: (r) => objects.memory.peek(objectIdFor(r.spec.taskId, 0)),
    errorOf,
    close() {
      submitter.close();
      net.close();
    },
  };
}

function enqueueWhenResolved(dependencies: DependencyResolver, record: TaskRecord, submitter: TaskSubmitter): void {
  void dependencies.resolve(record, undefined).then((ok) => {
    if (ok) submitter.enqueue(record);
  });
}

/** `owner()` for a test file: each test's owners are closed after it. */
export function ownersClosedAfterEach(): (options?: FakeOwnerOptions) => Promise<FakeOwner> {
  let owners: FakeOwner[] = [];
  afterEach(() => {
    for (const o of owners) o.close();
    owners = [];
  });
  return async (options) => {
    const o = await fakeOwner(options);
    owners.push(o);
    return o;
  };
}
