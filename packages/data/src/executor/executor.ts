/**
 * The streaming executor: runs a plan's operators at once in this process, moving blocks
 * from each operator to the next as they come. What it may start is bounded by the cluster's
 * CPUs, each operator's queue (a full queue holds back what feeds it) and the object-store
 * budget (blocks held by the execution; past it, sources stop taking blocks from their
 * tasks, whose generators then pause). A limit stops the reads once it has its rows.
 */
import * as lux from "lux";
import type { DataSettings } from "../context.js";
import type { PlanNode } from "../plan.js";
import { ActorPoolOp } from "./actor-op.js";
import { buildOperators } from "./build.js";
import type { Bundle, ExecutionHooks } from "./bundle.js";
import { AllToAllOp } from "./exchange-op.js";
import type { Operator } from "./operator.js";
import { Progress } from "./progress.js";
import { ExecutionStats } from "./execution-stats.js";
import { InputOp, LimitOp, UnionOp } from "./simple-ops.js";
import { Scheduler } from "./scheduler.js";

export class Execution implements ExecutionHooks {
  private ops: Operator[] = [];
  private readonly downstream = new Map<Operator, Operator>();
  private readonly sink: Bundle[] = [];
  private readonly held = new Set<Bundle>();
  /** Bytes of blocks held, plus room reserved for blocks on their way from sources. */
  private usage = 0;
  /** Bytes of blocks held (what `peakStoreBytes` reports). */
  private heldBytes = 0;
  peakUsage = 0;
  private error: unknown;
  private stopping: Promise<void> | undefined;
  private wakeConsumer: (() => void) | undefined;
  private roomWaiters: { bytes: number; resolve: () => void }[] = [];
  private pumpQueued = false;
  private scheduler!: Scheduler;
  private progress: Progress | undefined;
  private closed = false;

  private constructor(
    readonly settings: DataSettings,
    private readonly budget: number,
  ) {}

  /** Starts executing `plan`; its blocks come from `next()`. */
  static async start(plan: PlanNode, settings: DataSettings): Promise<Execution> {
    const [budget, cpus] = await Promise.all([storeBudget(settings), clusterCpus()]);
    const exec = new Execution(settings, budget);
    exec.ops = await buildOperators(plan, exec);
    for (const op of exec.ops) for (const up of op.upstream) exec.downstream.set(up, op);
    exec.scheduler = new Scheduler(exec.ops, exec.downstream, cpus, settings);
    if (settings.enableProgressBars && process.stderr.isTTY === true) exec.progress = new Progress(exec.ops);
    for (const op of exec.ops) {
      if (op instanceof InputOp) op.start();
      if (op instanceof ActorPoolOp) op.start();
    }
    exec.notify();
    return exec;
  }

  get failed(): boolean {
    return this.error !== undefined;
  }

  notify(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  fail(error: unknown): void {
    if (this.error !== undefined || this.closed) return;
    this.error = error;
    this.stopping = this.stopAll();
    this.wakeConsumer?.();
  }

  hold(bundles: readonly Bundle[]): void {
    for (const b of bundles) {
      if (this.held.has(b)) continue;
      this.held.add(b);
      this.usage += b.meta.sizeBytes;
      this.heldBytes += b.meta.sizeBytes;
    }
    if (this.heldBytes > this.peakUsage) this.peakUsage = this.heldBytes;
  }

  release(bundles: readonly Bundle[]): void {
    const freed: lux.ObjectRef<unknown>[] = [];
    for (const b of bundles) {
      if (!this.held.delete(b)) continue;
      this.usage -= b.meta.sizeBytes;
      this.heldBytes -= b.meta.sizeBytes;
      if (b.owned) freed.push(b.ref);
    }
    // Freeing is best effort: a block already gone (its node died) needs nothing more.
    if (freed.length > 0) lux.free(freed).catch(() => undefined);
    if (freed.length > 0 || bundles.length > 0) this.notify();
  }

  /** Stops counting a block the caller keeps (a materialized dataset's): it is not freed. */
  keep(bundle: Bundle): void {
    if (this.held.delete(bundle)) {
      this.usage -= bundle.meta.sizeBytes;
      this.heldBytes -= bundle.meta.sizeBytes;
    }
    this.notify();
  }

  unreserve(bytes: number): void {
    this.usage -= bytes;
    this.notify();
  }

  roomForSourceOutput(bytes: number): Promise<void> {
    if (this.hasRoom(bytes) && this.roomWaiters.length === 0) {
      this.usage += bytes;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.roomWaiters.push({ bytes, resolve }));
  }

  /** Room for `bytes` more in the budget, or nothing held at all (so an execution always moves). */
  private hasRoom(bytes: number): boolean {
    return this.usage + bytes <= this.budget || this.usage === 0;
  }

  /** Blocks sources' running tasks may have made and not handed over yet: one each, of their average size. */
  private inFlightBytes(): number {
    let n = 0;
    for (const op of this.ops) if (op.isSource) n += op.active * op.blockBytesEstimate;
    return n;
  }

  private wakeRoomWaiters(): void {
    for (let i = 0; i < this.roomWaiters.length; ) {
      const w = this.roomWaiters[i] as { bytes: number; resolve: () => void };
      if (!this.hasRoom(w.bytes)) {
        i++;
        continue;
      }
      this.roomWaiters.splice(i, 1);
      // Counted now, so the next waiter sees the room this one takes.
      this.usage += w.bytes;
      w.resolve();
    }
  }

  /** The next output block (the caller releases it when done with it), or undefined at the end. */
  async next(): Promise<Bundle | undefined> {
    for (;;) {
      if (this.error !== undefined) {
        await this.stopping;
        throw this.error;
      }
      const b = this.sink.shift();
      if (b !== undefined) {
        this.notify();
        return b;
      }
      if (this.ops.every((op) => op.done)) {
        await this.finish();
        return undefined;
      }
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
      this.wakeConsumer = undefined;
    }
  }

  /** Ends the execution early (the consumer stopped): what runs is stopped, what is held freed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release(this.sink.splice(0));
    await (this.stopping ?? this.stopAll());
  }

  stats(): ExecutionStats {
    return new ExecutionStats(
      this.ops.map((op) => ({ ...op.stats })),
      this.peakUsage,
    );
  }

  private async finish(): Promise<void> {
    this.progress?.stop();
    await Promise.all(this.ops.map((op) => (op instanceof ActorPoolOp ? op.endActors() : undefined)));
  }

  private async stopAll(): Promise<void> {
    this.progress?.stop();
    await Promise.all(this.ops.map((op) => op.stop()));
    for (const w of this.roomWaiters.splice(0)) w.resolve();
  }

  private pump(): void {
    if (this.error !== undefined || this.closed) return;
    this.route();
    this.stopSatisfiedLimits();
    const room = (op: Operator): boolean => this.usage + this.inFlightBytes() + op.blockBytesEstimate <= this.budget || this.usage === 0;
    this.scheduler.launch(this.sink.length, room, (op) => this.limitAllows(op));
    this.route();
    this.progress?.update();
    this.wakeRoomWaiters();
    if (this.sink.length > 0 || this.ops.every((op) => op.done)) this.wakeConsumer?.();
  }

  /** Moves outputs downstream (to the consumer from the last operator) and passes on upstreams' ends. */
  private route(): void {
    for (const op of this.ops) {
      const down = this.downstream.get(op);
      if (down instanceof UnionOp && this.settings.preserveOrder && !this.unionTurn(down, op)) continue;
      const outputs = op.takeOutputs();
      if (down === undefined) this.sink.push(...outputs);
      else down.inputs.push(...outputs);
      if (op.done && down !== undefined) {
        if (down instanceof UnionOp) down.noteUpstreamDone(op);
        else down.upstreamDone = true;
      }
    }
  }

  /** With order preserved, a union takes from its first upstream that has not finished. */
  private unionTurn(union: UnionOp, op: Operator): boolean {
    const first = union.upstream.find((u) => !u.done);
    return first === undefined || first === op;
  }

  private stopSatisfiedLimits(): void {
    for (const op of this.ops) {
      if (!(op instanceof LimitOp) || !op.satisfied || op.upstreamDone) continue;
      op.upstreamDone = true;
      const upstream = this.upstreamOf(op);
      for (const u of upstream) u.stop().catch((e: unknown) => this.fail(e));
    }
  }

  private upstreamOf(op: Operator): Operator[] {
    return op.upstream.flatMap((u) => [u, ...this.upstreamOf(u)]);
  }

  /** For a read below a limit: start more reads only while the rows they are expected to give are still needed. */
  private limitAllows(op: Operator): boolean {
    let down = this.downstream.get(op);
    while (down !== undefined && !(down instanceof LimitOp) && !(down instanceof AllToAllOp)) down = this.downstream.get(down);
    if (!(down instanceof LimitOp)) return true;
    if (down.satisfied) return false;
    const between = this.upstreamOf(down).filter((u) => u !== op);
    const inFlight = op.active > 0 || between.some((u) => u.active > 0 || u.inputs.length > 0 || u.queuedOutputs > 0) || down.inputs.length > 0;
    if (!inFlight) return true;
    const completed = op.stats.tasks - op.active;
    if (completed === 0) return false;
    const perTask = op.stats.rows / completed;
    return op.stats.rows + op.active * perTask < down.n;
  }
}

async function storeBudget(settings: DataSettings): Promise<number> {
  if (settings.objectStoreMemoryLimit !== undefined) return settings.objectStoreMemoryLimit;
  const nodes = await lux.nodes();
  const capacity = nodes.filter((n) => n.alive).reduce((s, n) => s + n.objectStore.capacity, 0);
  return capacity * settings.objectStoreMemoryLimitFraction;
}

async function clusterCpus(): Promise<number> {
  const resources = await lux.clusterResources();
  return Math.max(1, resources["CPU"] ?? 1);
}
