/**
 * Placement groups (issue 14): `npx tsx bench/placement-groups.ts` (after a build). One run
 * on a LocalCluster of one node with the machine's CPUs.
 *
 *   groups           N groups of one small bundle ({ CPU: 0.001 }: all fit at once) created
 *                    at once, each waited for until CREATED, then all removed (Ray's placement-group create/removal
 *                    microbenchmark): groups created and removed per second; beside it,
 *                    no-op control-service round trips per second on one connection, one at
 *                    a time and 100 in flight (the ceiling a group's calls compete with)
 *
 *   tasks in bundle  no-op tasks per second run inside a bundle holding every CPU of the
 *                    node, beside the same tasks outside any group (the median of 3 runs
 *                    each, after a warm-up)
 *
 * Options: --groups N (default 1,000), --tasks N (default 10,000), --json.
 */
import * as os from "node:os";
import { type GcsService, connectRpc } from "@lux/protocol";
import { rpcPeerOptions } from "@lux/common";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { flag } from "./flags.js";

const noop = lux.remote(function noop(): number {
  return 0;
});

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

interface Results {
  groups: number;
  groups_created_and_removed_per_second: number;
  gcs_round_trips_per_second: number;
  gcs_round_trips_100_in_flight_per_second: number;
  tasks: number;
  tasks_in_bundle_per_second: number;
  tasks_outside_per_second: number;
  in_bundle_share_of_outside: number;
}

async function groupsPerSecond(n: number): Promise<number> {
  const start = process.hrtime.bigint();
  const groups = Array.from({ length: n }, () => lux.placementGroup([{ CPU: 0.001 }]));
  await lux.get(groups.map((g) => g.ready()));
  await Promise.all(groups.map((g) => lux.removePlacementGroup(g)));
  return n / seconds(start);
}

async function roundTrips(cluster: LocalCluster, n: number): Promise<{ sequential: number; pipelined: number }> {
  const gcs = await connectRpc<GcsService>(cluster.address, rpcPeerOptions(cluster.token));
  try {
    const ping = () => gcs.call("kvExists", { key: "bench-no-such-key" });
    for (let i = 0; i < 200; i++) await ping(); // warm
    let start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await ping();
    const sequential = n / seconds(start);
    start = process.hrtime.bigint();
    let sent = 0;
    const lane = async (): Promise<void> => {
      while (sent < n) {
        sent++;
        await ping();
      }
    };
    await Promise.all(Array.from({ length: 100 }, lane));
    return { sequential, pipelined: n / seconds(start) };
  } finally {
    gcs.close();
  }
}

async function taskRate(fn: { remote(): lux.ObjectRef<number> }, tasks: number): Promise<number> {
  await lux.get(Array.from({ length: tasks }, () => fn.remote())); // workers up, code warm
  const rates: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = process.hrtime.bigint();
    await lux.get(Array.from({ length: tasks }, () => fn.remote()));
    rates.push(tasks / seconds(start));
  }
  return median(rates);
}

async function tasksInAndOut(tasks: number, cpus: number): Promise<{ inside: number; outside: number }> {
  const outside = await taskRate(noop, tasks);
  const pg = lux.placementGroup([{ CPU: cpus }]);
  await pg.wait();
  const inside = await taskRate(noop.options({ schedulingStrategy: { placementGroup: pg } }), tasks);
  await lux.removePlacementGroup(pg);
  return { inside, outside };
}

const line = (label: string, value: string, unit: string): void => console.log(`${label.padEnd(40)} ${value.padStart(12)} ${unit}`);

lux.main(async () => {
  const groups = flag("groups", 1000);
  const tasks = flag("tasks", 10_000);
  const cpus = os.availableParallelism();
  const cluster = await LocalCluster.start({ head: { numCpus: cpus } });
  try {
    await lux.init({ address: cluster.address });
    await groupsPerSecond(Math.min(groups, 50)); // warm
    const groupRate = await groupsPerSecond(groups);
    const trips = await roundTrips(cluster, Math.max(groups, 2000));
    const { inside, outside } = await tasksInAndOut(tasks, cpus);
    const r: Results = {
      groups,
      groups_created_and_removed_per_second: groupRate,
      gcs_round_trips_per_second: trips.sequential,
      gcs_round_trips_100_in_flight_per_second: trips.pipelined,
      tasks,
      tasks_in_bundle_per_second: inside,
      tasks_outside_per_second: outside,
      in_bundle_share_of_outside: inside / outside,
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    console.log(`placement groups on one node of ${cpus} CPUs`);
    line(`${groups} groups created, ready, removed`, r.groups_created_and_removed_per_second.toFixed(0), "groups/s (Ray: 765-790 on 64 vCPUs)");
    line("control-service round trips, 1 at a time", r.gcs_round_trips_per_second.toFixed(0), "calls/s");
    line("control-service round trips, 100 in flight", r.gcs_round_trips_100_in_flight_per_second.toFixed(0), "calls/s");
    line("no-op tasks inside a bundle", r.tasks_in_bundle_per_second.toFixed(0), "tasks/s");
    line("no-op tasks outside any group", r.tasks_outside_per_second.toFixed(0), `tasks/s (inside: ${(100 * r.in_bundle_share_of_outside).toFixed(0)}%)`);
  } finally {
    await lux.shutdown();
    await cluster.shutdown();
  }
});
