import { plainResources } from "@lux/common";
import { requireCore } from "./api.js";
import type { CoreWorker } from "./core-worker.js";
import { signalOf, taskContext, type TaskContext } from "./task-context.js";

/** Where the calling code runs, and for which task. */
export interface RuntimeContext {
  jobId: string;
  nodeId: string;
  /**
   * The labels of the node this code runs on: its own (`lux start --labels`,
   * `addNode({ labels })`) and the built-in `lux.io/node-id` and, on a node with GPUs found,
   * `lux.io/accelerator-type`.
   */
  nodeLabels: Record<string, string>;
  workerId: string;
  /** The running task, inside a task or actor method. */
  taskId: string | undefined;
  /** The actor, inside an actor. */
  actorId: string | undefined;
  /** The actor's `name` option, inside a named actor. */
  actorName: string | undefined;
  namespace: string;
  /**
   * The running task's name: its `name` option, else its function's; `Class.method` for an
   * actor call (`Class.constructor` in the constructor). Undefined outside a task.
   */
  taskName: string | undefined;
  /** The running task's function, whatever its `name` option; `Class.method` for an actor call. */
  taskFunctionName: string | undefined;
  /**
   * Inside an actor: whether it was created again after its process died (or it was killed
   * to restart), so state kept outside it may need reloading. False on its first creation,
   * and outside an actor.
   */
  wasCurrentActorReconstructed: boolean;
  /** What the running task or actor holds, e.g. `{ CPU: 1, GPU: 1 }`; `{}` outside one. */
  assignedResources: Record<string, number>;
  /** GPU device ids assigned to the running task or actor. */
  gpuIds: number[];
  /**
   * Aborted (reason: TaskCancelledError) when the running task or actor call is cancelled
   * with `lux.cancel`. A running task is never interrupted: code that checks the signal (or
   * passes it to `fetch` and the like) stops early; code that ignores it runs to its end,
   * and holds its worker and resources until then, unless cancelled with `force`. Outside a
   * task, a signal that never aborts.
   */
  signal: AbortSignal;
}

const NEVER_ABORTED = new AbortController().signal;

/** Where the calling code runs: its job, node and worker, and the task or actor it runs for. */
export function getRuntimeContext(): RuntimeContext {
  const c = requireCore("lux.getRuntimeContext");
  const ctx = taskContext.getStore();
  const hosted = c.executor.hosted;
  const visible = c.options.mode === "worker" ? process.env["CUDA_VISIBLE_DEVICES"] ?? "" : "";
  const { taskName, taskFunctionName } = namesOf(c, ctx);
  return {
    jobId: c.options.jobId,
    nodeId: c.nodeId,
    nodeLabels: { ...c.nodeLabels },
    workerId: c.options.workerId,
    taskId: ctx?.taskId,
    actorId: ctx?.actorId ?? hosted?.actorId,
    actorName: hosted?.name,
    namespace: c.options.namespace,
    taskName,
    taskFunctionName,
    wasCurrentActorReconstructed: hosted?.reconstructed ?? false,
    assignedResources: plainResources(hosted?.resources ?? ctx?.spec?.resources ?? {}),
    gpuIds: visible === "" ? [] : visible.split(",").map(Number),
    signal: ctx === undefined ? NEVER_ABORTED : signalOf(ctx),
  };
}

function namesOf(c: CoreWorker, ctx: TaskContext | undefined): { taskName: string | undefined; taskFunctionName: string | undefined } {
  const spec = ctx?.spec;
  if (spec === undefined) return { taskName: ctx?.functionName, taskFunctionName: ctx?.functionName };
  if (spec.actorId === undefined) return { taskName: spec.name, taskFunctionName: ctx?.functionName };
  const name = `${c.executor.hosted?.className ?? "actor"}.${spec.method ?? spec.name}`;
  return { taskName: name, taskFunctionName: name };
}
