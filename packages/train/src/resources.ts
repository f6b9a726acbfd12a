/**
 * Whether the cluster could ever hold a trainer's workers: how many bundles each node can hold
 * (all of its resources free), whether they add up to the workers, and whether the strategy is
 * possible (STRICT_PACK: all on one node; STRICT_SPREAD: one per node). Checked against the
 * nodes alive when `fit()` starts, so a demand no cluster change short of new nodes could meet
 * fails at once instead of waiting.
 */
import * as lux from "lux";
import { InsufficientResourcesError, type PlacementStrategy } from "lux";

type Resources = Record<string, number>;

/** How many bundles of `bundle` a node of `have` holds. */
function holds(bundle: Resources, have: Resources): number {
  let n = Infinity;
  for (const [name, amount] of Object.entries(bundle)) if (amount > 0) n = Math.min(n, Math.floor((have[name] ?? 0) / amount + 1e-9));
  return n;
}

function times(bundle: Resources, n: number): Resources {
  return Object.fromEntries(Object.entries(bundle).map(([k, v]) => [k, v * n]));
}

/** `{ CPU: 2, GPU: 1 }`, the resources named in `like` only (the others do not matter here). */
function show(r: Resources, like: Resources = r): string {
  const parts = Object.keys(like).map((k) => `${k}: ${formatAmount(k, r[k] ?? 0)}`);
  return `{ ${parts.join(", ")} }`;
}

function formatAmount(name: string, v: number): string {
  return name === "memory" || name === "object_store_memory" ? `${v} bytes` : String(Math.round(v * 1e4) / 1e4);
}

/** Throws InsufficientResourcesError (with the numbers) when the workers can never all be placed. */
export async function checkFeasible(what: string, numWorkers: number, bundle: Resources, strategy: PlacementStrategy): Promise<void> {
  const nodes = (await lux.nodes()).filter((n) => n.alive).map((n) => n.resources);
  const totals = await lux.clusterResources();
  const total = times(bundle, numWorkers);
  const perNode = nodes.map((n) => holds(bundle, n));
  const holding = perNode.filter((k) => k > 0).length;
  const capacity = perNode.reduce((a, b) => a + b, 0);
  const largest = Object.fromEntries(Object.keys(bundle).map((k) => [k, Math.max(0, ...nodes.map((n) => n[k] ?? 0))]));
  const demand = `${numWorkers} worker${numWorkers === 1 ? "" : "s"} of ${show(bundle)} (${strategy}): ${show(total)} in all`;
  const have = `${show(totals, bundle)} in all on ${nodes.length} node${nodes.length === 1 ? "" : "s"}, at most ${show(largest, bundle)} on one`;
  const problem =
    holding === 0
      ? "no node can hold one worker"
      : capacity < numWorkers
        ? `the nodes can hold ${capacity} such worker${capacity === 1 ? "" : "s"} in all`
        : strategy === "STRICT_PACK" && Math.max(...perNode) < numWorkers
          ? `STRICT_PACK puts every worker on one node, and a node holds at most ${Math.max(...perNode)}`
          : strategy === "STRICT_SPREAD" && holding < numWorkers
            ? `STRICT_SPREAD puts each worker on its own node, and only ${holding} node${holding === 1 ? "" : "s"} can hold one`
            : undefined;
  if (problem !== undefined) throw new InsufficientResourcesError({ what, demand: `${demand} (${problem})`, totals: have });
}

/**
 * A dataset's read and map tasks need CPUs beside the workers' (1 each by default). When the
 * workers take the cluster's CPUs, the shards never fill and the loops wait: say so once.
 */
export async function warnIfNoCpuForData(numWorkers: number, bundle: Resources, datasets: number): Promise<void> {
  if (datasets === 0) return;
  const cpus = (await lux.clusterResources())["CPU"] ?? 0;
  const left = cpus - numWorkers * (bundle["CPU"] ?? 0);
  if (left >= 1) return;
  process.emitWarning(
    `the trainer's ${numWorkers} workers take ${cpus - Math.max(0, left)} of the cluster's ${cpus} CPUs, leaving ${Math.max(0, left)}: ` +
      "its datasets' tasks (1 CPU each by default) may never run, and the workers would wait for their shards. " +
      "Give the cluster more CPUs, or the workers fewer (scalingConfig.resourcesPerWorker).",
    { code: "LUX_TRAIN_NO_CPU_FOR_DATA" },
  );
}
