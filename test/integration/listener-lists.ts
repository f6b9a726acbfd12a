/** What `lux status --listeners` prints, and what `ss` says listens, for the tests of a cluster's listeners. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { root, runScript } from "./helpers.js";

const luxBin = path.join(root, "packages/lux/bin/lux.js");

/** One line of `lux status --listeners`. */
export interface Listed {
  /** Its node's id (undefined: the control service and the head's HTTP server). */
  nodeId: string | undefined;
  what: string;
  /** HOST:PORT, or a URL for the HTTP server. */
  address: string;
  pid: number | undefined;
}

/** Runs `lux status --listeners` on the cluster at `address` (extra environment: `env`); its header line and listeners. */
export async function statusListeners(address: string, token: string, env: Record<string, string> = {}): Promise<{ header: string; listed: Listed[]; text: string }> {
  const status = await runScript(luxBin, { args: ["status", "--listeners", "--address", address], env: { LUX_TOKEN: token, LUX_ADDRESS: "", ...env }, loader: false });
  assert.equal(status.code, 0, status.stderr);
  const listed: Listed[] = [];
  let nodeId: string | undefined;
  for (const line of status.stdout.split("\n")) {
    const header = /^ {2}(?:node (\w+)|cluster)$/.exec(line);
    if (header !== null) {
      nodeId = header[1];
      continue;
    }
    const m = /^ {4}(\S+)\s+(.*?)(?: \(pid (\d+)\))?$/.exec(line);
    if (m !== null) listed.push({ nodeId, address: m[1] as string, what: m[2] as string, pid: m[3] === undefined ? undefined : Number(m[3]) });
  }
  return { header: status.stdout.split("\n")[0] ?? "", listed, text: status.stdout };
}

/** HOST:PORT of an address or URL. */
export function hostPort(address: string): string {
  return address.replace(/^https?:\/\//, "");
}

/** HOST:PORT of every TCP socket listening in this network namespace, by pid (`ss -ltnp`). */
export function tcpListenersByPid(): Map<number, string[]> {
  const byPid = new Map<number, string[]>();
  for (const line of spawnSync("ss", ["-ltnpH"], { encoding: "utf8" }).stdout.split("\n")) {
    const local = line.trim().split(/\s+/)[3];
    for (const m of line.matchAll(/pid=(\d+)/g)) byPid.set(Number(m[1]), [...(byPid.get(Number(m[1])) ?? []), local ?? "?"]);
  }
  return byPid;
}

/**
 * Checks the listing against `ss`: every TCP listener of the cluster's processes (its daemons,
 * the processes listed, this driver) is listed, and each is on a loopback address.
 */
export function assertListsEverything(listed: readonly Listed[], daemonPids: readonly number[], text: string): void {
  const bySs = tcpListenersByPid();
  const dashboard = listed.find((l) => l.what.startsWith("dashboard"));
  const pids = new Set([...daemonPids, process.pid, ...listed.flatMap((l) => (l.pid === undefined ? [] : [l.pid]))]);
  if (dashboard !== undefined) {
    const owner = [...bySs].find(([, addresses]) => addresses.includes(hostPort(dashboard.address)));
    assert.ok(owner !== undefined, `nothing listens on the dashboard's ${dashboard.address}`);
    pids.add(owner[0]);
  }
  const listedAddresses = new Set(listed.map((l) => hostPort(l.address)));
  for (const pid of pids) {
    for (const address of bySs.get(pid) ?? []) {
      assert.ok(listedAddresses.has(address), `pid ${pid} listens on ${address}, which lux status --listeners does not list:\n${text}`);
      assert.match(address, /^127\.\d+\.\d+\.\d+:\d+$/, `pid ${pid} listens on ${address}: not a loopback address`);
    }
  }
  // And what is listed listens (the daemons' listeners exactly; workers may come and go).
  const listening = new Set([...bySs.values()].flat());
  for (const l of listed) if (l.pid === undefined) assert.ok(listening.has(hostPort(l.address)), `${l.what} at ${l.address} is listed but nothing listens there`);
}
