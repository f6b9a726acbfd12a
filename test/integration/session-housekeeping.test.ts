/**
 * Issue 24 point 11: a raylet that starts removes what ended sessions left: spill folders of
 * raylets that no longer run (in session folders and in its own --spill-dir), and session
 * folders that no running process uses and that have not changed for sessionRetention
 * (LUX_SESSION_RETENTION). Folders in use, recent ones and the live raylets' stay.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { setConfig } from "@lux/common";
import { LocalCluster } from "lux/testing";
import { waitFor } from "./helpers.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "lux-housekeeping-"));
const sessionRoot = path.join(root, "sessions");
const spillRoot = path.join(root, "spill");
const DAY_MS = 86_400_000;
// A pid no process can have (above the kernel's limit): the raylet that spilled there is gone.
const deadPid = Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1;
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) c.kill("SIGKILL");
  fs.rmSync(root, { recursive: true, force: true });
});

/** Makes `files` (relative paths) under `dir`, then dates everything in it `ageMs` back. */
function makeFolder(dir: string, files: string[], ageMs: number): string {
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), "x");
  }
  const when = new Date(Date.now() - ageMs);
  const age = (p: string): void => {
    if (fs.statSync(p).isDirectory()) for (const name of fs.readdirSync(p)) age(path.join(p, name));
    fs.utimesSync(p, when, when);
  };
  age(dir);
  return dir;
}

test("a starting raylet removes orphaned spill folders and unused sessions older than sessionRetention", async () => {
  const session = (name: string): string => path.join(sessionRoot, `session_${name}`);
  const old = makeFolder(session("old"), ["logs/raylet.log", "sock/w1.sock"], 3 * DAY_MS);
  const oldSpilled = makeFolder(session("old_spilled"), ["logs/gcs.log", `spill-${deadPid}/obj`], 3 * DAY_MS);
  const inUse = makeFolder(session("old_in_use"), ["logs/raylet.log"], 3 * DAY_MS);
  const recent = makeFolder(session("recent"), ["logs/raylet.log", `spill-${deadPid}/obj`], 0);
  const strayFile = makeFolder(spillRoot, [`spill-${deadPid}/obj`, "unrelated/file"], 0);
  // A process whose command line names a file in the old folder (as a daemon's --log-file does).
  const user = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", path.join(inUse, "logs", "raylet.log")], { stdio: "ignore" });
  children.push(user);
  await waitFor(() => user.pid !== undefined && fs.existsSync(`/proc/${user.pid}/cmdline`), "the process using a session folder to run");

  setConfig("sessionDirRoot", sessionRoot); // this process makes the cluster's session folder there
  const cluster = await LocalCluster.start({
    config: { sessionDirRoot: sessionRoot, sessionRetention: "1d" },
    head: { numCpus: 1, spillDir: spillRoot },
  });
  try {
    const log = path.join(cluster.sessionDir, "logs", "raylet-0.log");
    await waitFor(() => /housekeeping: removed/.test(fs.readFileSync(log, "utf8")), "the raylet's housekeeping");
    assert.match(fs.readFileSync(log, "utf8"), /removed 2 spill folder\(s\) of raylets that no longer run and 2 session folder\(s\) older than 1d/);
    assert.equal(fs.existsSync(old), false, "an unused session folder unchanged for 3 days is removed");
    assert.equal(fs.existsSync(oldSpilled), false, "with its orphaned spill folder");
    assert.equal(fs.existsSync(inUse), true, "a session folder a running process names stays");
    assert.equal(fs.existsSync(recent), true, "a recent session folder stays");
    assert.equal(fs.existsSync(path.join(recent, `spill-${deadPid}`)), false, "the spill folder of a raylet that is gone is removed");
    assert.deepEqual(fs.readdirSync(strayFile).sort(), [`spill-${cluster.nodes[0]?.pid}`, "unrelated"], "in --spill-dir too, and nothing else there");
    assert.equal(fs.existsSync(cluster.sessionDir), true, "the running cluster's session folder stays");
  } finally {
    await cluster.shutdown();
  }
});
