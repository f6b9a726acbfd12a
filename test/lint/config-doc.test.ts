/** docs/config.md lists every config entry as the registry declares it (type, default, doc). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CONFIG_DOC, expectedConfigDoc } from "../../scripts/config-doc.js";
import { CONFIG_ENTRIES } from "@lux/common";

test("docs/config.md has the registry's tables (regenerate with `npx tsx scripts/config-doc.ts`)", () => {
  const current = readFileSync(CONFIG_DOC, "utf8");
  assert.equal(current, expectedConfigDoc(current), "docs/config.md is out of date: run `npx tsx scripts/config-doc.ts`");
  for (const entry of CONFIG_ENTRIES) assert.ok(current.includes(`| \`${entry.name}\`<br>\`${entry.envVar}\` |`), `${entry.name} is missing`);
});
