/**
 * The lint rules that keep packages honest, run through ESLint's Node API on small sources
 * placed (virtually) where the repository's eslint.config.js applies them: an import of a
 * package that the importing package.json does not declare is an error, and `.js`/`.mjs`
 * files are linted too. If the config stops applying a rule, these tests fail.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { ESLint, type Linter } from "eslint";

const root = path.resolve(import.meta.dirname, "../..");
const eslint = new ESLint({ cwd: root });

/** The messages ESLint reports for `code` as if it were the file `file` (relative to the root). */
async function lint(file: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  assert.ok(result, `no lint result for ${file}`);
  return result.messages;
}

const undeclared = (messages: Linter.LintMessage[]): string[] =>
  messages
    .filter((m) => m.ruleId === "import-x/no-extraneous-dependencies")
    .map((m) => /'([^']+)'/.exec(m.message)?.[1] ?? m.message)
    .sort();

test("production code may import only what its own package.json declares", async () => {
  // packages/core/bin/ is production code of @lux/core, like its src/ (same config block).
  const messages = await lint(
    "packages/core/bin/lint-fixture.js",
    [
      'import { connectRpc } from "@lux/protocol";', // declared by @lux/core
      'import { Redis } from "ioredis";', // installed (for @lux/gcs), not declared by core
      'import { main } from "@lux/gcs";', // a workspace package core does not declare
      'import { Packr } from "msgpackr";', // declared by @lux/core
      "export const used = [connectRpc, Redis, main, Packr];",
      "",
    ].join("\n"),
  );
  assert.deepEqual(undeclared(messages), ["@lux/gcs", "ioredis"]);
});

test("src/ of each package gets its own package.json as the list of what it may import", async () => {
  for (const dir of ["core", "launcher", "testing"]) {
    const config = (await eslint.calculateConfigForFile(path.join(root, `packages/${dir}/src/index.ts`))) as Linter.Config;
    const rule = config.rules?.["import-x/no-extraneous-dependencies"];
    assert.ok(Array.isArray(rule), `packages/${dir}/src: the rule is not configured`);
    assert.deepEqual(rule.slice(1), [
      {
        packageDir: path.join(root, "packages", dir),
        devDependencies: false,
        optionalDependencies: false,
        peerDependencies: false,
        includeTypes: true,
      },
    ]);
  }
});

test("tests may import the root package.json's dependencies and any of our packages, nothing else", async () => {
  // An existing file's path: a TypeScript file is linted with its tsconfig's types, and a
  // file that no tsconfig includes (a new name) would not be linted at all.
  const messages = await lint(
    "test/integration/helpers.ts",
    [
      'import { Redis } from "ioredis";', // a dependency of @lux/gcs only
      'import { LocalCluster } from "@lux/testing";',
      'import type { ControlServiceClient } from "@lux/launcher";',
      'import { Packr } from "msgpackr";', // a root devDependency
      "export const used: unknown[] = [Redis, LocalCluster, Packr, undefined as unknown as ControlServiceClient];",
      "",
    ].join("\n"),
  );
  assert.deepEqual(undeclared(messages), ["ioredis"]);
});

test(".mjs scripts are linted, with Node's globals", async () => {
  const messages = await lint(
    "scripts/lint-fixture.mjs",
    ['import { Redis } from "ioredis";', "process.stdout.write(String(Redis));", "console.log(notDefined);", ""].join("\n"),
  );
  assert.deepEqual(undeclared(messages), ["ioredis"]);
  assert.deepEqual(
    messages.filter((m) => m.ruleId === "no-undef").map((m) => m.message),
    ["'notDefined' is not defined."],
  );
});

test("@lux/rl may import types of @lux/tune, never a value", async () => {
  const restricted = (code: string) => lint("packages/rl/src/index.ts", code).then((ms) => ms.filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports").map((m) => m.message));
  assert.deepEqual(await restricted('import type { Trainable } from "@lux/tune";\nexport type T = Trainable;\n'), []);
  const value = await restricted('import { Tuner } from "@lux/tune";\nexport const T = Tuner;\n');
  assert.equal(value.length, 1);
  assert.match(value[0] ?? "", /@lux\/rl imports only types of @lux\/tune/);
});
