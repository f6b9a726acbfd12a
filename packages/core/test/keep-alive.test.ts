/**
 * A pending get or wait keeps the process alive, even when nothing else does: a driver's
 * connections hold it only while calls are in flight, and most of its timers not at all.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const fixture = fileURLToPath(new URL("./fixtures/blocked-get.ts", import.meta.url));

/** Runs the fixture in `mode` to its end (killed after a minute): its exit code and output. */
function run(mode: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", fixture, mode],
      { timeout: 60_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, output: stdout + stderr }),
    );
  });
}

test("a get of a value that arrives from an event holding nothing keeps the process alive until it returns", async () => {
  const { code, output } = await run("get");
  assert.equal(code, 0, `exited with ${code} before the get returned:\n${output}`);
  assert.match(output, /got the value/);
});

test("a wait likewise", async () => {
  const { code, output } = await run("wait");
  assert.equal(code, 0, `exited with ${code} before the wait returned:\n${output}`);
  assert.match(output, /ready 1/);
});

test("a get waiting for a lost object's node to be declared dead keeps the process alive until it returns", async () => {
  const { code, output } = await run("lost");
  assert.equal(code, 0, `exited with ${code} before the get returned:\n${output}`);
  assert.match(output, /got the value after 2 reads/);
});
