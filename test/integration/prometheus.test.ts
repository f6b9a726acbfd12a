/**
 * Issue 16, point 6: a real Prometheus (Debian's `prometheus`) scrapes a 3-node LocalCluster
 * through the session's file_sd targets.json with the cluster token, and `promtool check
 * metrics` passes on every node's /metrics. The prometheus process is killed at the end,
 * whatever happens.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as lux from "lux";
import { connectControlService } from "@lux/launcher";
import { waitFor, withCluster } from "./helpers.js";

// Debian's prometheus package (scripts/system-deps.mjs installs it), found on the PATH.
const PROMETHEUS = "prometheus";
const PROMTOOL = "promtool";

/** A port nothing listens on now (the system's choice), for Prometheus' web server. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface TargetsReply {
  data: { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] };
}
interface QueryReply {
  data: { result: { metric: Record<string, string> }[] };
}

describe("Prometheus scrapes a 3-node cluster", () => {
  const env = withCluster({ head: { numCpus: 1 } }, async (cluster) => {
    await cluster.addNode({ numCpus: 1 });
    await cluster.addNode({ numCpus: 1 });
    await cluster.waitForNodes(3);
    await lux.init({ address: cluster.address });
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-prometheus-"));
  let prometheus: ChildProcess | undefined;
  let output = "";
  let web = "";

  before(async () => {
    const { cluster } = env;
    // User metrics of every kind, so promtool checks their text too.
    new lux.util.metrics.Counter({ name: "prom_test_requests", description: "Requests", tagKeys: ["route"] }).inc(2, { route: "/a" });
    new lux.util.metrics.Gauge({ name: "prom_test_depth", description: "Depth" }).set(3);
    new lux.util.metrics.Histogram({ name: "prom_test_seconds", description: "Seconds", boundaries: [0.5, 1] }).observe(0.7);
    const tokenFile = path.join(dir, "token");
    fs.writeFileSync(tokenFile, cluster.token, { mode: 0o600 });
    const config = [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "scrape_configs:",
      "  - job_name: lux",
      "    authorization:",
      "      type: Bearer",
      `      credentials_file: ${tokenFile}`,
      "    file_sd_configs:",
      `      - files: [${JSON.stringify(path.join(cluster.sessionDir, "metrics", "targets.json"))}]`,
      "        refresh_interval: 1s",
      "",
    ].join("\n");
    fs.writeFileSync(path.join(dir, "prometheus.yml"), config);
    web = `127.0.0.1:${await freePort()}`;
    prometheus = spawn(PROMETHEUS, [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=${web}`], { stdio: ["ignore", "pipe", "pipe"] });
    prometheus.stdout?.on("data", (d: Buffer) => (output += d.toString("utf8")));
    prometheus.stderr?.on("data", (d: Buffer) => (output += d.toString("utf8")));
  });

  after(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null && prometheus.signalCode === null) {
      const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
      prometheus.kill("SIGKILL");
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function api<T>(route: string): Promise<T | undefined> {
    try {
      const r = await fetch(`http://${web}${route}`);
      return r.ok ? ((await r.json()) as T) : undefined;
    } catch {
      return undefined; // not serving yet
    }
  }

  it("finds every node through targets.json, scrapes it with the token, and queries lux_resources", async () => {
    const failed = (): string => `prometheus exited (${String(prometheus?.exitCode)}): ${output.slice(-3000)}`;
    let targets: TargetsReply["data"]["activeTargets"] = [];
    await waitFor(async () => {
      assert.equal(prometheus?.exitCode, null, failed());
      targets = (await api<TargetsReply>("/api/v1/targets"))?.data.activeTargets ?? [];
      return targets.length === 3 && targets.every((t) => t.health === "up");
    }, `3 targets up (last: ${JSON.stringify(targets)})`, 60_000, 250).catch((e: Error) => {
      throw new Error(`${e.message}; targets ${JSON.stringify(targets)}; ${output.slice(-2000)}`);
    });
    let nodes = new Set<string>();
    await waitFor(async () => {
      const reply = await api<QueryReply>(`/api/v1/query?query=${encodeURIComponent('lux_resources{Name="CPU"}')}`);
      nodes = new Set((reply?.data.result ?? []).map((r) => r.metric["node_id"] as string));
      return nodes.size === 3;
    }, "lux_resources of the 3 nodes in Prometheus", 60_000, 250);
    const client = await connectControlService(env.cluster.address, env.cluster.token);
    const ids = (await client.nodes()).map((n) => n.nodeId);
    client.close();
    assert.deepEqual([...nodes].sort(), ids.sort());
  });

  it("passes promtool check metrics on every node's /metrics", async () => {
    const client = await connectControlService(env.cluster.address, env.cluster.token);
    const nodes = await client.nodes();
    client.close();
    assert.equal(nodes.length, 3);
    // The driver's user metrics reach its node within a report interval (2 s by default).
    let text = "";
    await waitFor(async () => {
      const head = nodes.find((n) => n.nodeId === lux.getRuntimeContext().nodeId);
      text = await (await fetch(`http://${head?.metricsAddress}/metrics`, { headers: { authorization: `Bearer ${env.cluster.token}` } })).text();
      return text.includes("prom_test_seconds_bucket");
    }, "the driver's metrics on its node", 20_000, 100);
    for (const n of nodes) {
      const r = await fetch(`http://${n.metricsAddress}/metrics`, { headers: { authorization: `Bearer ${env.cluster.token}` } });
      const body = await r.text();
      assert.equal(r.status, 200);
      const check = spawnSync(PROMTOOL, ["check", "metrics"], { input: body, encoding: "utf8" });
      assert.equal(check.status, 0, `promtool on node ${n.nodeId}: ${check.stdout}${check.stderr}\n${body}`);
    }
  });
});
