/** Processes going away under a driver: workers that own objects, and a dying raylet. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { descendants, fixtures, runScript, startScript, waitFor } from "./helpers.js";

test("an idle worker that owns an object in use is not stopped", async () => {
  const r = await runScript(`${fixtures}/failures-owner.ts`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /workers=1/, "the other idle workers were stopped (systemConfig idleWorkerKeepMs reached the raylet)");
  assert.match(r.stdout, /inner=kept/);
});

test("when the raylet dies, pending gets reject with ClusterLostError", async () => {
  const p = startScript(`${fixtures}/failures-raylet-dies.ts`);
  try {
    await p.line(/raylet=/);
    const pid = p.child.pid as number;
    let rayletPid: number | undefined;
    await waitFor(() => {
      for (const d of descendants(pid)) {
        const args = spawnSync("ps", ["-o", "args=", "-p", String(d)], { encoding: "utf8" }).stdout;
        if (args.includes("raylet/dist/main.js")) rayletPid = d;
      }
      return rayletPid !== undefined;
    }, "the raylet process");
    process.kill(rayletPid as number, "SIGKILL");
    const m = await p.line(/rejected=(\w+)/);
    assert.equal(m[1], "ClusterLostError");
    await p.line(/isCluster=true code=LUX_CLUSTER_LOST isLux=true/);
    assert.equal((await p.exited()).code, 0);
  } finally {
    p.kill();
  }
});
