/**
 * A raylet started alongside its control service (as lux.init() starts a private cluster)
 * boots first and reads the control service's address from a file once it is published.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { publishAddress } from "@lux/common";
import { workerMainPath } from "@lux/core/internal";
import { makeSessionDir, startControlService, startRaylet, type DaemonHandle } from "../src/node-launcher.js";

const pidGone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

test("the raylet waits for the published address, then registers", async () => {
  const token = randomBytes(8).toString("hex");
  const sessionDir = makeSessionDir();
  const file = path.join(sessionDir, "gcs_address");
  const daemons: DaemonHandle[] = [];
  try {
    const raylet = startRaylet({ token, gcsAddress: { file }, workerMain: workerMainPath, resources: { CPU: 1 }, objectStoreMemory: 16 << 20, sessionDir, exitWithParent: true });
    const gcs = await startControlService({ token, exitWithParent: true });
    daemons.push(gcs);
    publishAddress(file, gcs.address);
    const r = await raylet;
    daemons.push(r);
    assert.ok(r.nodeId !== undefined && r.nodeId.length > 0, "registered with the control service");
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    fs.rmSync(sessionDir, { recursive: true, force: true });
  }
});

test("the raylet exits at once with a clear error when the control service failed to start", async () => {
  const token = randomBytes(8).toString("hex");
  const sessionDir = makeSessionDir();
  const file = path.join(sessionDir, "gcs_address");
  try {
    const raylet = startRaylet({ token, gcsAddress: { file }, workerMain: workerMainPath, resources: { CPU: 1 }, objectStoreMemory: 16 << 20, sessionDir, exitWithParent: true });
    publishAddress(file, undefined);
    const started = Date.now();
    await assert.rejects(raylet, /exited during start.*control service this raylet was started with failed to start/s);
    assert.ok(Date.now() - started < 20_000, "it did not wait for its start timeout");
    // Its object store file goes with it (removed by the launcher once it sees the exit).
    const orphans = (): string[] => fs.readdirSync("/dev/shm").filter((f) => f.startsWith("lux-arena-") && pidGone(Number(f.split("-")[2])));
    const deadline = Date.now() + 10_000;
    while (orphans().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(orphans(), []);
  } finally {
    fs.rmSync(sessionDir, { recursive: true, force: true });
  }
});
