import { CoreWorkerService, UNTIL_PEER_LOST, decodeTaskSpec, encodeTaskReply, type OutOfMemoryInfo, type RpcConnection, type ReturnValue, type TaskReply, type TaskReplyWire, type TaskSpec } from "@lux/protocol";
import { TaskError, returnIdsOf, toWireError } from "@lux/common";
import type { FakeNetwork } from "./fake-network.js";
import { FakePeer, OK } from "./fake-peer.js";

/** The inline value a return gets when the test gives none. */
export const FAKE_VALUE: Uint8Array = Uint8Array.of(0xc0); // msgpack nil

/** One return of a reply, without its object id (taken from the task's spec). */
export type FakeReturn = Omit<ReturnValue, "objectId">;

/** How a worker process ended, as its raylet reports it (getWorkerExit). */
export interface FakeExit {
  exitCode?: number;
  signal?: string;
  /** Its node's memory monitor killed it. */
  outOfMemory?: OutOfMemoryInfo;
}

/** A task pushed to a FakeWorker; the script or the test answers it once (later answers are ignored). */
export class PushedTask {
  private answered = false;

  constructor(
    readonly spec: TaskSpec,
    private readonly resolve: (reply: TaskReplyWire) => void,
    private readonly reject: (error: unknown) => void,
    /** The connection it came on: a generator task's items go back over it. */
    private readonly connection?: RpcConnection<CoreWorkerService>,
  ) {}

  /**
   * A generator task yielded item `index` (default value: an inline FAKE_VALUE): reported to
   * its owner as a real worker does, ahead of the task's reply. Resolves with the owner's
   * answer (which, with backpressure, comes once the consumer took enough).
   */
  yieldItem(index: number, item: FakeReturn = { value: FAKE_VALUE }): Promise<{ stop: boolean }> {
    if (this.connection === undefined) throw new TypeError("this task came on no connection");
    const { value, nodeId, size, contained } = item;
    return this.connection.call(
      "reportGeneratorItem",
      {
        taskId: this.spec.taskId,
        index,
        ...(value !== undefined ? { value } : {}),
        ...(nodeId !== undefined ? { nodeId } : {}),
        ...(size !== undefined ? { size } : {}),
        ...(contained !== undefined ? { contained } : {}),
      },
      UNTIL_PEER_LOST,
    );
  }

  /** Whether it was answered (or its worker died). */
  get settled(): boolean {
    return this.answered;
  }

  /**
   * The task returned: one value per return id, in order (`{ nodeId, size }` for a value in
   * a node's store; default: an inline FAKE_VALUE). In the wire form a real worker sends (one
   * inline return: its bytes alone).
   */
  reply(...returns: FakeReturn[]): void {
    this.answer(encodeTaskReply(this.replyOf(returns), this.spec.numReturns));
  }

  /** As `reply`, from a call that held the worker's thread past pipelineRequeueAfterMs (a CPU-bound synchronous function). */
  replyAfterHoldingThread(...returns: FakeReturn[]): void {
    this.answer({ ...this.replyOf(returns), heldThread: true });
  }

  /** As `reply`, from the worker's last call (its function's maxCalls): the reply says the worker is exiting. */
  replyExiting(...returns: FakeReturn[]): void {
    this.answer({ ...this.replyOf(returns), workerExiting: true });
  }

  private replyOf(returns: FakeReturn[]): TaskReply {
    const values = returnIdsOf(this.spec.taskId, this.spec.numReturns).map((objectId, i): ReturnValue => ({ ...(returns[i] ?? { value: FAKE_VALUE }), objectId }));
    const contained = values.some((r) => r.contained !== undefined && r.contained.length > 0);
    return { returns: values, ...(contained ? { hasContained: true } : {}) };
  }

  /** The task threw `error`: every return carries it as a TaskError, as a real executor replies. */
  throw(error: unknown): void {
    const wire = toWireError(new TaskError({ taskId: this.spec.taskId, functionName: this.spec.name, cause: error }));
    this.answer({ returns: returnIdsOf(this.spec.taskId, this.spec.numReturns).map((objectId) => ({ objectId, error: wire })) });
  }

  /** Handed back unstarted (the task before it on this worker ran long or blocked). */
  requeue(): void {
    this.answer({ returns: [], requeue: true });
  }

  /** The call itself fails with `error` (the worker could not run it), not the task. */
  fail(error: unknown): void {
    if (this.answered) return;
    this.answered = true;
    this.reject(error);
  }

  /** Its worker died: it will never be answered. */
  abandon(): void {
    this.answered = true;
  }

  private answer(reply: TaskReplyWire): void {
    if (this.answered) return;
    this.answered = true;
    this.resolve(reply);
  }
}

export interface FakeWorkerOptions {
  /** Default: a new address of the network, "worker-N". */
  address?: string;
  /** Default: "w-" and its address. */
  workerId?: string;
}

/**
 * A worker process (a core worker) in memory: it records the tasks pushed to it in arrival
 * order and answers each as its script says (default: at once, with an inline value) or
 * as the test says later (a script that does nothing holds the task; `nextPush`,
 * `pushes`). `die()` ends it: tasks in flight fail on the owner's side as a crash would.
 * Actor creation is accepted (and recorded); the other core-worker calls are answered
 * with `ok` and recorded (`received`), unless replaced with `handle`.
 */
export class FakeWorker extends FakePeer<CoreWorkerService> {
  readonly workerId: string;
  /** Every task pushed, in arrival order. */
  readonly pushes: PushedTask[] = [];
  /** How it ended, once it died. */
  exit: FakeExit | undefined;
  private script: (push: PushedTask) => void = (push) => push.reply();
  private taken = 0;
  private readonly pushWaiters: ((push: PushedTask) => void)[] = [];

  constructor(network: FakeNetwork, options: FakeWorkerOptions = {}) {
    const address = options.address ?? network.address("worker");
    super(network, address, CoreWorkerService);
    this.workerId = options.workerId ?? `w-${address}`;
    this.handle("pushTask", (wire, connection) => {
      const spec = decodeTaskSpec(connection, wire);
      return new Promise<TaskReplyWire>((resolve, reject) => this.pushed(new PushedTask(spec, resolve, reject, connection as RpcConnection<CoreWorkerService>)));
    });
    this.handle("createActor", () => OK);
    for (const method of OK_METHODS) this.handle(method, () => OK);
    this.handle("canExit", () => OK);
  }

  /** Specs of the tasks pushed so far, in arrival order. */
  get tasks(): TaskSpec[] {
    return this.pushes.map((p) => p.spec);
  }

  /** Pushed tasks not answered yet. */
  get held(): PushedTask[] {
    return this.pushes.filter((p) => !p.settled);
  }

  /** Answers each task pushed from now on with `script` (which may also leave it for later). */
  onPush(script: (push: PushedTask) => void): void {
    this.script = script;
  }

  /** Holds every task pushed from now on, for the test to answer. */
  hold(): void {
    this.onPush(() => undefined);
  }

  /** The next pushed task not taken by an earlier `nextPush` (waits for one). */
  nextPush(): Promise<PushedTask> {
    const push = this.pushes[this.taken];
    if (push !== undefined) {
      this.taken++;
      return Promise.resolve(push);
    }
    return new Promise((resolve) => this.pushWaiters.push(resolve));
  }

  /** The process ends (`exit`: how, for its raylet's getWorkerExit): held tasks are never answered. */
  override die(exit: FakeExit = { exitCode: 1 }): void {
    if (!this.alive) return;
    this.exit = exit;
    for (const p of this.pushes) p.abandon();
    super.die();
  }

  private pushed(push: PushedTask): void {
    this.pushes.push(push);
    const waiter = this.pushWaiters.shift();
    if (waiter !== undefined) {
      this.taken++;
      waiter(push);
    }
    this.script(push);
  }
}

const OK_METHODS = [
  "cancelTask",
  "addObjectLocation",
  "reportObjectLost",
  "nodeDied",
  "addBorrow",
  "removeBorrow",
  "releaseContained",
  "exit",
  "collectGarbage",
  "logWarning",
] as const;
