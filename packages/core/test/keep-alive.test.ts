/**
 * A pending lux.get keeps the process alive, even when nothing else does: a driver's
 * connections hold it only while calls are in flight, and its timers not at all.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const fixture = fileURLToPath(new URL("./fixtures/get-lost-object.ts", import.meta.url));

test("a get waiting for a lost object's node to be declared dead keeps the process alive until it returns", async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", fixture],
      { env: { ...process.env, LUX_LOST_OBJECT_CONFIRM_TIMEOUT_MS: "50" }, timeout: 60_000, killSignal: "SIGKILL" },
      (error, out, err) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout: out, stderr: err }),
    );
  });
  assert.equal(code, 0, `the process exited with ${code} before the get returned:\n${stdout}${stderr}`);
  assert.match(stdout, /got the value after 2 reads/);
});
