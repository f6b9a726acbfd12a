/**
 * Many raylets on one machine (issue 25, point 4):
 *
 *   npx tsx bench/many-nodes.ts [--nodes 16] [--tasks 20000] [--cpus-per-node 0.5] [--json]
 *
 * A LocalCluster of `--nodes` raylets (0.5 CPU each) runs `--tasks` SPREAD tasks that say
 * where they ran, after a warm-up wave that starts a worker on every node. Prints tasks/s, the
 * control service's CPU (seconds during the run, and its share of one core) and RSS, and the
 * tasks per node: every node must get some (min/fair share printed; starved = none).
 */
import * as fs from "node:fs";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { flag } from "./flags.js";

const whereAmI = lux.remote(function whereAmI(): string {
  return lux.getRuntimeContext().nodeId;
});

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
}

lux.main(async () => {
  const nodes = flag("nodes", 16);
  const tasks = flag("tasks", 20_000);
  const cpus = flag("cpus-per-node", 0.5);
  const cluster = await LocalCluster.start({ head: { numCpus: cpus } });
  try {
    await Promise.all(Array.from({ length: nodes - 1 }, () => cluster.addNode({ numCpus: cpus })));
    await cluster.waitForNodes(nodes);
    await lux.init({ address: cluster.address });
    const spread = whereAmI.options({ schedulingStrategy: "SPREAD", numCpus: cpus });
    // Warm-up: a worker up on every node.
    for (let seen = new Set<string>(); seen.size < nodes; ) for (const n of await lux.get(Array.from({ length: nodes * 4 }, () => spread.remote()))) seen.add(n);
    const cpu0 = cpuSeconds(cluster.gcsPid);
    const start = process.hrtime.bigint();
    const where = await lux.get(Array.from({ length: tasks }, () => spread.remote()));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const gcsCpu = cpuSeconds(cluster.gcsPid) - cpu0;
    const counts = new Map<string, number>(cluster.nodes.map((n) => [n.nodeId, 0]));
    for (const n of where) counts.set(n, (counts.get(n) ?? 0) + 1);
    const perNode = [...counts.values()];
    const r = {
      nodes,
      tasks,
      tasks_per_second: tasks / seconds,
      gcs_cpu_seconds: gcsCpu,
      gcs_cpu_share: gcsCpu / seconds,
      gcs_rss_mib: rssMiB(cluster.gcsPid),
      min_tasks_per_node: Math.min(...perNode),
      max_tasks_per_node: Math.max(...perNode),
      starved_nodes: perNode.filter((c) => c === 0).length,
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    const line = (label: string, value: number, unit = ""): void => console.log(`${label.padEnd(40)} ${value.toLocaleString("en-US", { maximumFractionDigits: 1 }).padStart(10)} ${unit}`);
    console.log(`${nodes} raylets (${cpus} CPU each), ${tasks} SPREAD tasks:`);
    line("tasks per second", r.tasks_per_second, "/s");
    line("control service CPU during the run", r.gcs_cpu_seconds, `s (${(r.gcs_cpu_share * 100).toFixed(1)}% of a core)`);
    line("control service RSS", r.gcs_rss_mib, "MiB");
    line("tasks per node, min / max", r.min_tasks_per_node, `/ ${r.max_tasks_per_node} (fair share ${Math.round(tasks / nodes)})`);
    line("nodes that ran no task", r.starved_nodes);
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
  }
});
