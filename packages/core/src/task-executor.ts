import type {
  ActorCreationSpec,
  Clock,
  CoreWorkerService,
  GcsService,
  ObjectRefWire,
  PlacementGroupPlacement,
  ResolvedArg,
  ReturnValue,
  RpcCaller,
  RpcConnection,
  TaskReply,
  TaskReplyWire,
  TaskSpec,
  TimerHandle,
} from "@lux/protocol";
import { sleep } from "@lux/protocol";
import { ActorDiedError, LuxError, TaskCancelledError, TaskError, createLogger, fromWireError, objectIdFor, returnIdsOf, toWireError, type ConfigValues } from "@lux/common";
import { defaultMaxConcurrency } from "./actor-class.js";
import { explain } from "./by-value-advice.js";
import type { ByValue, FunctionRegistry, Loaded } from "./function-registry.js";
import type { ObjectManager } from "./object-manager.js";
import { type ObjectRef, containedRefs } from "./object-ref.js";
import { isInline } from "./object-value.js";
import { Fifo } from "./fifo.js";
import { ConcurrencyGroups } from "./concurrency-groups.js";
import { MaxCalls, exitingAfter } from "./max-calls.js";
import { RunningTasks } from "./running-tasks.js";
import { SerializationError, deserializeLoading, serializeParts } from "./serialization/index.js";
import { GeneratorRun, iteratorOf, sinkOver } from "./generator-runner.js";
import { newTaskContext, taskContext, type TaskContext } from "./task-context.js";
import { fullReply, isThenable, replyOf, splitReturns } from "./task-replies.js";
import type { TaskEvents } from "./task-events.js";

const log = createLogger("core");

interface HostedActor {
  actorId: string;
  instance: Record<string, unknown>;
  className: string;
  byValue: ByValue | undefined;
  /** Where its calls wait for their turn (the default group, and any others it declared). */
  groups: ConcurrencyGroups;
  /** Calls running, in every group. */
  running: number;
  /** Set by lux.exitActor(): reported before the current call replies, then the process exits. */
  exiting: { report(): Promise<void>; exit(): void } | undefined;
}

/** What the runtime context says of the actor a worker hosts (from its constructor on). */
export interface HostedActorFacts {
  actorId: string;
  className: string;
  /** Its `name` option. */
  name: string | undefined;
  /** Created again after its process died or it was killed to restart (false on its first creation). */
  reconstructed: boolean;
  /** What it holds, as created. */
  resources: Record<string, number>;
  /** The placement group it lives in. */
  placementGroup: PlacementGroupPlacement | undefined;
}

/** Pause between asks for a definition the control service does not have (yet). */
const DEFINITION_POLL_MS = 100;

/** The config entries a TaskExecutor uses. */
export type TaskExecutorConfig = Pick<ConfigValues, "pipelineRequeueAfterMs" | "inlineObjectMaxBytes" | "rpcRegisterTimeoutMs" | "generatorItemsInFlight">;

export interface TaskExecutorDeps {
  /** Where the code of functions and classes is fetched from. */
  gcs: RpcCaller<GcsService>;
  objects: ObjectManager;
  functions: FunctionRegistry;
  /** `cancel(…, recursive)`: cancels the tasks the task submitted. */
  onCancelChildren: (taskId: string) => void;
  /** Times how long pipelined tasks wait behind a running one. */
  clock: Clock;
  config: TaskExecutorConfig;
  /** Where each run's start and end are reported, if task events are on. */
  events?: TaskEvents | undefined;
}

/**
 * Runs tasks pushed to this worker: loads the code, resolves arguments, calls it, and
 * returns results inline or through the node's object store. Hosts at most one actor.
 */
export class TaskExecutor {
  private runningTask = false;
  private runStartedAt = 0;
  private readonly waiting = new Fifo<{ spec: TaskSpec; resolve(reply: TaskReplyWire | Promise<TaskReplyWire>): void }>();
  /** Calls started per function with maxCalls (see max-calls.ts). */
  private readonly maxCalls = new MaxCalls();
  /** A function's maxCalls was reached: this worker starts no task again (see lastCall). */
  private spent = false;
  private requeueTimer: TimerHandle | undefined;
  private actor: HostedActor | undefined;
  /** Set from the start of the hosted actor's constructor. */
  hosted: HostedActorFacts | undefined;
  /** What runs now, so a cancel reaches it. */
  readonly running = new RunningTasks();
  /** Refs inside returned values, held until the caller has registered as their borrower. */
  private readonly returnPins = new Map<string, ObjectRef[]>();
  /** The connection each generator task came on: its items go back over it, ahead of its reply. */
  private readonly generatorConnections = new WeakMap<TaskSpec, RpcConnection<CoreWorkerService>>();

  private readonly objects: ObjectManager;
  private readonly functions: FunctionRegistry;
  private readonly clock: Clock;
  /** A pipelined task waits at most this long behind a running one before going back to its owner. */
  private readonly requeueAfterMs: number;
  private readonly inlineMaxBytes: number;

  constructor(private readonly deps: TaskExecutorDeps) {
    this.objects = deps.objects;
    this.functions = deps.functions;
    this.clock = deps.clock;
    this.requeueAfterMs = deps.config.pipelineRequeueAfterMs;
    this.inlineMaxBytes = deps.config.inlineObjectMaxBytes;
  }

  get actorId(): string | undefined {
    return this.actor?.actorId;
  }

  async createActor(spec: ActorCreationSpec): Promise<void> {
    // Before the class's module loads: CUDA libraries read the variable when they load.
    this.useGpus(spec.gpuIds);
    const { target, byValue } = await this.load(spec.functionId);
    performance.mark("lux.actor.class-loaded");
    const { actorId, className } = spec;
    this.hosted = { actorId, className, name: spec.name, reconstructed: spec.reconstructed === true, resources: spec.resources, placementGroup: spec.placementGroup };
    const args = await this.arguments(spec.args, spec.resolved);
    const cls = target as new (...a: unknown[]) => Record<string, unknown>;
    let instance: Record<string, unknown>;
    try {
      const ctx = newTaskContext(`${actorId}:init`, actorId, undefined, `${className}.constructor`);
      instance = await taskContext.run(ctx, () => new cls(...args));
    } catch (e) {
      throw new TaskError({ taskId: spec.actorId, functionName: `${spec.className}.constructor`, cause: explain(e, byValue, spec.className) });
    }
    performance.mark("lux.actor.constructed");
    await this.objects.refs.flushBorrows();
    this.actor = {
      actorId: spec.actorId,
      instance,
      className: spec.className,
      byValue,
      groups: new ConcurrencyGroups(spec.maxConcurrency ?? defaultMaxConcurrency(cls), spec.concurrencyGroups, spec.methodConcurrencyGroups),
      running: 0,
      exiting: undefined,
    };
  }

  /**
   * Normal tasks run one at a time; an owner may push several ahead (pipelining), which
   * wait here. They are handed back unstarted if the running task blocks or runs long.
   * `connection`: the one the task came on (a generator task's items go back over it).
   */
  execute(spec: TaskSpec, connection?: RpcConnection<CoreWorkerService>): TaskReplyWire | Promise<TaskReplyWire> {
    if (spec.generator !== undefined && connection !== undefined) this.generatorConnections.set(spec, connection);
    if (spec.actorId !== undefined) return this.executeActorCall(spec);
    if (!this.runningTask) {
      const reply = this.start(spec);
      if (!(reply instanceof Promise)) {
        this.runWaiting();
        return reply;
      }
      return reply.finally(() => this.runWaiting());
    }
    if (this.spent) return { returns: [], requeue: true };
    return new Promise((resolve) => {
      this.waiting.push({ spec, resolve });
      this.armRequeue();
    });
  }

  /** Hands every waiting pipelined task back to its owner (the running one blocked or runs long). */
  requeueWaiting(): void {
    this.requeueTimer?.cancel();
    this.requeueTimer = undefined;
    for (const w of this.waiting.drain()) w.resolve({ returns: [], requeue: true });
  }

  /**
   * Runs a task. A synchronous function whose code is loaded and whose arguments are inline
   * runs and replies without a promise: most small tasks, where promises (each also seen by
   * the async-context hooks) were much of a worker's cost per task.
   */
  private start(spec: TaskSpec): TaskReplyWire | Promise<TaskReplyWire> {
    this.runningTask = true;
    this.runStartedAt = this.clock.now();
    if (spec.maxCalls !== undefined && this.maxCalls.last(spec.functionId, spec.maxCalls)) return this.lastCall(spec);
    return this.executeTask(spec);
  }

  /**
   * The last call this worker starts (its function's maxCalls): the tasks pipelined behind it
   * and any pushed later go back to their owners, and its reply says the worker is exiting.
   */
  private lastCall(spec: TaskSpec): TaskReplyWire | Promise<TaskReplyWire> {
    this.spent = true;
    this.requeueWaiting();
    return exitingAfter(spec, this.executeTask(spec));
  }

  /** The running task is done: the tasks waiting behind it run in order (synchronous ones in this loop, not by recursion). */
  private runWaiting(): void {
    for (;;) {
      this.runningTask = this.spent; // a spent worker starts nothing more (see lastCall)
      this.running.endTask();
      this.requeueTimer?.cancel();
      this.requeueTimer = undefined;
      const next = this.waiting.shift();
      if (next === undefined) return;
      const reply = this.start(next.spec);
      if (reply instanceof Promise) {
        next.resolve(reply.finally(() => this.runWaiting()));
        return;
      }
      next.resolve(reply);
    }
  }

  private armRequeue(): void {
    if (this.requeueTimer !== undefined) return;
    const wait = Math.max(0, this.requeueAfterMs - (this.clock.now() - this.runStartedAt));
    this.requeueTimer = this.clock.setTimeout(() => {
      this.requeueTimer = undefined;
      this.requeueWaiting();
    }, wait);
  }

  private executeTask(spec: TaskSpec): TaskReplyWire | Promise<TaskReplyWire> {
    this.useGpus(spec.gpuIds);
    const loaded = this.functions.loadedNow(spec.functionId);
    if (loaded !== undefined) return this.run(spec, loaded.target as (...a: unknown[]) => unknown, undefined, loaded.byValue, loaded.name);
    return this.load(spec.functionId).then(
      ({ target, byValue, name }) => this.run(spec, target as (...a: unknown[]) => unknown, undefined, byValue, name),
      // Lux's own failures pass as they are; anything else came from evaluating the user's code.
      (e: unknown) => this.failure(spec, e, !(e instanceof LuxError)),
    );
  }

  /** CUDA_VISIBLE_DEVICES names the task's GPUs (set only when it changes: setting the environment is not free). */
  private useGpus(gpuIds: readonly number[]): void {
    const devices = gpuIds.length === 0 ? "" : gpuIds.join(",");
    if (process.env["CUDA_VISIBLE_DEVICES"] !== devices) process.env["CUDA_VISIBLE_DEVICES"] = devices;
  }

  /**
   * lux.exitActor(): once the calling method returns, `report` runs (the control service marks
   * the actor dead), the call replies, and then `exit` ends the process. Calls after it reject.
   */
  exitAfterCurrentCall(report: () => Promise<void>, exit: () => void): void {
    if (this.actor !== undefined) this.actor.exiting ??= { report, exit };
  }

  /**
   * The owner cancelled a task. Pipelined here and not started: it never runs. Running: it is
   * not interrupted, but its signal aborts (code that checks it can stop early). Not here yet
   * (an actor call waiting for its turn, or a push still on its way): it will not run.
   * `recursive` cancels the tasks it submitted.
   */
  cancel(taskId: string, recursive: boolean): void {
    const i = this.waiting.findIndex((w) => w.spec.taskId === taskId);
    if (i >= 0) this.waiting.removeAt(i)?.resolve({ returns: [], requeue: true });
    else this.running.cancel(taskId);
    if (recursive) this.deps.onCancelChildren(taskId);
  }

  releaseContained(objectIds: readonly string[]): void {
    for (const id of objectIds) this.returnPins.delete(id);
  }

  private async executeActorCall(spec: TaskSpec): Promise<TaskReplyWire> {
    const actor = this.actor;
    if (actor === undefined || actor.actorId !== spec.actorId) {
      return this.failure(spec, new LuxError(`a call for actor ${spec.actorId} reached a worker that does not host it`), false);
    }
    // Calls of a group start in arrival order; at most the group's limit run at once.
    const group = actor.groups.of(spec);
    if (group === undefined) return this.failure(spec, actor.groups.unknown(spec.concurrencyGroup ?? ""), false);
    if (group.running >= group.limit) await new Promise<void>((resolve) => group.waiting.push(resolve));
    if (actor.exiting !== undefined) return this.exitedFailure(spec, actor);
    group.running++;
    actor.running++;
    let exiting: HostedActor["exiting"];
    try {
      const method = spec.method ?? "";
      const fn = actor.instance[method];
      if (typeof fn !== "function") {
        return this.failure(spec, new TypeError(`${actor.className} has no method "${method}"`), false);
      }
      const reply = await this.run(spec, fn as (...a: unknown[]) => unknown, actor.instance, actor.byValue, undefined);
      exiting = exitingOf(actor); // lux.exitActor() may have been called by this very call
      if (exiting !== undefined && actor.running === 1) await exiting.report();
      return reply;
    } finally {
      this.running.endCall(spec.taskId);
      group.running--;
      actor.running--;
      group.waiting.shift()?.();
      // The last call running when the actor exits replies first (the reply is queued now).
      if (actor.running === 0) exitingOf(actor)?.exit();
    }
  }

  private exitedFailure(spec: TaskSpec, actor: HostedActor): TaskReply {
    return this.failure(spec, new ActorDiedError({ actorId: actor.actorId, cause: new Error("the actor exited with lux.exitActor()") }), false);
  }

  /** Calls the task's function; the reply comes synchronously when nothing along the way is asynchronous. */
  private run(
    spec: TaskSpec,
    fn: (...a: unknown[]) => unknown,
    self: unknown,
    byValue: ByValue | undefined,
    functionName: string | undefined,
  ): TaskReplyWire | Promise<TaskReplyWire> {
    let args: unknown[] | Promise<unknown[]>;
    try {
      args = this.arguments(spec.args, spec.resolved);
    } catch (e) {
      return this.failure(spec, explain(e, byValue, spec.name), true);
    }
    if (args instanceof Promise) {
      return args.then(
        (a) => this.call(spec, fn, self, byValue, a, functionName),
        (e: unknown) => this.failure(spec, explain(e, byValue, spec.name), true),
      );
    }
    return this.call(spec, fn, self, byValue, args, functionName);
  }

  private call(
    spec: TaskSpec,
    fn: (...a: unknown[]) => unknown,
    self: unknown,
    byValue: ByValue | undefined,
    args: unknown[],
    functionName: string | undefined,
  ): TaskReplyWire | Promise<TaskReplyWire> {
    const ctx = this.running.begin(spec, functionName);
    if (ctx === undefined) return this.failure(spec, new TaskCancelledError({ taskId: spec.taskId }), false);
    let result: unknown;
    const startedAt = this.clock.now();
    this.deps.events?.started(spec, startedAt);
    try {
      result = taskContext.run(ctx, Reflect.apply, fn, self, args);
    } catch (e) {
      return this.paced(spec, startedAt, this.failure(spec, explain(e, byValue, spec.name), true));
    }
    if (spec.generator !== undefined) return this.paced(spec, startedAt, this.streamed(spec, ctx, result, byValue));
    if (!isThenable(result)) return this.paced(spec, startedAt, this.reply(spec, result));
    return this.paced(
      spec,
      startedAt,
      Promise.resolve(result).then(
        (value) => this.reply(spec, value),
        (e: unknown) => this.failure(spec, explain(e, byValue, spec.name), true),
      ),
    );
  }

  /**
   * Marks the reply of a call that held this thread (ran without yielding) for
   * pipelineRequeueAfterMs or longer: no timer here could hand back the tasks behind it, so
   * its owner stops pipelining behind calls of that function (see TaskPace).
   */
  private paced(spec: TaskSpec, startedAt: number, reply: TaskReplyWire | Promise<TaskReplyWire>): TaskReplyWire | Promise<TaskReplyWire> {
    if (this.clock.now() - startedAt < this.requeueAfterMs) return reply;
    if (!(reply instanceof Promise)) return { ...fullReply(spec, reply), heldThread: true };
    return reply.then((r) => ({ ...fullReply(spec, r), heldThread: true }));
  }

  /**
   * A generator task: its items go to the owner as the generator yields them (GeneratorRun);
   * the reply, once it is done, carries its completion (return 0, undefined).
   */
  private streamed(spec: TaskSpec, ctx: TaskContext, result: unknown, byValue: ByValue | undefined): Promise<TaskReplyWire> {
    const connection = this.generatorConnections.get(spec);
    const generator = spec.generator;
    let run: GeneratorRun;
    try {
      if (connection === undefined || generator === undefined) throw new LuxError(`generator task ${spec.name} came without its owner's connection`);
      run = new GeneratorRun({ ...spec, generator }, iteratorOf(result, spec.name), sinkOver(connection), {
        item: (objectId, value) => this.returnValue(spec, objectId, value),
        borrowsPending: () => this.objects.refs.borrowsPending(),
        flushBorrows: () => this.objects.refs.flushBorrows(),
        userError: (e) => new TaskError({ taskId: spec.taskId, functionName: spec.name, cause: explain(e, byValue, spec.name) }),
        cancelled: () => ctx.controller?.signal.aborted === true,
        inFlight: this.deps.config.generatorItemsInFlight,
      });
    } catch (e) {
      return Promise.resolve(this.failure(spec, e, !(e instanceof LuxError)));
    }
    // In the task's context: the generator's body runs inside next(), in this loop.
    return taskContext.run(ctx, () => run.run()).then(
      () => this.reply(spec, undefined),
      // An item that cannot travel fails the task with the SerializationError itself, as a result does.
      (e: unknown) => this.failure(spec, e, !(e instanceof SerializationError)),
    );
  }

  /** The reply for a result: its values serialized (large ones written to the node's store). */
  private reply(spec: TaskSpec, result: unknown): TaskReplyWire | Promise<TaskReplyWire> {
    let returns: (ReturnValue | Promise<ReturnValue>)[];
    try {
      const n = spec.numReturns;
      // numReturns 0 (an actor method's option): the result goes nowhere.
      const values = n === 1 ? [result] : n === 0 ? [] : splitReturns(result, n, spec.name);
      returns = values.map((v, i) => this.returnValue(spec, objectIdFor(spec.taskId, i), v));
    } catch (e) {
      // A result that cannot travel: the caller's get rejects with the SerializationError
      // itself, as `put` and the call site throw it (the function did not fail).
      return this.failure(spec, e, !(e instanceof SerializationError));
    }
    if (!this.objects.refs.borrowsPending() && !returns.some((r) => r instanceof Promise)) {
      this.deps.events?.ran(spec, false);
      return replyOf(returns as ReturnValue[], spec.numReturns);
    }
    return this.replyLater(spec, returns);
  }

  private async replyLater(spec: TaskSpec, pending: (ReturnValue | Promise<ReturnValue>)[]): Promise<TaskReplyWire> {
    try {
      const returns = await Promise.all(pending);
      // The caller must find our borrows registered before it may drop refs inside the values.
      await this.objects.refs.flushBorrows();
      this.deps.events?.ran(spec, false);
      return replyOf(returns, spec.numReturns);
    } catch (e) {
      return this.failure(spec, e, true);
    }
  }

  private returnValue(spec: TaskSpec, objectId: string, value: unknown): ReturnValue | Promise<ReturnValue> {
    const parts = serializeParts(value, `the return value of ${spec.name}`, this.inlineMaxBytes, "result");
    const r: ReturnValue = { objectId };
    if (parts.contained.length > 0) {
      const refs = containedRefs(parts.contained);
      if (refs.length > 0) {
        this.returnPins.set(objectId, refs);
        r.contained = refs.map((x) => x.toWire());
      }
    }
    if (isInline(parts, this.inlineMaxBytes)) {
      r.value = parts.structure;
      return r;
    }
    return this.objects.putter.storeReturn(objectId, parts, spec.ownerAddress).then(({ nodeId, size }) => {
      r.nodeId = nodeId;
      r.size = size;
      return r;
    });
  }

  private failure(spec: TaskSpec, e: unknown, userCode: boolean): TaskReply {
    const error = userCode && !(e instanceof TaskError) ? new TaskError({ taskId: spec.taskId, functionName: spec.name, cause: e }) : e;
    this.deps.events?.ran(spec, true);
    // No ref will ever hold the error: say it here, or nobody hears of it.
    if (spec.numReturns === 0) log.warn(`${spec.name} (numReturns: 0) failed: ${String(error)}`);
    const wire = toWireError(error);
    return { returns: returnIdsOf(spec.taskId, spec.numReturns).map((objectId) => ({ objectId, error: wire })) };
  }

  /** The call's arguments; synchronous unless one must be read from an object store. */
  private arguments(bytes: Uint8Array, resolved: readonly ResolvedArg[]): unknown[] | Promise<unknown[]> {
    // A Promise only while the classes of instances in the arguments are loaded.
    const decoded = deserializeLoading(bytes);
    if (decoded instanceof Promise) return decoded.then((args) => this.withResolved(args as unknown[], resolved));
    return this.withResolved(decoded as unknown[], resolved);
  }

  /** Puts the values of the top-level ObjectRef arguments (resolved by the owner) in place. */
  private withResolved(args: unknown[], resolved: readonly ResolvedArg[]): unknown[] | Promise<unknown[]> {
    let stored: Promise<unknown>[] | undefined;
    for (const r of resolved) {
      if (r.error !== undefined) throw fromWireError(r.error);
      if (r.value !== undefined) {
        const value = deserializeLoading(r.value);
        if (value instanceof Promise) (stored ??= []).push(value.then((v) => (args[r.index] = v)));
        else args[r.index] = value;
      } else {
        const where = { kind: "stored", nodeId: r.nodeId ?? "", size: r.size ?? 0, locations: r.locations ?? [] } as const;
        (stored ??= []).push(this.objects.getter.materialize(r.objectId, where, r.ownerAddress, "arg").then((v) => void (args[r.index] = v)));
      }
    }
    return stored === undefined ? args : Promise.all(stored).then(() => args);
  }

  /** The definition of a task or actor by its id: loaded once (see FunctionRegistry.load), then from its cache. */
  load(functionId: string): Promise<Loaded> {
    return this.functions.load(functionId, () => this.fetchDefinition(functionId));
  }

  /**
   * A definition from the control service's KV. Missing only after a restart that lost its
   * state, until its exporter (the owner of the task) has put it back: asked again for a
   * while (rpcRegisterTimeoutMs) before the task fails.
   */
  private async fetchDefinition(functionId: string): Promise<Uint8Array | undefined> {
    const { clock, gcs, config } = this.deps;
    const deadline = clock.now() + config.rpcRegisterTimeoutMs;
    for (;;) {
      const { value } = await gcs.call("kvGet", { key: `fn:${functionId}` });
      if (value !== undefined || clock.now() >= deadline) return value;
      await sleep(clock, DEFINITION_POLL_MS);
    }
  }
}

function exitingOf(actor: HostedActor): HostedActor["exiting"] {
  return actor.exiting;
}

export type { ObjectRefWire };
