/**
 * runtimeEnv.npm on the driver's side and in the worker's resolver (issue 15, point 9):
 * specs checked at the call site (InvalidOptionError naming the entry, `file:` paths made
 * absolute), the npm fields merged over the job's, the worker key telling npm envs apart, and
 * which imports a worker of an npm env resolves from the env first, last or not at all.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { InvalidOptionError, runtimeEnvKey } from "@lux/common";
import type { RuntimeEnvSpec } from "@lux/protocol";
import { envParentUrl, isEnvCandidate, isInEnv, resolutionOrder } from "../src/npm-env-rules.js";
import { checkNpmSpec } from "../src/npm-specs.js";
import { checkRuntimeEnv, mergeNpm } from "../src/runtime-env.js";

const option = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof InvalidOptionError) return e.option;
    throw e;
  }
  return undefined;
};

test("registry specs pass as given; file: paths become absolute from the working directory", () => {
  for (const spec of ["left-pad", "left-pad@1.3.0", "left-pad@^1", "@scope/pkg", "@scope/pkg@latest", "alias@npm:left-pad@1", "JSONStream@1", "pkg@>=1 <2"]) {
    assert.equal(checkNpmSpec(spec, "runtimeEnv.npm[0]"), spec);
  }
  assert.equal(checkNpmSpec("file:pkgs/a-1.0.0.tgz", "x"), `file:${path.resolve("pkgs/a-1.0.0.tgz")}`);
  assert.equal(checkNpmSpec("file:/abs/a.tgz", "x"), "file:/abs/a.tgz");
});

test("a bad spec throws InvalidOptionError naming its entry", () => {
  const cases: [unknown, string][] = [
    ["left-pad", "runtimeEnv.npm"],
    [[3], "runtimeEnv.npm[0]"],
    [["ok", ""], "runtimeEnv.npm[1]"],
    [["--global"], "runtimeEnv.npm[0]"],
    [["-g"], "runtimeEnv.npm[0]"],
    [["has space"], "runtimeEnv.npm[0]"],
    [["user/repo"], "runtimeEnv.npm[0]"],
    [["https://example.com/a.tgz"], "runtimeEnv.npm[0]"],
    [[".hidden"], "runtimeEnv.npm[0]"],
    [["pkg@"], "runtimeEnv.npm[0]"],
    [["file:"], "runtimeEnv.npm[0]"],
    [["a\nb"], "runtimeEnv.npm[0]"],
    [["ok", "x".repeat(215)], "runtimeEnv.npm[1]"],
  ];
  for (const [npm, name] of cases) assert.equal(option(() => checkRuntimeEnv({ npm })), name, JSON.stringify(npm));
  assert.equal(option(() => checkRuntimeEnv({ npmAllowScripts: "yes" })), "runtimeEnv.npmAllowScripts");
  for (const t of [0, -1, 1.5, "10", 2 ** 31]) assert.equal(option(() => checkRuntimeEnv({ setupTimeoutMs: t })), "runtimeEnv.setupTimeoutMs", String(t));
  assert.equal(option(() => checkRuntimeEnv({ npm: ["ok"] }, "options.runtimeEnv")), undefined);
});

test("checkRuntimeEnv keeps what was not given apart from what was", () => {
  const none = checkRuntimeEnv({ envVars: { A: "1" } });
  assert.equal(none?.npm, undefined);
  assert.equal(none?.npmAllowScripts, undefined);
  assert.equal(none?.setupTimeoutMs, undefined);
  const all = checkRuntimeEnv({ npm: [], npmAllowScripts: true, setupTimeoutMs: 5000 });
  assert.deepEqual([all?.npm, all?.npmAllowScripts, all?.setupTimeoutMs], [[], true, 5000]);
});

test("npm given replaces the job's list with its own npmAllowScripts; [] means none; the timeout given wins", () => {
  const job: RuntimeEnvSpec = { envVars: {}, npm: ["a@1"], npmAllowScripts: true, setupTimeoutMs: 1000 };
  const none = { npm: undefined, npmAllowScripts: undefined, setupTimeoutMs: undefined };
  assert.deepEqual(mergeNpm(job, none), { npm: ["a@1"], npmAllowScripts: true, setupTimeoutMs: 1000 });
  assert.deepEqual(mergeNpm(job, { ...none, npm: ["b@2"] }), { npm: ["b@2"], setupTimeoutMs: 1000 });
  assert.deepEqual(mergeNpm(job, { ...none, npm: ["b@2"], npmAllowScripts: true, setupTimeoutMs: 5 }), { npm: ["b@2"], npmAllowScripts: true, setupTimeoutMs: 5 });
  assert.deepEqual(mergeNpm(job, { ...none, npm: [] }), { setupTimeoutMs: 1000 });
  assert.deepEqual(mergeNpm({ envVars: {}, npm: ["a@1"], setupTimeoutMs: 1000 }, { ...none, npmAllowScripts: true }), { npm: ["a@1"], npmAllowScripts: true, setupTimeoutMs: 1000 });
  assert.deepEqual(mergeNpm(undefined, none), {});
});

test("workers of different npm envs (or setup deadlines) never share a key; the order of specs does not matter", () => {
  const base: RuntimeEnvSpec = { envVars: { A: "1" } };
  const keys = new Set([
    runtimeEnvKey(base),
    runtimeEnvKey({ ...base, npm: ["a@1"] }),
    runtimeEnvKey({ ...base, npm: ["a@2"] }),
    runtimeEnvKey({ ...base, npm: ["a@1"], npmAllowScripts: true }),
    runtimeEnvKey({ ...base, npm: ["a@1", "b@1"] }),
  ]);
  assert.equal(keys.size, 5);
  assert.equal(runtimeEnvKey({ ...base, npm: ["a@1", "b@1"] }), runtimeEnvKey({ ...base, npm: ["b@1", "a@1"] }));
  assert.equal(runtimeEnvKey({ ...base, npm: [] }), runtimeEnvKey(base));
  // Tasks are grouped by this key for their lease requests, which carry the setup deadline.
  assert.notEqual(runtimeEnvKey({ ...base, npm: ["a@1"], setupTimeoutMs: 5 }), runtimeEnvKey({ ...base, npm: ["a@1"] }));
});

const LUX = "file:///opt/app/node_modules/@lux/";

test("only package names are resolved from the env; not paths, URLs, builtins, #imports or Lux", () => {
  for (const s of ["left-pad", "@scope/pkg", "@scope/pkg/sub", "pkg/deep/file.js", "luxury"]) assert.equal(isEnvCandidate(s), true, s);
  for (const s of ["./a.js", "../a.js", "/abs/a.js", "#internal", "node:fs", "fs", "fs/promises", "file:///a.js", "data:text/javascript,1", "lux", "lux/testing", "@lux/core"]) {
    assert.equal(isEnvCandidate(s), false, s);
  }
});

test("the job's modules look in the env first; packages and Lux's own code look there last", () => {
  assert.equal(resolutionOrder("greet", "file:///home/me/app/tasks.ts", LUX), "env-first");
  assert.equal(resolutionOrder("greet", "file:///tmp/lux/runtime_resources/pkg_ab/tasks.ts", LUX), "env-first");
  assert.equal(resolutionOrder("greet", "file:///opt/app/node_modules/other/index.js", LUX), "env-last");
  assert.equal(resolutionOrder("greet", "file:///opt/app/node_modules/@lux/core/dist/chunk.js", LUX), "env-last");
  assert.equal(resolutionOrder("greet", "file:///repo/packages/core/dist/chunk.js", "file:///repo/packages/"), "env-last");
  assert.equal(resolutionOrder("greet", "data:text/javascript,1", LUX), "env-last");
  assert.equal(resolutionOrder("greet", undefined, LUX), "usual");
  assert.equal(resolutionOrder("./x.js", "file:///home/me/app/tasks.ts", LUX), "usual");
  assert.equal(resolutionOrder("lux", "file:///home/me/app/tasks.ts", LUX), "usual");
});

test("a resolution from the env starts inside it and counts only files under its node_modules", () => {
  const nm = "file:///cache/env_ab/node_modules/";
  assert.equal(envParentUrl(nm), "file:///cache/env_ab/lux-npm-env.js");
  assert.equal(envParentUrl("file:///cache/env_ab/node_modules"), "file:///cache/env_ab/lux-npm-env.js");
  assert.equal(isInEnv("file:///cache/env_ab/node_modules/greet/index.js", nm), true);
  assert.equal(isInEnv("file:///cache/node_modules/greet/index.js", nm), false);
  assert.equal(isInEnv("file:///cache/env_ab/node_modules_other/greet/index.js", "file:///cache/env_ab/node_modules"), false);
});
