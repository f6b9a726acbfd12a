/**
 * A pod's resources as Lux resources: its first container's `cpu`, `memory` and
 * `nvidia.com/gpu` (limits, else requests) become the node's CPU, memory (bytes) and GPU, so
 * the raylet in the pod offers what Kubernetes gave it.
 */

const SUFFIXES: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
};

/** A Kubernetes quantity ("500m", "2", "4Gi", "1e3") as a number; undefined if it is not one. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) && q >= 0 ? q : undefined;
  if (typeof q !== "string") return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)([a-zA-Z]{0,2})$/.exec(q.trim());
  if (m === null) return undefined;
  const factor = m[2] === "" ? 1 : SUFFIXES[m[2] as string];
  if (factor === undefined) return undefined;
  return Number(m[1]) * factor;
}

type ResourceMap = Record<string, unknown> | undefined;

/** The first container of a pod template (`nodeConfig`), if it has one. */
export function firstContainer(nodeConfig: Record<string, unknown>): Record<string, unknown> | undefined {
  const spec = nodeConfig["spec"] as { containers?: unknown } | undefined;
  const containers = spec?.containers;
  return Array.isArray(containers) && typeof containers[0] === "object" && containers[0] !== null ? (containers[0] as Record<string, unknown>) : undefined;
}

/** CPU, memory and GPU of a pod template's first container (limits over requests); `{}` if it sets none. */
export function podResources(nodeConfig: Record<string, unknown>): Record<string, number> {
  const resources = firstContainer(nodeConfig)?.["resources"] as { limits?: ResourceMap; requests?: ResourceMap } | undefined;
  const pick = (name: string): number | undefined => parseQuantity(resources?.limits?.[name] ?? resources?.requests?.[name]);
  const out: Record<string, number> = {};
  const cpu = pick("cpu");
  const memory = pick("memory");
  const gpu = pick("nvidia.com/gpu");
  // A fraction of a core is still a node that runs one task at a time.
  if (cpu !== undefined) out["CPU"] = Math.max(1, Math.floor(cpu));
  if (memory !== undefined) out["memory"] = Math.floor(memory);
  if (gpu !== undefined && gpu > 0) out["GPU"] = Math.floor(gpu);
  return out;
}
