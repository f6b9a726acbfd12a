import type { CoreWorkerService, RayletService, RpcConnection } from "@lux/protocol";
import type { CoreWorkerMode } from "./core-worker-start.js";
import type { Blocking } from "./object-getter.js";

export interface WorkerBlockingDeps {
  /** Only a worker holds a lease whose CPU can be lent; a driver's blocking is not reported. */
  mode: CoreWorkerMode;
  workerId: string;
  /** This node's raylet: it lends a blocked worker's CPU to other tasks until it unblocks. */
  raylet: RpcConnection<RayletService, CoreWorkerService>;
  /** Hands back the tasks pipelined to this worker that have not started (TaskExecutor.requeueWaiting). */
  requeueWaiting: () => void;
}

/**
 * A worker blocked in lux.get or lux.wait (nested gets and waits count once): its raylet
 * hears when it blocks and when it resumes.
 */
export class WorkerBlocking implements Blocking {
  private depth = 0;

  constructor(private readonly deps: WorkerBlockingDeps) {}

  enter(): void {
    if (this.deps.mode !== "worker") return;
    this.depth++;
    if (this.depth === 1) {
      // Tasks pipelined behind the blocked one must not wait for it (they may be what it waits for).
      this.deps.requeueWaiting();
      this.deps.raylet.notify("workerBlocked", { workerId: this.deps.workerId });
    }
  }

  leave(): void {
    if (this.deps.mode !== "worker") return;
    this.depth--;
    if (this.depth === 0) this.deps.raylet.notify("workerUnblocked", { workerId: this.deps.workerId });
  }
}
