import type { RayletService, RpcConnection } from "@lux/protocol";
import { TaskCancelledError } from "@lux/common";
import type { ActorSubmitter } from "./actor-submitter.js";
import type { PeerPool } from "./connections.js";
import type { ObjectRef } from "./object-ref.js";
import type { TaskRecord } from "./task-record.js";
import type { TaskResults } from "./task-results.js";
import type { TaskSubmitter } from "./task-submitter.js";

export interface TaskCancellerDeps {
  /** This process's address: only the owner of a task's results can cancel it. */
  selfAddress: string;
  results: Pick<TaskResults, "byObject" | "fail">;
  submitter: Pick<TaskSubmitter, "dequeue">;
  actors: Pick<ActorSubmitter, "remove">;
  /** This node's raylet: kills the worker of a task cancelled with force. */
  raylet: Pick<RpcConnection<RayletService>, "call">;
  /** Reaches the worker of a running task to ask it to cancel. */
  peers: PeerPool;
}

/**
 * `lux.cancel`: a queued task leaves its queue; a running one is asked to stop (or, with
 * force, its worker is killed). Either way its results fail with TaskCancelledError at once.
 */
export class TaskCanceller {
  constructor(private readonly deps: TaskCancellerDeps) {}

  async cancel(ref: ObjectRef, force: boolean, recursive: boolean): Promise<void> {
    if (ref.ownerAddress !== this.deps.selfAddress) {
      throw new TypeError(`only the process that submitted a task can cancel it; ${ref.toString()} is owned by ${ref.ownerAddress}`);
    }
    const record = this.deps.results.byObject(ref.objectId);
    if (record === undefined) return; // finished already
    await this.cancelRecord(record, force, recursive);
  }

  async cancelRecord(record: TaskRecord, force: boolean, recursive: boolean): Promise<void> {
    const { results, submitter, actors, raylet, peers } = this.deps;
    record.cancelled = true;
    const worker = record.worker;
    const wasRunning = record.state === "running";
    if (record.state === "queued") {
      submitter.dequeue(record);
      if (record.spec.actorId !== undefined) actors.remove(record.spec.actorId, record);
    }
    results.fail(record, new TaskCancelledError({ taskId: record.spec.taskId }));
    if (!wasRunning || worker === undefined) return;
    if (force) {
      await raylet.call("killWorker", { workerId: worker.workerId, reason: `task ${record.spec.name} was cancelled with force` });
    } else {
      const peer = await peers.get(worker.address).catch(() => undefined);
      peer?.notify("cancelTask", { taskId: record.spec.taskId, recursive });
    }
  }
}
