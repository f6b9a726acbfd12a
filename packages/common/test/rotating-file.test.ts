/**
 * The rotating log file every process writes (issue 16, point 4): past maxBytes NAME becomes
 * NAME.1 (older ones shift, the oldest past `backups` is deleted), a new file starts with its
 * header; the number of files and each one's size stay bounded. And the logger's useLogFile
 * rotates the same way.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { RotatingFile, createLogger, rotatedName, setLogSink, useLogFile } from "../src/index.js";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lux-rotate-"));
});
afterEach(() => {
  setLogSink(undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** A line of exactly `bytes` bytes (with its newline). */
const line = (n: number, bytes = 100): string => `${`line ${n} `.padEnd(bytes - 1, "x")}\n`;

describe("RotatingFile", () => {
  test("rotates past maxBytes, keeps at most `backups` rotated files, each within maxBytes, oldest last", () => {
    const path = join(dir, "logs", "worker-1.log");
    const file = new RotatingFile({ path, maxBytes: 1000, backups: 2 });
    for (let i = 0; i < 100; i++) file.write(line(i));
    file.close();
    assert.deepEqual(readdirSync(join(dir, "logs")).sort(), ["worker-1.log", "worker-1.log.1", "worker-1.log.2"]);
    for (const name of readdirSync(join(dir, "logs"))) assert.ok(statSync(join(dir, "logs", name)).size <= 1000, `${name} is larger than maxBytes`);
    // 10 lines a file: the newest 30 lines are kept, in order across the three files.
    const kept = [2, 1, 0].flatMap((i) => readFileSync(rotatedName(path, i), "utf8").split("\n").filter(Boolean));
    assert.deepEqual(kept.map((l) => Number(l.split(" ")[1])), Array.from({ length: 30 }, (_, i) => 70 + i));
    assert.equal(file.rotations, 9);
  });

  test("a write too large for one file is cut between lines into several; a line longer than a file gets one of its own", () => {
    const path = join(dir, "big.log");
    const file = new RotatingFile({ path, maxBytes: 1000, backups: 5 });
    file.write(Array.from({ length: 25 }, (_, i) => line(i)).join(""));
    file.write(line(25, 2500) + line(26));
    file.close();
    const sizes = [4, 3, 2, 1, 0].map((i) => statSync(rotatedName(path, i)).size);
    assert.deepEqual(sizes, [1000, 1000, 500, 2500, 100]);
    assert.equal(readFileSync(`${path}.2`, "utf8"), [20, 21, 22, 23, 24].map((i) => line(i)).join(""));
  });

  test("a new file starts with the header of the moment (what the lines after it belong to)", () => {
    const path = join(dir, "a.log");
    let context = "";
    const file = new RotatingFile({ path, maxBytes: 250, backups: 1, header: () => context });
    file.write(line(0));
    context = "CONTEXT\n";
    file.write(line(1));
    file.write(line(2)); // rotates: the new file starts with the header
    file.close();
    assert.equal(readFileSync(path, "utf8"), `CONTEXT\n${line(2)}`);
    assert.equal(readFileSync(`${path}.1`, "utf8"), line(0) + line(1));
  });

  test("backups 0 starts the file over; maxBytes 0 never rotates; an existing file is appended to, its size counted", () => {
    const over = join(dir, "over.log");
    const a = new RotatingFile({ path: over, maxBytes: 300, backups: 0 });
    for (let i = 0; i < 7; i++) a.write(line(i));
    a.close();
    assert.equal(readFileSync(over, "utf8"), line(6), "6 lines: two full files were dropped");
    assert.ok(!existsSync(`${over}.1`));

    const never = join(dir, "never.log");
    const b = new RotatingFile({ path: never, maxBytes: 0, backups: 3 });
    for (let i = 0; i < 50; i++) b.write(line(i));
    b.close();
    assert.equal(statSync(never).size, 5000);

    const existing = join(dir, "existing.log");
    writeFileSync(existing, line(0) + line(1));
    const c = new RotatingFile({ path: existing, maxBytes: 300, backups: 1 });
    assert.equal(c.size, 200);
    c.write(line(2));
    c.write(line(3));
    c.close();
    assert.equal(readFileSync(`${existing}.1`, "utf8"), line(0) + line(1) + line(2));
    assert.equal(readFileSync(existing, "utf8"), line(3));
  });

  test("useLogFile rotates the logger's file", () => {
    const path = join(dir, "gcs.log");
    useLogFile(path, { maxBytes: 2000, backups: 1 });
    const log = createLogger("gcs");
    for (let i = 0; i < 100; i++) log.warn(`message ${i} ${"y".repeat(40)}`);
    assert.deepEqual(readdirSync(dir).sort(), ["gcs.log", "gcs.log.1"]);
    assert.ok(statSync(path).size <= 2000 && statSync(`${path}.1`).size <= 2000);
    assert.match(readFileSync(path, "utf8").trim().split("\n").at(-1) ?? "", /WARN gcs: message 99 /);
  });
});
