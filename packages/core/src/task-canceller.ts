import { InvalidOptionError, TaskCancelledError, isOwnActorCallTaskId, taskIdOfObject } from "@lux/common";
import type { ActorSubmitter } from "./actor-submitter.js";
import type { PeerPool } from "./connections.js";
import { isOwnerGone } from "./object-getter.js";
import type { ObjectRef } from "./object-ref.js";
import type { TaskRecord } from "./task-record.js";
import type { TaskResults } from "./task-results.js";
import type { TaskSubmitter } from "./task-submitter.js";

export interface TaskCancellerDeps {
  /** This process's address: it cancels the tasks it owns, and asks the owners of others. */
  selfAddress: string;
  results: Pick<TaskResults, "byObject" | "fail">;
  submitter: Pick<TaskSubmitter, "dequeue">;
  actors: Pick<ActorSubmitter, "remove">;
  /** Reaches the owner of a ref. */
  peers: PeerPool;
}

/**
 * `lux.cancel`: the owner of a task's results (the process that submitted it) cancels it,
 * wherever the ref was passed: a queued task leaves its queue; a running one is asked to stop
 * (its signal aborts) or, with force, its worker is killed. Either way its results fail with
 * TaskCancelledError at once.
 */
export class TaskCanceller {
  constructor(private readonly deps: TaskCancellerDeps) {}

  async cancel(ref: ObjectRef, force: boolean, recursive: boolean): Promise<void> {
    if (ref.ownerAddress === this.deps.selfAddress) return this.cancelOwned(ref.objectId, force, recursive);
    try {
      const owner = await this.deps.peers.get(ref.ownerAddress);
      await owner.call("cancelOwnedTask", { objectId: ref.objectId, force, recursive });
    } catch (e) {
      // An owner that is gone took its tasks' results with it: nothing is left to cancel.
      if (!isOwnerGone(e)) throw e;
    }
  }

  /** Cancels the task this process submitted that returns `objectId` (nothing if it finished, or for a put). */
  async cancelOwned(objectId: string, force: boolean, recursive: boolean): Promise<void> {
    const taskId = taskIdOfObject(objectId);
    if (force && taskId !== undefined && isOwnActorCallTaskId(taskId)) {
      throw new InvalidOptionError({
        option: "force",
        expected: "no force for an actor call: force kills a task's worker, and an actor's process hosts the actor (end it with lux.kill())",
        received: force,
      });
    }
    const record = this.deps.results.byObject(objectId);
    if (record === undefined) return; // finished already
    await this.cancelRecord(record, force, recursive);
  }

  async cancelRecord(record: TaskRecord, force: boolean, recursive: boolean): Promise<void> {
    const { results, submitter, actors } = this.deps;
    record.cancelled = true;
    const worker = record.worker;
    const wasRunning = record.state === "running";
    if (record.state === "queued") {
      submitter.dequeue(record);
      if (record.spec.actorId !== undefined) actors.remove(record.spec.actorId, record);
    }
    results.fail(record, new TaskCancelledError({ taskId: record.spec.taskId }));
    if (!wasRunning || worker === undefined) return;
    // Force kills the worker through the raylet that leased it, wherever it is, and only when
    // this task is the one it may be running: one pipelined behind another has not started.
    const killing = force ? worker.forceCancel?.(record, `task ${record.spec.name} was cancelled with force`) : undefined;
    if (killing !== undefined) {
      await killing;
    } else if (worker.connection.state !== "closed") {
      // Over the connection it was pushed on: in order behind the push, and no handshake with a
      // worker whose event loop may be busy in the task (it reads the notice when it can).
      worker.connection.notify("cancelTask", { taskId: record.spec.taskId, recursive });
    }
  }
}
