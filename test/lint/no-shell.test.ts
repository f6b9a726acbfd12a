/**
 * Issue 17 point 4: no request field reaches a shell, except a job's entrypoint. No source
 * of Lux starts a process through a shell (`exec`, `execSync`, `shell: true`), and the head's
 * HTTP server's package starts one process only: the job supervisor's watchdog, which runs
 * the entrypoint as `/bin/sh -c ENTRYPOINT`.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

const root = path.resolve(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|tsx|mjs|js)$/.test(f) && !f.endsWith(".d.ts"))
    .map((f) => path.join(dir, f));
}

const packageSources = fs.readdirSync(path.join(root, "packages")).flatMap((p) => {
  const src = path.join(root, "packages", p, "src");
  return fs.existsSync(src) ? sources(src) : [];
});

test("no source starts a process through a shell", () => {
  assert.ok(packageSources.length > 100);
  const found: string[] = [];
  for (const file of packageSources) {
    const text = fs.readFileSync(file, "utf8");
    if (/\bshell\s*:\s*(true|["'`])/.test(text)) found.push(`${file}: shell option`);
    if (/\b(exec|execSync)\b[^\n]*from\s+["']node:child_process["']|require\(["']node:child_process["']\)\.exec\b|\bchild_process\.exec(Sync)?\(/.test(text)) found.push(`${file}: exec`);
    if (/import\s*\{[^}]*\bexec(Sync)?\b[^}]*\}\s*from\s*["'](node:)?child_process["']/.test(text)) found.push(`${file}: exec`);
  }
  assert.deepEqual(found, []);
});

test("the head's HTTP server starts one kind of process: a job's entrypoint, under its watchdog", () => {
  const dir = path.join(root, "packages/dashboard/src");
  const spawning = sources(dir).filter((f) => /child_process/.test(fs.readFileSync(f, "utf8")));
  assert.deepEqual(spawning.map((f) => path.relative(dir, f)).sort(), ["jobs/job-supervisor.ts", "jobs/watchdog.ts"]);
  // The supervisor starts the watchdog with node (no shell) and the entrypoint as one argument...
  const supervisor = fs.readFileSync(path.join(dir, "jobs/job-supervisor.ts"), "utf8");
  // Calls of child_process's spawn (not this.spawn(), the method that makes the call).
  const spawns = supervisor.split("\n").filter((line) => /(^|[^.\w])spawn\(/.test(line) && !/private spawn/.test(line));
  assert.deepEqual(spawns.map((l) => l.trim()), ['const watchdog = spawn(process.execPath, ["-e", WATCHDOG_SOURCE, String(spec.stopGraceMs), "/bin/sh", spec.entrypoint], {']);
  // ...which the watchdog runs as `/bin/sh -c ENTRYPOINT`: the one shell, by design.
  const watchdog = fs.readFileSync(path.join(dir, "jobs/watchdog.ts"), "utf8");
  assert.deepEqual(watchdog.split("\n").filter((line) => /\bspawn\(/.test(line)).map((l) => l.trim()), ['const child = spawn(shell, ["-c", command], { detached: true, stdio: ["ignore", "inherit", "inherit"] });']);
});
