/**
 * The lint rule that keeps plain `Error`s from users: in the packages whose errors reach
 * users, `new Error(...)` and `Error(...)` are refused unless the Error is the `cause` of a
 * coded one (or only captures a stack); TypeError/RangeError stay allowed for bad arguments.
 * Run through ESLint's Node API on sources placed (virtually) at real files' paths.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { ESLint } from "eslint";

const root = path.resolve(import.meta.dirname, "../..");
const eslint = new ESLint({ cwd: root });

const SOURCE = [
  "export function f(x: number): Promise<void> {",
  '  if (x > 1) throw new Error("refused");', // line 2
  '  if (x > 2) throw Error("refused too");', // line 3
  '  if (x > 3) throw new TypeError("a bad argument: allowed");',
  '  const coded = { cause: new Error("a cause: allowed") };',
  "  void [coded, new Error().stack];",
  '  return Promise.reject(new Error("refused"));', // line 7
  "}",
  "",
].join("\n");

/** Lines where the plain-Error rule fires for SOURCE placed at `file`. */
async function refusedLines(file: string): Promise<number[]> {
  const [result] = await eslint.lintText(SOURCE, { filePath: path.join(root, file) });
  assert.ok(result, `no lint result for ${file}`);
  return result.messages.filter((m) => m.ruleId === "no-restricted-syntax" && /coded/.test(m.message)).map((m) => m.line);
}

test("packages whose errors reach users refuse plain Errors, except as a cause", async () => {
  for (const file of ["packages/core/src/api.ts", "packages/cli/src/errors.ts", "packages/raylet/src/resources.ts", "packages/gcs/src/table.ts"]) {
    assert.deepEqual(await refusedLines(file), [2, 3, 7], file);
  }
});

test("protocol, common and testing are not covered (they hold the base classes and test tools)", async () => {
  for (const file of ["packages/protocol/src/frame.ts", "packages/common/src/wire-error.ts", "packages/testing/src/index.ts"]) {
    assert.deepEqual(await refusedLines(file), [], file);
  }
});
