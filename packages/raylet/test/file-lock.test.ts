/**
 * The lock raylets share an npm env install by: one holder at a time; a lock whose holder
 * process is gone, or whose hold expired, is broken by the next taker; waiting looks again
 * every pollMs until a deadline; releasing never removes a lock someone else holds.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { FakeClock } from "@lux/protocol";
import { FileLock, processRuns } from "../src/file-lock.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-file-lock-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const lockPath = (): string => path.join(dir, `l${++n}.lock`);

/** The pid of a process that has ended. */
function endedPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

function writeHolder(file: string, holder: { pid: number; host?: string; expiresAt: number }): void {
  fs.writeFileSync(file, JSON.stringify({ host: os.hostname(), token: "someone-else", ...holder }));
}

test("one holder at a time; free again once released", () => {
  const clock = new FakeClock(1000);
  const file = lockPath();
  const a = FileLock.tryAcquire(file, clock, 60_000);
  assert.ok(a);
  assert.equal(FileLock.tryAcquire(file, clock, 60_000), undefined);
  assert.equal(FileLock.holder(file)?.pid, process.pid);
  a.release();
  assert.equal(fs.existsSync(file), false);
  const b = FileLock.tryAcquire(file, clock, 60_000);
  assert.ok(b);
  b.release();
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(file))), [], "no drafts or aside files left");
});

test("a lock whose holder process has ended is broken", () => {
  const clock = new FakeClock(1000);
  const file = lockPath();
  const pid = endedPid();
  assert.equal(processRuns(pid), false);
  writeHolder(file, { pid, expiresAt: 1_000_000 });
  const lock = FileLock.tryAcquire(file, clock, 60_000);
  assert.ok(lock, "taken over");
  assert.equal(FileLock.holder(file)?.pid, process.pid);
  lock.release();
});

test("a lock past its expiry is broken even though its holder runs; before it, not", () => {
  const clock = new FakeClock(1000);
  const file = lockPath();
  writeHolder(file, { pid: process.pid, expiresAt: 5000 });
  assert.equal(FileLock.tryAcquire(file, clock, 60_000), undefined);
  clock.advance(4001);
  const lock = FileLock.tryAcquire(file, clock, 60_000);
  assert.ok(lock);
  lock.release();
});

test("a holder on another host is judged by its expiry alone", () => {
  const clock = new FakeClock(1000);
  const file = lockPath();
  writeHolder(file, { pid: endedPid(), host: `not-${os.hostname()}`, expiresAt: 2000 });
  assert.equal(FileLock.tryAcquire(file, clock, 60_000), undefined, "its pid means nothing here");
  clock.advance(1001);
  FileLock.tryAcquire(file, clock, 60_000)?.release();
});

test("an unreadable lock file counts as stale", () => {
  const clock = new FakeClock(1000);
  const file = lockPath();
  fs.writeFileSync(file, "not json");
  const lock = FileLock.tryAcquire(file, clock, 60_000);
  assert.ok(lock);
  lock.release();
});

test("acquire waits, looking every pollMs, and gets the lock once it is released", async () => {
  const clock = new FakeClock(1000);
  const file = lockPath();
  const first = FileLock.tryAcquire(file, clock, 60_000);
  assert.ok(first);
  let settled = false;
  const waiting = FileLock.acquire(file, { clock, pollMs: 100, holdMs: 60_000, deadline: 10_000 }).finally(() => (settled = true));
  await clock.advanceAsync(300);
  assert.equal(settled, false);
  first.release();
  await clock.advanceAsync(100);
  const got = await waiting;
  assert.ok(got instanceof FileLock);
  got.release();
});

test("acquire gives up at its deadline", async () => {
  const clock = new FakeClock(1000);
  const file = lockPath();
  const held = FileLock.tryAcquire(file, clock, 60_000);
  assert.ok(held);
  let settled = false;
  const waiting = FileLock.acquire(file, { clock, pollMs: 100, holdMs: 1000, deadline: 1500 }).finally(() => (settled = true));
  await clock.advanceAsync(400);
  assert.equal(settled, false);
  await clock.advanceAsync(200);
  assert.equal(await waiting, undefined);
  held.release();
});

test("a holder whose lock was broken does not remove the new holder's on release", () => {
  const clock = new FakeClock(1000);
  const file = lockPath();
  const old = FileLock.tryAcquire(file, clock, 100);
  assert.ok(old);
  clock.advance(200); // its hold expired
  const fresh = FileLock.tryAcquire(file, clock, 60_000);
  assert.ok(fresh);
  old.release();
  assert.equal(FileLock.tryAcquire(file, clock, 60_000), undefined, "still held by the new holder");
  fresh.release();
});
