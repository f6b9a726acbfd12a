/**
 * Issue 13 point 15: the README leads with the pattern that always works (definitions at a
 * module's top level, the driver's code in lux.main). Its example is run here as a user
 * would, under tsx, so the README cannot drift from what works.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, test } from "node:test";
import { root, runScript } from "./helpers.js";

const file = path.join(root, "test/integration/fixtures", `readme-app-${process.pid}.ts`);
after(() => fs.rmSync(file, { force: true }));

test("the README's first example runs as written", async () => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const first = readme.indexOf("```ts\n");
  assert.ok(first >= 0 && readme.indexOf("## Start here") < first, "the README's first code block follows its 'Start here' heading");
  const code = readme.slice(first + "```ts\n".length, readme.indexOf("\n```", first));
  assert.match(code, /lux\.main\(/);
  fs.writeFileSync(file, code);
  const r = await runScript(file, { env: { LUX_ADDRESS: "" }, timeoutMs: 90_000 });
  assert.equal(r.code, 0, r.stderr);
  // The words of README.md and package.json, added up by the actor.
  assert.ok(Number(r.stdout.trim()) > 100, `printed: ${r.stdout}`);
});
