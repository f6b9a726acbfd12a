/** The rules of a cluster YAML that its JSON schema cannot say: values that must agree with each other. */
import { InvalidOptionError, checkNodeLabels, type ClusterConfigProblem } from "@lux/common";
import type { ClusterConfig, NodeTypeConfig } from "./cluster-config.js";
import { firstContainer } from "./pod-resources.js";

type LineOf = (path: readonly string[], key?: boolean) => number | undefined;
type Add = (path: string[], message: string, key?: boolean) => void;

/** Resource names that are almost certainly a miscased built-in one. */
const MISCASED: Record<string, string> = { cpu: "CPU", gpu: "GPU", Memory: "memory", MEMORY: "memory" };

/** `raw`: the file's value as written (before defaults), to tell a value set from a default. */
export function checkClusterRules(config: ClusterConfig, raw: unknown, lineOf: LineOf): ClusterConfigProblem[] {
  const problems: ClusterConfigProblem[] = [];
  const add = (path: string[], message: string, key = false): void => {
    const line = lineOf(path, key);
    problems.push({ path: path.join("."), ...(line !== undefined ? { line } : {}), message });
  };
  const names = Object.keys(config.availableNodeTypes);
  if (!(config.headNodeType in config.availableNodeTypes)) add(["headNodeType"], `must name one of availableNodeTypes (${names.join(", ")})`);
  if (config.provider.type !== "kubernetes") {
    for (const key of ["namespace", "headAddress"]) if (key in config.provider) add(["provider", key], "is for the kubernetes provider only", true);
  }
  let minTotal = 0;
  for (const t of Object.values(config.availableNodeTypes)) {
    minTotal += t.minWorkers;
    const rawType = (raw as { availableNodeTypes: Record<string, Record<string, unknown>> }).availableNodeTypes[t.name];
    checkNodeType(config, t, rawType?.["maxWorkers"] !== undefined, add);
  }
  if (minTotal > config.maxWorkers) add(["maxWorkers"], `must be ≥ the node types' minWorkers together (${minTotal})`);
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function checkNodeType(config: ClusterConfig, t: NodeTypeConfig, ownMax: boolean, add: Add): void {
  const base = ["availableNodeTypes", t.name];
  if (t.maxWorkers < t.minWorkers) {
    if (ownMax) add([...base, "maxWorkers"], "must be ≥ minWorkers");
    else add([...base, "minWorkers"], `must be ≤ maxWorkers (the cluster's, ${t.maxWorkers}, as the type sets none)`);
  }
  for (const [name, amount] of Object.entries(t.resources)) {
    const meant = MISCASED[name];
    if (meant !== undefined) add([...base, "resources", name], `is not a resource Lux knows: did you mean ${meant}?`, true);
    if (name === "GPU" && !Number.isInteger(amount)) add([...base, "resources", name], "must be a whole number of GPUs");
  }
  if (Object.keys(t.resources).length === 0) {
    const where = config.provider.type === "kubernetes" ? "set it, or the cpu and memory of the pod's container in nodeConfig" : "the local provider starts nodes with exactly these";
    add([...base, "resources"], `must say what a node of this type offers (e.g. { CPU: 4 }): ${where}`);
  }
  try {
    checkNodeLabels(t.labels, "labels");
  } catch (e) {
    if (!(e instanceof InvalidOptionError)) throw e;
    const key = e.option.split(".").slice(1).join(".");
    add([...base, "labels", ...(key === "" ? [] : [key])], `is not a valid node label: expected ${e.expected}`, key !== "");
  }
  if (config.provider.type === "local") checkLocalNodeConfig(t, base, add);
  else if (firstContainer(t.nodeConfig)?.["image"] === undefined) {
    add([...base, "nodeConfig"], "must be a pod template whose spec.containers[0] has an image (the provider adds its command)");
  }
}

function checkLocalNodeConfig(t: NodeTypeConfig, base: string[], add: Add): void {
  for (const [key, value] of Object.entries(t.nodeConfig)) {
    if (key !== "objectStoreMemory") add([...base, "nodeConfig", key], "is not a known key of a local node (objectStoreMemory)", true);
    else if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) add([...base, "nodeConfig", key], "must be a positive number of bytes");
  }
}
