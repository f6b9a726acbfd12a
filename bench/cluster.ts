/**
 * Tasks per second on a 3-node LocalCluster (1 CPU each) on loopback.
 *
 *   npx tsx bench/cluster.ts [--runs N] [--tasks N]
 *
 * Each run submits N no-op tasks with schedulingStrategy "SPREAD" and gets them all;
 * the median rate of the runs after a warm-up is printed, with how the tasks spread.
 */
import * as lux from "lux";
import { flag } from "./flags.js";
import { LocalCluster } from "lux/testing";

const whereAmI = lux.remote(function whereAmI(): string {
  return lux.getRuntimeContext().nodeId;
});


lux.main(async () => {
  const runs = flag("runs", 3);
  const tasks = flag("tasks", 2000);
  const cluster = await LocalCluster.start({ head: { numCpus: 1 } });
  try {
    await cluster.addNode({ numCpus: 1 });
    await cluster.addNode({ numCpus: 1 });
    await cluster.waitForNodes(3);
    await lux.init({ address: cluster.address });
    const spread = whereAmI.options({ schedulingStrategy: "SPREAD" });
    const run = async (): Promise<Map<string, number>> => {
      const counts = new Map<string, number>();
      for (const node of await lux.get(Array.from({ length: tasks }, () => spread.remote()))) {
        counts.set(node, (counts.get(node) ?? 0) + 1);
      }
      return counts;
    };
    await run();
    const rates: number[] = [];
    let last = new Map<string, number>();
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      last = await run();
      rates.push(tasks / (Number(process.hrtime.bigint() - start) / 1e9));
    }
    rates.sort((a, b) => a - b);
    console.log(`3-node cluster (1 CPU each), ${tasks} tasks, SPREAD, median of ${runs}:`);
    console.log(`${"tasks".padEnd(20)} ${(rates[Math.floor(rates.length / 2)] as number).toFixed(0).padStart(8)} tasks/s`);
    console.log(`${"spread".padEnd(20)} ${[...last.values()].join(" / ")} tasks per node`);
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
  }
});
