/** `lux status`: the nodes of a cluster and its resources; fails when no cluster answers. */
import { readTokenFile, tokenFileAddresses } from "@lux/common";
import { autoAddress, connectControlService, type ControlServiceClient } from "@lux/launcher";
import { CliError } from "./errors.js";

export async function status(opts: { address?: string }): Promise<void> {
  const env = process.env["LUX_ADDRESS"];
  const given = opts.address ?? (env !== undefined && env !== "" ? env : "auto");
  const { address, client } = given === "auto" ? await findLocalCluster() : { address: given, client: await connect(given) };
  try {
    const [nodes, view, demand] = await Promise.all([client.nodes(), client.resources(), client.demand()]);
    const alive = nodes.filter((n) => n.alive);
    const lines = [`Cluster at ${address}`, `Nodes: ${alive.length} alive, ${nodes.length - alive.length} dead`];
    for (const n of nodes) {
      const res = Object.entries(n.resources)
        .filter(([k]) => k !== "memory")
        .map(([k, v]) => `${k} ${formatAmount(v)}`)
        .join(", ");
      // The built-in node-id label repeats the id at the start of the line.
      const labels = Object.entries(n.labels ?? {}).filter(([k]) => k !== "lux.io/node-id");
      lines.push(
        `  ${n.nodeId}  ${n.address}  ${n.alive ? "alive" : "dead"}  object store: ${n.storeKind} ${formatBytes(n.storeCapacity)}  ${res}` +
          (labels.length === 0 ? "" : `  labels: ${labels.map(([k, v]) => `${k}=${v}`).join(", ")}`),
      );
    }
    lines.push("Resources (used / total):");
    for (const [name, total] of Object.entries(view.total).sort(([a], [b]) => a.localeCompare(b))) {
      const used = total - (view.available[name] ?? 0);
      const fmt = name === "memory" ? formatBytes : formatAmount;
      lines.push(`  ${name}: ${fmt(used)} / ${fmt(total)}`);
    }
    lines.push(demand.length === 0 ? "Pending demand: none" : "Pending demand:");
    for (const d of demand) {
      const plural = d.count === 1 ? "" : "s";
      const selector = d.labelSelector === undefined ? "" : ` on nodes matching ${JSON.stringify(d.labelSelector)}`;
      lines.push(`  ${JSON.stringify(d.resources)}${selector}: ${d.count} ${d.kind}${plural}${d.infeasible ? " (no node can ever provide this)" : ""}`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } catch (e) {
    throw new CliError(`the cluster at ${address} did not answer: ${(e as Error).message}`);
  } finally {
    client.close();
  }
}

async function connect(address: string): Promise<ControlServiceClient> {
  const token = process.env["LUX_TOKEN"] || readTokenFile(address);
  if (token === undefined) throw new CliError(`no token for the cluster at ${address}: set LUX_TOKEN`);
  try {
    return await connectControlService(address, token);
  } catch (e) {
    throw new CliError(`no cluster answers at ${address}: ${(e as Error).message}`);
  }
}

/**
 * With no address: the cluster `lux start` started on this machine, else the newest
 * cluster a driver's `lux.init()` started here that still answers (found by its token file).
 */
async function findLocalCluster(): Promise<{ address: string; client: ControlServiceClient }> {
  const started = autoAddress();
  if (started !== undefined) return { address: started, client: await connect(started) };
  for (const address of tokenFileAddresses()) {
    const token = readTokenFile(address);
    if (token === undefined) continue;
    try {
      return { address, client: await connectControlService(address, token) };
    } catch {
      // a token file left by a control service that was killed: try the next
    }
  }
  throw new CliError(
    "no cluster runs on this machine: none started by `lux start`, and no driver's `lux.init()` cluster answers (pass --address HOST:PORT for another machine's)",
  );
}

function formatAmount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
