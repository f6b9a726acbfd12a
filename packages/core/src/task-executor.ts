import type {
  ActorCreationSpec,
  GcsService,
  ObjectRefWire,
  ResolvedArg,
  ReturnValue,
  RpcCaller,
  RpcConnection,
  TaskReply,
  TaskSpec,
} from "@lux/protocol";
import { ActorDiedError, TaskError, config, fromWireError, toWireError } from "@lux/common";
import type { Definable, FunctionRegistry } from "./function-registry.js";
import type { ObjectManager } from "./object-manager.js";
import { ObjectRef } from "./object-ref.js";
import { isInline } from "./object-manager.js";
import { deserialize, serializeParts } from "./serialization/index.js";
import { taskContext } from "./task-context.js";

interface HostedActor {
  actorId: string;
  instance: Record<string, unknown>;
  className: string;
  byValue: boolean;
  maxConcurrency: number;
  running: number;
  waiting: (() => void)[];
  /** Set by lux.exitActor(): reported before the current call replies, then the process exits. */
  exiting: { report(): Promise<void>; exit(): void } | undefined;
}

/**
 * Runs tasks pushed to this worker: loads the code, resolves arguments, calls it, and
 * returns results inline or through the node's object store. Hosts at most one actor.
 */
/** A pipelined task waits at most this long behind a running one before going back to its owner. */
const REQUEUE_AFTER_MS = 20;

export class TaskExecutor {
  private runningTask = false;
  private runStartedAt = 0;
  private readonly waiting: { spec: TaskSpec; resolve(reply: TaskReply | Promise<TaskReply>): void }[] = [];
  private requeueTimer: NodeJS.Timeout | undefined;
  private actor: HostedActor | undefined;
  /** Refs inside returned values, held until the caller has registered as their borrower. */
  private readonly returnPins = new Map<string, ObjectRef[]>();

  constructor(
    private readonly gcs: RpcCaller<GcsService>,
    private readonly objects: ObjectManager,
    private readonly functions: FunctionRegistry,
    private readonly onCancelChildren: (taskId: string) => void,
  ) {}

  get actorId(): string | undefined {
    return this.actor?.actorId;
  }

  async createActor(spec: ActorCreationSpec): Promise<void> {
    const { target, byValue } = await this.load(spec.functionId);
    process.env["CUDA_VISIBLE_DEVICES"] = spec.gpuIds.join(",");
    const args = await this.arguments(spec.args, spec.resolved);
    const cls = target as new (...a: unknown[]) => Record<string, unknown>;
    let instance: Record<string, unknown>;
    try {
      instance = await taskContext.run({ taskId: `${spec.actorId}:init`, actorId: spec.actorId }, () => new cls(...args));
    } catch (e) {
      throw new TaskError({ taskId: spec.actorId, functionName: `${spec.className}.constructor`, cause: explain(e, byValue, spec.className) });
    }
    await this.objects.flushBorrows();
    this.actor = {
      actorId: spec.actorId,
      instance,
      className: spec.className,
      byValue,
      maxConcurrency: spec.maxConcurrency,
      running: 0,
      waiting: [],
      exiting: undefined,
    };
  }

  /**
   * Normal tasks run one at a time; an owner may push several ahead (pipelining), which
   * wait here. They are handed back unstarted if the running task blocks or runs long.
   */
  execute(spec: TaskSpec): Promise<TaskReply> {
    if (spec.actorId !== undefined) return this.executeActorCall(spec);
    if (!this.runningTask) return this.runNext(spec);
    return new Promise((resolve) => {
      this.waiting.push({ spec, resolve });
      this.armRequeue();
    });
  }

  /** Hands every waiting pipelined task back to its owner (the running one blocked or runs long). */
  requeueWaiting(): void {
    clearTimeout(this.requeueTimer);
    this.requeueTimer = undefined;
    for (const w of this.waiting.splice(0)) w.resolve({ returns: [], requeue: true });
  }

  private async runNext(spec: TaskSpec): Promise<TaskReply> {
    this.runningTask = true;
    this.runStartedAt = Date.now();
    try {
      return await this.executeTask(spec);
    } finally {
      this.runningTask = false;
      clearTimeout(this.requeueTimer);
      this.requeueTimer = undefined;
      const next = this.waiting.shift();
      if (next !== undefined) next.resolve(this.runNext(next.spec));
    }
  }

  private armRequeue(): void {
    if (this.requeueTimer !== undefined) return;
    const wait = Math.max(0, REQUEUE_AFTER_MS - (Date.now() - this.runStartedAt));
    this.requeueTimer = setTimeout(() => {
      this.requeueTimer = undefined;
      this.requeueWaiting();
    }, wait);
  }

  private async executeTask(spec: TaskSpec): Promise<TaskReply> {
    process.env["CUDA_VISIBLE_DEVICES"] = spec.gpuIds.join(",");
    let fn: Definable;
    let byValue = false;
    try {
      ({ target: fn, byValue } = await this.load(spec.functionId));
    } catch (e) {
      return this.failure(spec, e, false);
    }
    return this.run(spec, fn as (...a: unknown[]) => unknown, undefined, byValue);
  }

  /**
   * lux.exitActor(): once the calling method returns, `report` runs (the control service marks
   * the actor dead), the call replies, and then `exit` ends the process. Calls after it reject.
   */
  exitAfterCurrentCall(report: () => Promise<void>, exit: () => void): void {
    if (this.actor !== undefined) this.actor.exiting ??= { report, exit };
  }

  /** A running task cannot be interrupted; `recursive` cancels the tasks it submitted. */
  cancel(taskId: string, recursive: boolean): void {
    // Pipelined here but not started: it never runs.
    const i = this.waiting.findIndex((w) => w.spec.taskId === taskId);
    if (i >= 0) this.waiting.splice(i, 1)[0]?.resolve({ returns: [], requeue: true });
    if (recursive) this.onCancelChildren(taskId);
  }

  releaseContained(objectIds: readonly string[]): void {
    for (const id of objectIds) this.returnPins.delete(id);
  }

  private async executeActorCall(spec: TaskSpec): Promise<TaskReply> {
    const actor = this.actor;
    if (actor === undefined || actor.actorId !== spec.actorId) {
      return this.failure(spec, new Error(`this worker does not host actor ${spec.actorId}`), false);
    }
    // Calls start in arrival order; at most maxConcurrency run at once.
    if (actor.running >= actor.maxConcurrency) {
      await new Promise<void>((resolve) => actor.waiting.push(resolve));
    }
    if (actor.exiting !== undefined) return this.exitedFailure(spec, actor);
    actor.running++;
    let exiting: HostedActor["exiting"];
    try {
      const method = spec.method ?? "";
      const fn = actor.instance[method];
      if (typeof fn !== "function") {
        return this.failure(spec, new TypeError(`${actor.className} has no method "${method}"`), false);
      }
      const reply = await this.run(spec, fn as (...a: unknown[]) => unknown, actor.instance, actor.byValue);
      exiting = exitingOf(actor); // lux.exitActor() may have been called by this very call
      if (exiting !== undefined && actor.running === 1) await exiting.report();
      return reply;
    } finally {
      actor.running--;
      actor.waiting.shift()?.();
      // The last call running when the actor exits replies first (the reply is queued now).
      if (actor.running === 0) exitingOf(actor)?.exit();
    }
  }

  private exitedFailure(spec: TaskSpec, actor: HostedActor): TaskReply {
    return this.failure(
      spec,
      new ActorDiedError({ actorId: actor.actorId, cause: new Error("the actor exited with lux.exitActor()") }),
      false,
    );
  }

  private async run(
    spec: TaskSpec,
    fn: (...a: unknown[]) => unknown,
    self: unknown,
    byValue: boolean,
  ): Promise<TaskReply> {
    let result: unknown;
    try {
      const args = await this.arguments(spec.args, spec.resolved);
      result = await taskContext.run({ taskId: spec.taskId, actorId: spec.actorId }, () => fn.apply(self, args));
    } catch (e) {
      return this.failure(spec, explain(e, byValue, spec.name), true);
    }
    try {
      const values = spec.returnIds.length === 1 ? [result] : splitReturns(result, spec.returnIds.length, spec.name);
      const returns = await Promise.all(values.map((v, i) => this.returnValue(spec, spec.returnIds[i] as string, v)));
      await this.objects.flushBorrows();
      return { returns, hasContained: returns.some((r) => r.contained !== undefined) };
    } catch (e) {
      return this.failure(spec, e, true);
    }
  }

  private async returnValue(spec: TaskSpec, objectId: string, value: unknown): Promise<ReturnValue> {
    const parts = serializeParts(value, `the return value of ${spec.name}`, config("inlineObjectMaxBytes"));
    const r: ReturnValue = { objectId };
    const refs = parts.contained.filter((c): c is ObjectRef => c instanceof ObjectRef);
    if (refs.length > 0) {
      this.returnPins.set(objectId, refs);
      r.contained = refs.map((x) => x.toWire());
    }
    if (isInline(parts)) {
      r.value = parts.structure;
    } else {
      const { nodeId, size } = await this.objects.storeReturn(objectId, parts, spec.ownerAddress);
      r.nodeId = nodeId;
      r.size = size;
    }
    return r;
  }

  private failure(spec: TaskSpec, e: unknown, userCode: boolean): TaskReply {
    const error = userCode && !(e instanceof TaskError) ? new TaskError({ taskId: spec.taskId, functionName: spec.name, cause: e }) : e;
    const wire = toWireError(error);
    return { returns: spec.returnIds.map((objectId) => ({ objectId, error: wire })) };
  }

  private async arguments(bytes: Uint8Array, resolved: readonly ResolvedArg[]): Promise<unknown[]> {
    const args = deserialize(bytes) as unknown[];
    for (const r of resolved) {
      if (r.error !== undefined) throw fromWireError(r.error);
      if (r.value !== undefined) args[r.index] = deserialize(r.value);
      else {
        const stored = { kind: "stored", nodeId: r.nodeId ?? "", size: r.size ?? 0, locations: r.locations ?? [] } as const;
        args[r.index] = await this.objects.materialize(r.objectId, stored, r.ownerAddress, "arg");
      }
    }
    return args;
  }

  private load(functionId: string): Promise<{ target: Definable; byValue: boolean }> {
    return this.functions.load(functionId, async () => (await this.gcs.call("kvGet", { key: `fn:${functionId}` })).value);
  }
}

function exitingOf(actor: HostedActor): HostedActor["exiting"] {
  return actor.exiting;
}

function splitReturns(result: unknown, n: number, name: string): unknown[] {
  if (!Array.isArray(result) || result.length !== n) {
    throw new TypeError(`${name} was declared with numReturns: ${n} but returned ${describe(result)}; return an array of exactly ${n} values`);
  }
  return result;
}

function describe(v: unknown): string {
  return Array.isArray(v) ? `an array of ${v.length}` : typeof v;
}

/** A by-value function cannot see outer variables; say which one and how to fix it. */
function explain(e: unknown, byValue: boolean, name: string): unknown {
  if (!byValue || !(e instanceof ReferenceError)) return e;
  const variable = /^(\S+) is not defined/.exec(e.message)?.[1] ?? "a variable";
  const better = new ReferenceError(
    `${e.message}: ${name} was shipped by value (as source text), so it cannot see "${variable}" or any other ` +
      "variable defined outside it. Move the lux.remote definition to the top level of a module, or wrap the " +
      "entry script's main code in lux.main(async () => { ... }) so workers can import the script.",
  );
  better.stack = `${better.name}: ${better.message}\n${(e.stack ?? "").split("\n").slice(1).join("\n")}`;
  return better;
}

export type { ObjectRefWire };
