/**
 * Issue 16, point 6: every node serves Prometheus text on /metrics (with the cluster token),
 * lists itself in <session dir>/metrics/targets.json and in `lux status`; a task, an actor and
 * the driver record lux.util.metrics, summed per node.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as lux from "lux";
import { connectControlService } from "@lux/launcher";
import { recordInDriver, recordInTask, RecorderActor } from "./fixtures/metrics-defs.js";
import { root, runScript, waitFor, withCluster } from "./helpers.js";

// The driver (this process) reports every 100 ms, as the cluster's processes do.
process.env["LUX_METRICS_REPORT_INTERVAL_MS"] = "100";
const luxBin = path.join(root, "packages/lux/bin/lux.js");

async function metricsAddresses(address: string, token: string): Promise<Map<string, string>> {
  const client = await connectControlService(address, token);
  try {
    return new Map((await client.nodes()).filter((n) => n.alive).map((n) => [n.nodeId, n.metricsAddress ?? ""]));
  } finally {
    client.close();
  }
}

async function scrape(address: string, token: string | undefined): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://${address}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, text: await r.text() };
}

/** The value of the sample whose line starts with `series` (name and labels, as served). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics", () => {
  const env = withCluster({ head: { numCpus: 2 }, config: { metricsReportIntervalMs: 100 } });

  it("serves the node's series on /metrics, only with the cluster token", async () => {
    const { cluster } = env;
    const [nodeId, address] = [...(await metricsAddresses(cluster.address, cluster.token))][0] as [string, string];
    assert.match(address, /^127\.0\.0\.1:\d+$/);
    const { status, text } = await scrape(address, cluster.token);
    assert.equal(status, 200);
    assert.equal(sample(text, `lux_resources{node_id="${nodeId}",Name="CPU",State="USED"}`)! + sample(text, `lux_resources{node_id="${nodeId}",Name="CPU",State="AVAILABLE"}`)!, 2);
    for (const family of ["lux_object_store_used_bytes", "lux_object_store_spilled_bytes", "lux_workers", "lux_node_cpu_seconds_total", "lux_node_memory_used_bytes", "lux_rpc_server_latency_seconds"]) {
      assert.match(text, new RegExp(`^# TYPE ${family} `, "m"), family);
    }
    assert.match(text, /^lux_rpc_server_latency_seconds_count\{node_id="[0-9a-f]+",Method="registerClient"\} [1-9]/m);
    for (const token of [undefined, "wrong", `${cluster.token}x`]) {
      const denied = await scrape(address, token);
      assert.equal(denied.status, 401);
      assert.doesNotMatch(denied.text, /lux_/);
    }
    assert.equal((await fetch(`http://${address}/healthz`)).status, 200);
  });

  it("sums what a task, an actor and the driver record, per node", async () => {
    const { cluster } = env;
    const [address] = [...(await metricsAddresses(cluster.address, cluster.token)).values()] as [string];
    const actor = RecorderActor.remote();
    const [taskPid, actorPid] = await lux.get([recordInTask.remote(), actor.record.remote()]);
    assert.notEqual(taskPid, actorPid);
    recordInDriver();
    let text = "";
    await waitFor(async () => {
      text = (await scrape(address, cluster.token)).text;
      return sample(text, `test_requests_total{node_id="${nodeIdOf(text)}",route="/a"}`) === 9 && sample(text, `test_step_seconds_count{node_id="${nodeIdOf(text)}"}`) === 3;
    }, "the task's, the actor's and the driver's metrics on /metrics", 20_000, 100);
    const node = nodeIdOf(text);
    assert.equal(sample(text, `test_requests_total{node_id="${node}",route="/b"}`), 1);
    assert.equal(sample(text, `test_queue_depth{node_id="${node}",queue="q"}`), 20, "gauges: each process's last value, summed");
    assert.equal(sample(text, `test_step_seconds_bucket{node_id="${node}",le="0.1"}`), 1);
    assert.equal(sample(text, `test_step_seconds_bucket{node_id="${node}",le="1"}`), 2);
    assert.equal(sample(text, `test_step_seconds_bucket{node_id="${node}",le="+Inf"}`), 3);
    assert.ok(Math.abs((sample(text, `test_step_seconds_sum{node_id="${node}"}`) ?? 0) - 20.55) < 1e-9);
    assert.match(text, /^# HELP test_requests_total Requests, by route$/m);
    assert.equal(sample(text, `lux_actors{node_id="${node}",State="ALIVE",Name="Recorder"}`), 1);
    await waitFor(async () => (sample((await scrape(address, cluster.token)).text, `lux_tasks_ended_total{node_id="${node}",State="FINISHED"}`) ?? 0) >= 2, "the driver's finished tasks counted", 20_000, 100);
  });

  it("lists each node in targets.json and in `lux status`", async () => {
    const { cluster } = env;
    const second = await cluster.addNode({ numCpus: 1 });
    const addresses = await metricsAddresses(cluster.address, cluster.token);
    const file = path.join(cluster.sessionDir, "metrics", "targets.json");
    const targets = (): { targets: string[]; labels: Record<string, string> }[] => JSON.parse(fs.readFileSync(file, "utf8")) as { targets: string[]; labels: Record<string, string> }[];
    assert.deepEqual(targets().flatMap((g) => g.targets).sort(), [...addresses.values()].sort());
    assert.ok(targets().every((g) => g.labels["lux_session"] === path.basename(cluster.sessionDir)));
    const status = await runScript(luxBin, { args: ["status", "--address", cluster.address], env: { LUX_TOKEN: cluster.token }, loader: false });
    assert.equal(status.code, 0, status.stderr);
    for (const [nodeId, metrics] of addresses) assert.match(status.stdout, new RegExp(`${nodeId} .* metrics: ${metrics.replace(/\./g, "\\.")}`));
    // A node that stops takes its target out.
    const gone = addresses.get(second.nodeId) as string;
    await cluster.removeNode(second, { graceful: true });
    await waitFor(() => !targets().some((g) => g.targets.includes(gone)), "the stopped node's target removed", 20_000, 50);
    assert.equal(targets().length, 1);
  });
});

function nodeIdOf(text: string): string {
  return /node_id="([0-9a-f]+)"/.exec(text)?.[1] ?? "";
}
