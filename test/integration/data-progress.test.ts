/**
 * @lux/data's progress lines (issue 18, point 5): on a terminal an execution shows one live
 * line per operator (its rows done out of the estimate); `enableProgressBars = false` turns
 * them off; piped output gets none. The terminal is a real pseudo-terminal (util-linux
 * `script`), the driver a process of its own.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { fixtures, root, runScript } from "./helpers.js";

const SCRIPT = path.join(fixtures, "data-progress-script.ts");
const tsxLoader = path.join(root, "node_modules/tsx/dist/loader.mjs");
/** A progress line of the fused operator: its name, a bar, then rows done / total. */
const PROGRESS = /ReadRange->Map\(addSquare\)->Filter[^\n\r]*? (\d+)\/(\d+) rows/g;

/** Runs the script on a pseudo-terminal; everything it wrote to the terminal (stdout and stderr). */
function onTerminal(args: string[]): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, "--import", tsxLoader, SCRIPT, ...args].map((a) => `'${a}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qefc", command, "/dev/null"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test("on a terminal: a live line per operator, ending at every row; none with enableProgressBars = false", async () => {
  const shown = await onTerminal([]);
  assert.equal(shown.code, 0, shown.output);
  assert.match(shown.output, /rows 2000/);
  const lines = [...shown.output.matchAll(PROGRESS)].map((m) => [Number(m[1]), Number(m[2])] as const);
  assert.ok(lines.length > 0, `a progress line for the operator; the terminal showed:\n${shown.output}`);
  const last = lines[lines.length - 1] as readonly [number, number];
  assert.match(shown.output, /Sort[^\n\r]*? 2000\/2000 rows/, "a line of its own for the sort, ending at every row");
  assert.ok(lines.some(([, total]) => total === 4000), "while running, the total is the read's estimate (4,000 ids)");
  // The read and its fused map and filter are one operator: once done, its line counts the rows it gave (the even ones).
  assert.deepEqual(last, [2000, 2000], "the last line counts every row the operator gave");

  const off = await onTerminal(["--off"]);
  assert.equal(off.code, 0, off.output);
  assert.match(off.output, /rows 2000/);
  assert.doesNotMatch(off.output, /\d+\/\d+ rows/, "no progress line when turned off");
});

test("piped: no progress line", async () => {
  const piped = await runScript(SCRIPT, { timeoutMs: 90_000 });
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /rows 2000/);
  assert.doesNotMatch(piped.stdout + piped.stderr, /\d+\/\d+ rows/);
});
