/**
 * Issue 24 point 3: a driver killed while busy leaves nothing of its private cluster. Its
 * raylet writes the workers' output to the driver's pipe, which breaks (EPIPE) when the
 * driver dies; the raylet must still clean up: no process, object store file, spill folder
 * or token file of the session stays. Its logs stay (removed after sessionRetention).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { descendants, fixtures, pidAlive, startScript, waitFor } from "./helpers.js";

const KILLS = 10;
const sessionRoot = fs.mkdtempSync(path.join(os.tmpdir(), "lux-driver-killed-"));
after(() => fs.rmSync(sessionRoot, { recursive: true, force: true }));

function commandLine(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

/** What a private cluster leaves behind if it does not clean up: found while it runs. */
interface Leftovers {
  pids: number[];
  arenas: string[];
  spillDir: string;
  tokenFile: string;
  logsDir: string;
}

function leftoversOf(driverPid: number, address: string): Leftovers {
  const pids = descendants(driverPid);
  const raylet = pids.find((p) => commandLine(p).some((a) => /raylet[\\/](dist|src)[\\/]main/.test(a)));
  assert.ok(raylet !== undefined, `no raylet among the driver's processes ${pids.join(", ")}`);
  const args = commandLine(raylet);
  const sessionDir = args[args.indexOf("--session-dir") + 1] as string;
  assert.ok(sessionDir.startsWith(sessionRoot), `the session folder ${sessionDir} is under ${sessionRoot}`);
  return {
    pids,
    arenas: fs.readdirSync("/dev/shm").filter((f) => f.startsWith(`lux-arena-${raylet}-`)).map((f) => `/dev/shm/${f}`),
    spillDir: path.join(sessionDir, `spill-${raylet}`),
    tokenFile: path.join(sessionRoot, "tokens", address.replace(/[^\w.-]/g, "_")),
    logsDir: path.join(sessionDir, "logs"),
  };
}

describe("a busy driver killed with SIGKILL", () => {
  test(`leaves no process, object store file, spill folder or token file (${KILLS} kills)`, async () => {
    for (let run = 1; run <= KILLS; run++) {
      const script = startScript(path.join(fixtures, "driver-busy-killed.ts"), { env: { LUX_SESSION_DIR_ROOT: sessionRoot } });
      let left: Leftovers | undefined;
      try {
        const ready = JSON.parse((await script.line(/^READY (.*)$/m, 60_000))[1] as string) as { address: string };
        left = leftoversOf(script.child.pid ?? 0, ready.address);
        assert.equal(left.arenas.length, 1, `run ${run}: the raylet's object store file exists while it runs`);
        const { pids, arenas, spillDir, tokenFile } = left;
        await waitFor(() => fs.existsSync(spillDir) && fs.readdirSync(spillDir).length > 0, `run ${run}: objects to be spilled`);
        assert.ok(fs.existsSync(left.tokenFile), `run ${run}: the token file exists while the cluster runs`);
        script.kill("SIGKILL");
        await script.exited();
        await waitFor(() => pids.every((p) => !pidAlive(p)), `run ${run}: processes ${pids.join(", ")} of the killed driver to exit`, 15_000);
        const stays = [...arenas, spillDir, tokenFile].filter((f) => fs.existsSync(f));
        assert.deepEqual(stays, [], `run ${run}: files of the dead session stayed`);
        assert.ok(fs.readdirSync(left.logsDir).includes("raylet.log"), `run ${run}: the session's logs stay`);
      } finally {
        script.kill("SIGKILL");
        for (const p of left?.pids ?? []) if (pidAlive(p)) process.kill(p, "SIGKILL");
        for (const f of left?.arenas ?? []) fs.rmSync(f, { force: true });
      }
    }
  });
});
