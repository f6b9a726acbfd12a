/**
 * The lint rule against promises nobody handles: everywhere a promise must be awaited or
 * get a rejection handler; in daemon code (the control service, the raylet, the object
 * store, the launcher and common's helpers they run) `void promise` is refused too, since a
 * rejection nobody handles ends the daemon and what it holds. Run through ESLint's Node API
 * on a source placed (virtually) at real files' paths.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { ESLint } from "eslint";

const root = path.resolve(import.meta.dirname, "../..");
const eslint = new ESLint({ cwd: root });

const SOURCE = [
  "async function work(): Promise<number> {",
  "  return 1;",
  "}",
  "export function f(): void {",
  "  void work();", // line 5: refused in daemon code
  "  work().catch(() => undefined);",
  "  work().then(() => undefined, () => undefined);",
  "  work();", // line 8: refused everywhere
  "}",
  "",
].join("\n");

/** Lines where no-floating-promises fires for SOURCE placed at `file`. */
async function refusedLines(file: string): Promise<number[]> {
  const [result] = await eslint.lintText(SOURCE, { filePath: path.join(root, file) });
  assert.ok(result, `no lint result for ${file}`);
  const fatal = result.messages.filter((m) => m.fatal === true);
  assert.deepEqual(fatal, [], `${file} could not be linted`);
  return result.messages.filter((m) => m.ruleId === "@typescript-eslint/no-floating-promises").map((m) => m.line);
}

test("daemon code refuses `void promise` as well as a floating promise", async () => {
  for (const file of [
    "packages/gcs/src/actor-scheduler.ts",
    "packages/raylet/src/worker-pool.ts",
    "packages/object-store/src/arena-store.ts",
    "packages/launcher/src/node-launcher.ts",
    "packages/common/src/process.ts",
  ]) {
    assert.deepEqual(await refusedLines(file), [5, 8], file);
  }
});

test("elsewhere `void promise` marks a promise left on purpose; a floating one is refused", async () => {
  for (const file of ["packages/core/src/core-worker.ts", "packages/protocol/src/connection.ts", "test/integration/helpers.ts"]) {
    assert.deepEqual(await refusedLines(file), [8], file);
  }
});
