/**
 * Issue 13 point 6: `lux.cancel(ref, { force: true })` kills the worker of a task running on
 * another node (through the raylet that leased it, not this process's own), so the task's
 * resources come back; Ray's test_cancel on a multi-node cluster.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { spinUntilFile } from "./fixtures/cancel-defs.js";
import { waitFor } from "./helpers.js";

let cluster: LocalCluster;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-cancel-remote-"));

before(async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 1 } });
  await cluster.addNode({ numCpus: 1, resources: { far: 1 } });
  await lux.init({ address: cluster.address });
});

after(async () => {
  fs.writeFileSync(path.join(dir, "go"), ""); // whatever happened, a spinning task may end
  await lux.shutdown();
  await cluster.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("test_cancel with force on another node: the worker there is killed and the node's resources come back", async () => {
  const started = path.join(dir, "started");
  const ref = spinUntilFile.options({ resources: { far: 1 } }).remote(started, path.join(dir, "go"));
  await waitFor(() => fs.existsSync(started), "the task to start on the other node");
  assert.equal((await lux.availableResources())["far"] ?? 0, 0, "the task holds the other node's resource");
  await lux.cancel(ref, { force: true });
  await assert.rejects(lux.get(ref), lux.TaskCancelledError);
  // It never returns by itself (no "go" file): only a killed worker gives the resource back.
  await waitFor(async () => (await lux.availableResources())["far"] === 1, "the other node's worker to be killed and its resource freed");
});
