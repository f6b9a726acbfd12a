/**
 * The physical plan: operators from the logical plan, with adjacent map steps of equal
 * resources fused into one operator (one task runs them all), and reads planned into tasks.
 */
import type { PlanNode, TaskCompute } from "../plan.js";
import { resolveReadTasks } from "../sources/resolve.js";
import { ActorPoolOp } from "./actor-op.js";
import type { ExecutionHooks } from "./bundle.js";
import { AllToAllOp } from "./exchange-op.js";
import type { Operator } from "./operator.js";
import { InputOp, LimitOp, UnionOp } from "./simple-ops.js";
import { ReadOp, TaskMapOp } from "./task-ops.js";

const READ_COMPUTE: TaskCompute = { kind: "tasks", numCpus: 1, maxRetries: 3, concurrency: undefined };

function sameCompute(a: TaskCompute, b: TaskCompute): boolean {
  return a.numCpus === b.numCpus && a.maxRetries === b.maxRetries && a.concurrency === b.concurrency;
}

/** The operators of a plan; the last one produces its output. */
export async function buildOperators(node: PlanNode, exec: ExecutionHooks): Promise<Operator[]> {
  const ops: Operator[] = [];
  await build(node, exec, ops);
  return ops;
}

async function build(node: PlanNode, exec: ExecutionHooks, ops: Operator[]): Promise<Operator> {
  const add = <T extends Operator>(op: T): T => (ops.push(op), op);
  switch (node.op) {
    case "read": {
      const { tasks } = await resolveReadTasks(node.source);
      const op = add(new ReadOp(node.source.name, exec, tasks, READ_COMPUTE));
      op.estimatedRows = node.source.numRows;
      return op;
    }
    case "input":
      return add(new InputOp(node.name, exec, node.blocks));
    case "limit":
      return add(new LimitOp(exec, await build(node.input, exec, ops), node.n));
    case "allToAll":
      return add(new AllToAllOp(exec, await build(node.input, exec, ops), node.spec, 3));
    case "union": {
      const inputs: Operator[] = [];
      for (const input of node.inputs) inputs.push(await build(input, exec, ops));
      return add(new UnionOp(exec, inputs));
    }
    case "map": {
      const input = await build(node.input, exec, ops);
      const compute = node.compute;
      if (compute.kind === "actors") return add(new ActorPoolOp(node.step.name, exec, [input], compute, [node.step]));
      if ((input instanceof ReadOp || input instanceof TaskMapOp) && sameCompute(input.compute, compute)) {
        input.fuse(node.step);
        return input;
      }
      const op = add(new TaskMapOp(node.step.name, exec, [input], compute));
      op.fuse(node.step);
      op.stats.name = node.step.name;
      return op;
    }
  }
}
