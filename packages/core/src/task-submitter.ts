import type { Clock, LeaseGrant, TaskReply, TaskReplyWire, TimerHandle } from "@lux/protocol";
import { ConnectionClosedError, encodeTaskSpec } from "@lux/protocol";
import { PlacementGroupRemovedError, resourcesInBundle, runtimeEnvKey, type ConfigValues } from "@lux/common";
import type { PeerConnection, PeerPool, RayletConnection, RayletPool } from "./connections.js";
import { Fifo } from "./fifo.js";
import { LeaseRequester, type LeaseShape } from "./lease-requester.js";
import type { TaskEvents } from "./task-events.js";
import type { RunningOn, TaskRecord } from "./task-record.js";
import type { TaskResults } from "./task-results.js";
import { WorkerDeaths } from "./worker-deaths.js";

interface Lease {
  grant: LeaseGrant;
  /** The raylet that granted the lease: it gets the lease back. */
  raylet: RayletConnection;
  connection: PeerConnection;
  /** Where its tasks run (shared by their records). */
  worker: RunningOn;
  /**
   * Tasks pushed and not yet answered, in push order (several when pipelined). The worker
   * runs them one at a time in that order, so only the first can have started: when the
   * worker dies, the others go back to the queue, not charged a retry.
   */
  tasks: TaskRecord[];
  /** Of `tasks`, those whose function is not known to hand back: none is pipelined behind them. */
  holding: number;
  /** The worker sent pipelined tasks back (its task ran long or blocked): one at a time until it drains. */
  requeued: boolean;
  idleTimer: TimerHandle | undefined;
  /**
   * Its worker ran its last call (a function's maxCalls): out of its key's leases, no task
   * goes to it; those still in flight come back unstarted, then the lease is returned.
   */
  spent: boolean;
  /** A spent lease was returned. */
  returned: boolean;
}

/** Tasks of one shape (resources + scheduling strategy + runtime env + label selector) share leased workers. */
interface KeyQueue extends LeaseShape {
  key: string;
  leases: Set<Lease>;
}

/** The config entries a TaskSubmitter uses (see docs/config.md for what each trades). */
export type TaskSubmitterConfig = Pick<
  ConfigValues,
  | "maxPendingLeaseRequests"
  | "maxWorkerStartFailures"
  | "maxTasksInFlightPerWorker"
  | "maxLeaseSpillbacks"
  | "backlogReportIntervalMs"
  | "spillbackRetryMs"
  | "workerLeaseIdleMs"
  | "rpcBestEffortTimeoutMs"
  | "oomRetryDelayMs"
  | "oomRetryMaxDelayMs"
>;

export interface TaskSubmitterDeps {
  jobId: string;
  /** This node's id: a worker leased here is reached through its Unix socket. */
  nodeId: string;
  /** This node's raylet: every lease request starts there. */
  raylet: RayletConnection;
  /** Other nodes' raylets, by address, for requests spilled back to them. */
  raylets: RayletPool;
  /** Leased workers, by address (one connection per worker, taken once per lease). */
  workers: PeerPool;
  /** Where tasks end: their results, or their errors; and where a task going back to the queue is reported (task events, if on). */
  results: Pick<TaskResults, "complete" | "fail" | "events">;
  /** Whether a placement group was removed (a task in it whose worker died then fails, not retries). */
  placementGroupRemoved(placementGroupId: string): Promise<boolean>;
  /** Times idle leases and pauses before retries. */
  clock: Clock;
  config: TaskSubmitterConfig;
}

/**
 * Submits normal tasks: queues them by shape, has a LeaseRequester lease workers for them
 * (from the local raylet, or from the raylet it spills back to), pushes tasks straight to
 * those workers, pipelining a few per worker, and reuses a lease for queued tasks of the
 * same shape until it has been idle a while.
 */
export class TaskSubmitter {
  private readonly keys = new Map<string, KeyQueue>();
  /** Queues by options object (calls of one definition share theirs): no key to build and look up per task. */
  private readonly queueOf = new WeakMap<object, KeyQueue>();
  private nextSeq = 0;
  private closed = false;
  /** Set once this process lost its raylet: tasks enqueued from then on fail with it. */
  private lostError: Error | undefined;
  /** Acquires the leased workers (per lease, never per task). */
  private readonly requester: LeaseRequester<KeyQueue>;
  /** Retries or fails the tasks whose workers died. */
  private readonly deaths: WorkerDeaths;

  private readonly results: Pick<TaskResults, "complete" | "fail">;
  private readonly config: TaskSubmitterConfig;
  private readonly events: TaskEvents | undefined;
  /**
   * Tasks pushed ahead to one leased worker, so it runs them back to back instead of waiting
   * a round trip between tasks. The worker hands them back when the task before them runs
   * long or blocks in lux.get (see TaskExecutor); a task that holds the worker's thread
   * cannot, so tasks are pipelined only behind calls of functions seen to hand back (TaskPace).
   */
  private readonly maxInFlightPerWorker: number;

  constructor(private readonly deps: TaskSubmitterDeps) {
    this.results = deps.results;
    this.config = deps.config;
    this.events = deps.results.events;
    this.maxInFlightPerWorker = deps.config.maxTasksInFlightPerWorker;
    this.requester = new LeaseRequester<KeyQueue>({
      jobId: deps.jobId,
      nodeId: deps.nodeId,
      raylet: deps.raylet,
      raylets: deps.raylets,
      workers: deps.workers,
      results: deps.results,
      clock: deps.clock,
      config: deps.config,
      leased: (kq, grant, raylet, connection, withdrawn) => this.leased(kq, grant, raylet, connection, withdrawn),
      dispatch: (kq) => this.dispatch(kq),
    });
    this.deaths = new WorkerDeaths({ results: deps.results, retry: (record) => this.enqueue(record), clock: deps.clock, config: deps.config });
  }

  /** Queues a task whose dependencies are resolved. */
  enqueue(record: TaskRecord): void {
    if (record.cancelled || this.closed) {
      // Closing fails every unfinished task (TaskResults.cancelAll); after the raylet is lost, each fails here.
      if (this.lostError !== undefined && !record.cancelled) this.results.fail(record, this.lostError);
      return;
    }
    let kq = this.queueOf.get(record.options);
    if (kq === undefined) {
      const pg = record.options.placementGroup;
      const resources = pg === undefined ? record.options.resources : resourcesInBundle(record.options.resources, pg.placementGroupId, pg.bundleIndex);
      const strategy = record.options.strategy;
      const runtimeEnv = record.options.runtimeEnvSpec;
      const labelSelector = record.options.labelSelector;
      // Retriable tasks get leases of their own: a node short of memory kills their workers first.
      const retriable = record.options.maxRetries !== 0;
      const key = JSON.stringify([resources, strategy ?? "DEFAULT", runtimeEnvKey(runtimeEnv), labelSelector ?? null, retriable]);
      kq = this.keys.get(key);
      if (kq === undefined) {
        const placementGroup = pg === undefined ? undefined : { placementGroupId: pg.placementGroupId, bundleIndex: pg.bundleIndex };
        kq = { key, resources, strategy, placementGroup, runtimeEnv, labelSelector, retriable, description: `task ${record.spec.name}`, queue: new Fifo<TaskRecord>(), leases: new Set(), pendingRequests: new Map(), startFailures: 0, reportedBacklog: 0, backlogTimer: undefined };
        this.keys.set(key, kq);
      }
      this.queueOf.set(record.options, kq);
    }
    // Waiting for a worker (again, for a retry); right after its submission this says nothing new and is not sent.
    this.events?.queued(record);
    record.state = "queued";
    record.queueSeq ??= this.nextSeq++;
    kq.queue.push(record);
    this.dispatch(kq);
  }

  /** Removes a queued task; returns false if it is not queued here. */
  dequeue(record: TaskRecord): boolean {
    for (const kq of this.keys.values()) {
      const i = kq.queue.findIndex((r) => r === record);
      if (i >= 0) {
        kq.queue.removeAt(i);
        return true;
      }
    }
    return false;
  }

  close(): void {
    this.closed = true;
    this.requester.close();
    this.deaths.close();
    for (const kq of this.keys.values()) {
      for (const lease of kq.leases) lease.idleTimer?.cancel();
      for (const [requestId, raylet] of kq.pendingRequests) raylet.notify("cancelLeaseRequest", { requestId });
    }
    this.keys.clear();
  }

  /**
   * This process lost its raylet for good: no lease can be had any more, so every task
   * enqueued from now on fails with `error` (those in flight are failed by TaskResults.failAll).
   */
  lost(error: Error): void {
    this.lostError = error;
    this.closed = true;
    this.requester.close();
    this.deaths.close();
    for (const kq of this.keys.values()) {
      for (const lease of kq.leases) lease.idleTimer?.cancel();
      for (const record of kq.queue.drain()) this.results.fail(record, error);
    }
  }

  /**
   * A node was declared dead: no task is pushed to its workers any more, and tasks running
   * there end now, as if their worker died (retried or failed): pushTask waits as long as
   * the task runs, and a hung or partitioned machine would never close its connection. Lease
   * requests queued at its raylet are placed again (its connection is closed too).
   */
  nodeDied(nodeId: string): void {
    this.requester.nodeDied(nodeId);
    for (const kq of this.keys.values()) {
      for (const lease of kq.leases) {
        if (lease.grant.nodeId !== nodeId) continue;
        lease.idleTimer?.cancel();
        if (lease.tasks.length > 0) lease.connection.close(true); // its tasks fail over in run()'s callback
        else kq.leases.delete(lease);
      }
    }
  }

  private dispatch(kq: KeyQueue): void {
    // SPREAD: a task with a lease request of its own waits for that lease (the raylet
    // places SPREAD requests on the nodes in turn) instead of taking the worker of
    // whichever node frees one first; only tasks beyond the requests reuse leases.
    const spread = kq.strategy === "SPREAD";
    let reusable = spread ? kq.queue.length - kq.pendingRequests.size : kq.queue.length;
    // First one task per worker (spread the work), then fill each worker's pipeline.
    for (const lease of kq.leases) {
      if (kq.queue.length === 0 || reusable <= 0) break;
      if (lease.tasks.length === 0) {
        this.run(kq, lease, kq.queue.shift() as TaskRecord);
        reusable--;
      }
    }
    const wanted = Math.min(kq.queue.length, this.config.maxPendingLeaseRequests) - kq.pendingRequests.size;
    for (let i = 0; i < wanted; i++) void this.requester.request(kq);
    if (Math.max(0, kq.queue.length - kq.pendingRequests.size) !== kq.reportedBacklog) this.requester.backlogChanged(kq);
    // SPREAD tasks are not pipelined: each runs on the node its lease was placed on.
    if (spread) return;
    // Pipeline only the tasks beyond those a requested lease will take: a task must not
    // wait behind another when a worker of its own may be granted.
    // Each to the least loaded worker, so a burst of submissions spreads evenly; never behind
    // a task that may hold its worker's thread (it could not hand the task back).
    for (let excess = kq.queue.length - kq.pendingRequests.size; excess > 0; excess--) {
      let best: Lease | undefined;
      for (const lease of kq.leases) {
        const n = lease.tasks.length;
        if (n >= (lease.requeued ? 1 : this.maxInFlightPerWorker) || lease.holding > 0) continue;
        if (best === undefined || n < best.tasks.length) best = lease;
      }
      if (best === undefined) return;
      this.run(kq, best, kq.queue.shift() as TaskRecord);
    }
  }

  /** The requester connected a worker leased for `kq`: it runs queued tasks, or idles, or goes back. */
  private leased(kq: KeyQueue, grant: LeaseGrant, raylet: RayletConnection, connection: PeerConnection, withdrawn: boolean): void {
    const worker: RunningOn = { workerId: grant.workerId, address: grant.workerAddress, connection };
    const lease: Lease = { grant, raylet, connection, worker, tasks: [], holding: 0, requeued: false, idleTimer: undefined, spent: false, returned: false };
    worker.forceCancel = (record, reason) =>
      lease.tasks[0] === record ? raylet.call("killWorker", { workerId: grant.workerId, reason }) : undefined;
    kq.leases.add(lease);
    if (kq.queue.length > 0) {
      // The new worker takes the first task (it was requested for it), not an idle one of another node.
      this.run(kq, lease, kq.queue.shift() as TaskRecord);
      this.dispatch(kq);
    } else if (withdrawn) this.release(kq, lease);
    else this.idle(kq, lease);
  }

  private run(kq: KeyQueue, lease: Lease, record: TaskRecord): void {
    lease.idleTimer?.cancel();
    lease.tasks.push(record);
    record.mayHoldWorker = !record.pace.handsBack;
    if (record.mayHoldWorker) lease.holding++;
    record.state = "running";
    record.worker = lease.worker;
    // Set only when it changes: a PlainTask's empty list is on its prototype (no own field per push).
    const gpuIds = lease.grant.gpuIds;
    if (gpuIds.length > 0 || record.spec.gpuIds.length > 0) record.spec.gpuIds = gpuIds;
    lease.connection.callback("pushTask", encodeTaskSpec(lease.connection, record.spec), (error, reply) => {
      if (error === undefined) {
        this.settled(lease, record);
        // A reply of bytes alone (one inline return) carries none of the flags.
        const flags = reply instanceof Uint8Array ? undefined : (reply as TaskReply);
        if (flags?.requeue === true) {
          // Handed back unstarted: run it elsewhere (or here, later), not counted as a retry.
          lease.requeued = lease.tasks.length > 0;
          this.requeue(kq, record);
        } else {
          record.pace.handsBack = flags?.heldThread !== true;
          // Before completing: a retry the completion queues must not go to the spent worker.
          if (flags?.workerExiting === true) this.spend(kq, lease);
          this.results.complete(record, reply as TaskReplyWire, lease.connection);
        }
        this.afterTask(kq, lease);
        return;
      }
      if (error instanceof ConnectionClosedError || lease.connection.state === "closed") {
        // Every task in flight on the lease fails at once: the first callback settles them all.
        if (kq.leases.delete(lease)) this.leaseDied(kq, lease, error);
        else if (lease.spent) this.spentWorkerGone(kq, lease);
      } else {
        this.settled(lease, record);
        this.results.fail(record, error);
        this.afterTask(kq, lease);
      }
      this.dispatch(kq);
    });
  }

  /** Puts a task that did not run back where it was in submission order (not a retry). */
  private requeue(kq: KeyQueue, record: TaskRecord): void {
    record.worker = undefined;
    if (record.cancelled || record.state !== "running") return;
    record.state = "queued";
    const seq = record.queueSeq ?? 0;
    const at = kq.queue.findIndex((r) => (r.queueSeq ?? 0) > seq);
    kq.queue.insert(at < 0 ? kq.queue.length : at, record);
  }

  /**
   * The leased worker died (crashed, was killed, or its node died). Only the first task in
   * flight can have started: it is retried or fails. The ones pipelined behind it never
   * started, so they do not share its fate: they go back to the queue uncharged.
   */
  private leaseDied(kq: KeyQueue, lease: Lease, error: Error): void {
    const [started, ...unstarted] = lease.tasks;
    lease.tasks = [];
    lease.holding = 0;
    lease.requeued = false;
    if (lease.raylet.state !== "closed") lease.raylet.notify("returnLease", { leaseId: lease.grant.leaseId, disconnect: true });
    for (const record of unstarted) this.requeue(kq, record);
    if (started !== undefined) this.workerDied(started, error, lease);
  }

  private workerDied(record: TaskRecord, error: Error, lease: Lease): void {
    const lost = (): void => this.deaths.died(record, error, lease.raylet, lease.grant.workerId);
    const pg = record.options.placementGroup;
    if (pg === undefined || record.cancelled) {
      lost();
      return;
    }
    // Its group's removal kills its worker: then the task ends with the group.
    this.deps.placementGroupRemoved(pg.placementGroupId).then(
      (removed) => {
        if (!removed || record.cancelled) lost();
        else this.results.fail(record, new PlacementGroupRemovedError({ placementGroupId: pg.placementGroupId, what: `task ${record.spec.name}` }));
      },
      lost,
    );
  }

  private settled(lease: Lease, record: TaskRecord): void {
    const tasks = lease.tasks;
    // Answered in push order but for hand-backs, which come while the first still runs.
    if (tasks[0] === record) tasks.shift();
    else {
      const i = tasks.indexOf(record);
      if (i >= 0) tasks.splice(i, 1);
    }
    if (record.mayHoldWorker) lease.holding--;
    if (tasks.length === 0) lease.requeued = false;
  }

  private afterTask(kq: KeyQueue, lease: Lease): void {
    if (kq.queue.length > 0) this.dispatch(kq);
    else this.cancelSurplusRequests(kq);
    // Idle with tasks still queued only under SPREAD, while they wait for leases of their own.
    if (lease.tasks.length === 0) {
      if (lease.spent) this.returnSpent(lease);
      else this.idle(kq, lease);
    }
  }

  /**
   * The lease's worker ran its last call (maxCalls): it leaves the key's leases, so nothing
   * more is pushed to it (the queue's tasks get leases of their own); the tasks in flight on
   * it come back unstarted, and then the lease goes back to its raylet (see returnSpent).
   */
  private spend(kq: KeyQueue, lease: Lease): void {
    lease.spent = true;
    lease.idleTimer?.cancel();
    kq.leases.delete(lease);
  }

  /** Returns a spent lease: its raylet frees its resources now and stops the worker once it may. */
  private returnSpent(lease: Lease): void {
    if (lease.returned) return;
    lease.returned = true;
    if (lease.raylet.state !== "closed") lease.raylet.notify("returnLease", { leaseId: lease.grant.leaseId, disconnect: false, workerExiting: true });
  }

  /**
   * A spent lease's worker ended (its raylet stopped it, or it died) with tasks in flight: it
   * started none of them after its last call, so they go back to the queue uncharged.
   */
  private spentWorkerGone(kq: KeyQueue, lease: Lease): void {
    const unstarted = lease.tasks;
    if (unstarted.length === 0) return;
    lease.tasks = [];
    lease.holding = 0;
    for (const record of unstarted) this.requeue(kq, record);
    this.returnSpent(lease);
  }

  /**
   * Withdraws lease requests no queued task needs. Left queued at the raylet they would be
   * granted later to an idle owner, holding CPUs other owners' tasks are waiting for.
   */
  private cancelSurplusRequests(kq: KeyQueue): void {
    if (kq.pendingRequests.size <= kq.queue.length) return;
    for (const [requestId, raylet] of kq.pendingRequests) {
      kq.pendingRequests.delete(requestId);
      if (raylet.state !== "closed") raylet.notify("cancelLeaseRequest", { requestId });
      if (kq.pendingRequests.size <= kq.queue.length) return;
    }
  }

  private idle(kq: KeyQueue, lease: Lease): void {
    lease.idleTimer?.cancel();
    // An idle lease does not keep a driver alive: its script may be done.
    lease.idleTimer = this.deps.clock
      .setTimeout(() => {
        if (lease.tasks.length > 0 || !kq.leases.has(lease)) return;
        this.release(kq, lease);
      }, this.config.workerLeaseIdleMs)
      .unref();
  }

  private release(kq: KeyQueue, lease: Lease): void {
    lease.idleTimer?.cancel();
    kq.leases.delete(lease);
    if (lease.raylet.state !== "closed") lease.raylet.notify("returnLease", { leaseId: lease.grant.leaseId, disconnect: false });
  }
}
