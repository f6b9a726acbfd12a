/** The optimized plan's operators by name, as the executor builds them (fused map steps joined by "->"). */
import { allToAllName, type PlanNode, type TaskCompute } from "./plan.js";

interface Line {
  name: string;
  /** The compute of a task operator steps may still fuse into. */
  fusable: TaskCompute | undefined;
}

const READ: TaskCompute = { kind: "tasks", numCpus: 1, maxRetries: 3, concurrency: undefined };

export function explainPlan(node: PlanNode): string[] {
  const lines: Line[] = [];
  walk(node, lines);
  return lines.map((l) => l.name);
}

function walk(node: PlanNode, lines: Line[]): Line {
  const add = (line: Line): Line => (lines.push(line), line);
  switch (node.op) {
    case "read":
      return add({ name: node.source.name, fusable: READ });
    case "input":
      return add({ name: node.name, fusable: undefined });
    case "limit":
      walk(node.input, lines);
      return add({ name: `Limit(${node.n})`, fusable: undefined });
    case "allToAll":
      walk(node.input, lines);
      return add({ name: allToAllName(node.spec), fusable: undefined });
    case "union":
      for (const input of node.inputs) walk(input, lines);
      return add({ name: "Union", fusable: undefined });
    case "map": {
      const input = walk(node.input, lines);
      const c = node.compute;
      if (c.kind === "tasks" && input.fusable !== undefined && input.fusable.numCpus === c.numCpus && input.fusable.maxRetries === c.maxRetries && input.fusable.concurrency === c.concurrency) {
        input.name = `${input.name}->${node.step.name}`;
        return input;
      }
      return add({ name: node.step.name, fusable: c.kind === "tasks" ? c : undefined });
    }
  }
}
