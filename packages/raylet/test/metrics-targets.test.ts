/**
 * The session's Prometheus targets (`metrics/targets.json`, file_sd JSON): every node of the
 * session listed, each once, a stopped node's entry removed, a killed raylet's dropped by the
 * next rebuild; the file is always whole JSON.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { SystemClock } from "@lux/protocol";
import { metricsTargetsFile } from "@lux/common";
import { MetricsTargets } from "../src/metrics-targets.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-metrics-targets-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const clock = new SystemClock();

type Groups = { targets: string[]; labels: Record<string, string> }[];
const read = (sessionDir: string): Groups => JSON.parse(fs.readFileSync(metricsTargetsFile(sessionDir), "utf8")) as Groups;

test("lists every node of the session once; a stopped node's entry goes", async () => {
  const sessionDir = path.join(dir, "session_a");
  const nodes = await Promise.all(["n1", "n2", "n3"].map((nodeId, i) => MetricsTargets.publish({ sessionDir, nodeId, address: `127.0.0.1:${9100 + i}`, clock })));
  assert.deepEqual(read(sessionDir), [
    { targets: ["127.0.0.1:9100"], labels: { lux_session: "session_a" } },
    { targets: ["127.0.0.1:9101"], labels: { lux_session: "session_a" } },
    { targets: ["127.0.0.1:9102"], labels: { lux_session: "session_a" } },
  ]);
  await nodes[1]?.remove();
  assert.deepEqual(read(sessionDir).flatMap((g) => g.targets), ["127.0.0.1:9100", "127.0.0.1:9102"]);
  await Promise.all([nodes[0]?.remove(), nodes[2]?.remove()]);
  assert.deepEqual(read(sessionDir), []);
  assert.deepEqual(fs.readdirSync(path.join(sessionDir, "metrics")).sort(), ["nodes", "targets.json"], "no lock or temporary file left");
});

test("drops the entry of a raylet that no longer runs at the next rebuild", async () => {
  const sessionDir = path.join(dir, "session_b");
  fs.mkdirSync(path.join(sessionDir, "metrics", "nodes"), { recursive: true });
  const ended = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
  fs.writeFileSync(path.join(sessionDir, "metrics", "nodes", "killed.json"), JSON.stringify({ target: "127.0.0.1:1", labels: {}, pid: ended }));
  const node = await MetricsTargets.publish({ sessionDir, nodeId: "alive", address: "127.0.0.1:2", clock });
  assert.deepEqual(read(sessionDir).flatMap((g) => g.targets), ["127.0.0.1:2"]);
  assert.equal(fs.existsSync(path.join(sessionDir, "metrics", "nodes", "killed.json")), false);
  await node.remove();
});
