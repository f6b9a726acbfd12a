import { defineConfig } from "../config-define.js";

/** Submitting tasks from an owner, and running them in a worker. */
export const TASK_ENTRIES = [
  defineConfig({
    name: "workerLeaseIdleMs",
    type: "number",
    // Long enough to reuse a lease between back-to-back tasks, short enough not to keep
    // CPUs from other owners waiting for them.
    default: 20,
    integer: true,
    min: 0,
    doc: "How long an owner keeps a leased worker with no queued tasks before returning it to the raylet.",
  }),
  defineConfig({
    name: "maxTasksInFlightPerWorker",
    type: "number",
    default: 256,
    integer: true,
    min: 1,
    doc: "Tasks an owner pushes ahead to one leased worker (pipelining), so it runs them back to back without a round trip between them. A worker hands them back when the task before runs long or blocks; 1 turns pipelining off.",
  }),
  defineConfig({
    name: "pipelineRequeueAfterMs",
    type: "number",
    default: 20,
    integer: true,
    min: 0,
    doc: "A worker hands tasks pipelined behind a running one back to their owner once that task has run this long, so they can run elsewhere. Shorter spreads work sooner; longer keeps more short tasks on one worker.",
  }),
  defineConfig({
    name: "maxPendingLeaseRequests",
    type: "number",
    default: 16,
    integer: true,
    min: 1,
    doc: "Lease requests an owner keeps in flight per task shape (resources, strategy, runtime env). More leases workers faster for a burst of tasks; fewer sends fewer requests that end up cancelled.",
  }),
  defineConfig({
    name: "backlogReportIntervalMs",
    type: "number",
    default: 100,
    integer: true,
    min: 1,
    doc: "How often at most an owner tells the raylet holding its newest lease request how many tasks of that shape it queues beyond its requests (pending demand, which `lux status` shows and the autoscaler scales to). Shorter shows a growing backlog sooner; longer sends fewer reports during a burst.",
  }),
  defineConfig({
    name: "maxLeaseSpillbacks",
    type: "number",
    default: 20,
    integer: true,
    min: 0,
    doc: "Spillbacks one lease request follows (they chain only while the raylets' views disagree) before its task fails with LeaseFailedError.",
  }),
  defineConfig({
    name: "spillbackRetryMs",
    type: "number",
    default: 50,
    integer: true,
    min: 0,
    doc: "Pause before an owner asks its local raylet again when the node a lease request was spilled to cannot be reached.",
  }),
  defineConfig({
    name: "maxWorkerStartFailures",
    type: "number",
    default: 10,
    integer: true,
    min: 1,
    doc: "Lease requests of one task shape that may fail in a row (workers dying while they start) before the next task of that shape fails.",
  }),
  defineConfig({
    name: "runtimeEnvMaxBytes",
    type: "number",
    default: 100 * 1024 * 1024,
    integer: true,
    min: 1,
    doc: "Most bytes of files a runtimeEnv.workingDir may hold (after excludes); a bigger one fails with RuntimeEnvSetupError.",
  }),
  defineConfig({
    name: "generatorItemsInFlight",
    type: "number",
    // Enough to keep a fast generator's items flowing over one connection while the owner's
    // acknowledgements travel back; few enough to bound what a worker sends ahead.
    default: 128,
    integer: true,
    min: 1,
    doc: "Items a generator task's worker sends its owner ahead of the owner's acknowledgements (without generatorBackpressureNumObjects, which bounds it by what the consumer took). More keeps a fast generator's items flowing; fewer bounds what is in flight.",
  }),
] as const;
