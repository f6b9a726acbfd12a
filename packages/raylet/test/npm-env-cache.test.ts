/**
 * The npm env cache's pure parts and files: an env's key (sorted specs, scripts, Node and Lux
 * versions, tarball contents), which envs go first when over the cap (least recently used,
 * never the one kept), pins of running processes, and leftovers of ended installs.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { fileDigests, inUse, npmEnvKey, planEvictions, removeLeftovers, writePin, type NpmEnvEntry } from "../src/npm-env-cache.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lux-npm-env-cache-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const parts = { specs: ["b@1", "a@2"], allowScripts: false, nodeVersion: "v20.0.0", luxVersion: "0.1.0", fileDigests: {} };

test("an env's key: the same for the same specs in any order, different when anything that changes the install does", () => {
  const key = npmEnvKey(parts);
  assert.match(key, /^[0-9a-f]{32}$/);
  assert.equal(npmEnvKey({ ...parts, specs: ["a@2", "b@1"] }), key);
  const others = [
    npmEnvKey({ ...parts, specs: ["a@2"] }),
    npmEnvKey({ ...parts, allowScripts: true }),
    npmEnvKey({ ...parts, nodeVersion: "v20.1.0" }),
    npmEnvKey({ ...parts, luxVersion: "0.2.0" }),
  ];
  assert.equal(new Set([key, ...others]).size, 5);
});

test("a file: spec's key follows its tarball's contents", async () => {
  const tgz = path.join(dir, "pkg.tgz");
  fs.writeFileSync(tgz, "one");
  const spec = `file:${tgz}`;
  const first = npmEnvKey({ ...parts, specs: [spec], fileDigests: await fileDigests([spec, "a@1"]) });
  fs.writeFileSync(tgz, "two");
  const second = npmEnvKey({ ...parts, specs: [spec], fileDigests: await fileDigests([spec]) });
  assert.notEqual(first, second);
  assert.deepEqual(await fileDigests([`file:${path.join(dir, "none.tgz")}`]), { [`file:${path.join(dir, "none.tgz")}`]: "missing" });
});

const env = (key: string, bytes: number, lastUsed: number): NpmEnvEntry => ({ key, dir: `/c/env_${key}`, bytes, lastUsed });

test("over the cap: least recently used first, never the kept one; under it: nothing", () => {
  const envs = [env("a", 100, 30), env("b", 100, 10), env("c", 100, 20), env("new", 100, 40)];
  const plan = planEvictions(envs, 250, new Set(["new"]));
  assert.equal(plan.excessBytes, 150);
  assert.deepEqual(plan.order.map((e) => e.key), ["b", "c", "a"]);
  assert.deepEqual(planEvictions(envs, 400, new Set(["new"])), { order: [], excessBytes: 0 });
  assert.deepEqual(planEvictions(envs, 0, new Set(["new"])).excessBytes, 400);
});

function endedPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

test("an env is in use while a running process pins it; pins of ended processes are removed", async () => {
  const e = path.join(dir, "env_pins");
  fs.mkdirSync(e);
  assert.equal(await inUse(e), false);
  const dead = endedPid();
  writePin(e, String(dead));
  writePin(e, `${dead}-3`);
  assert.equal(await inUse(e), false);
  assert.deepEqual(fs.readdirSync(path.join(e, ".in-use")), []);
  writePin(e, `${process.pid}-1`);
  assert.equal(await inUse(e), true);
});

test("leftovers: installs and lock drafts of ended raylets, half-deleted envs go; a running raylet's stay", async () => {
  const root = path.join(dir, "leftovers");
  fs.mkdirSync(root);
  const dead = endedPid();
  for (const name of [`.tmp-abc-${dead}-1234`, `.tmp-abc-${process.pid}-5678`, ".trash-abc", "env_abc"]) fs.mkdirSync(path.join(root, name));
  for (const name of [`env_abc.lock.draft-${dead}-x`, `env_abc.lock.draft-${process.pid}-y`, "env_abc.lock", "env_abc.lock.stale-z"]) fs.writeFileSync(path.join(root, name), "");
  await removeLeftovers(root);
  assert.deepEqual(fs.readdirSync(root).sort(), [`.tmp-abc-${process.pid}-5678`, "env_abc", "env_abc.lock", `env_abc.lock.draft-${process.pid}-y`]);
});
