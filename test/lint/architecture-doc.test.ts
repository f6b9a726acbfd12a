/**
 * docs/architecture.md is a map of the code: every source file, package and config entry
 * it names must exist, so a rename that forgets the page fails here instead of misleading
 * the next reader.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { CONFIG_ENTRIES } from "@lux/common";

const root = path.resolve(import.meta.dirname, "../..");
const doc = readFileSync(path.join(root, "docs/architecture.md"), "utf8");
const packages = readdirSync(path.join(root, "packages"));

/** Every `code span` of the page. */
const spans = [...doc.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string);

/** Where a named file may be: as written from the root, under packages/, or (a bare name) in some package's src/. */
function fileExists(name: string): boolean {
  if (existsSync(path.join(root, name)) || existsSync(path.join(root, "packages", name))) return true;
  if (name.includes("/")) return false;
  return packages.some((p) => existsSync(path.join(root, "packages", p, "src", name)) || existsSync(path.join(root, "packages", p, "src", "serialization", name)));
}

test("every file docs/architecture.md names exists", () => {
  const files = spans.filter((s) => /^[\w./-]+\.(ts|cc|md|json)$/.test(s));
  assert.ok(files.length > 40, `expected the page to name many files, found ${files.length}`);
  const missing = files.filter((f) => !fileExists(f));
  assert.deepEqual(missing, [], `docs/architecture.md names files that do not exist: ${missing.join(", ")}`);
});

test("every package docs/architecture.md's table names exists, and every package is in the table", () => {
  const rows = [...doc.matchAll(/^\| `([\w-]+)` \|/gm)].map((m) => m[1] as string);
  assert.deepEqual([...rows].sort(), [...packages].sort(), "the package table and packages/ differ");
});

test("the config entries docs/architecture.md names exist", () => {
  const names = new Set<string>(CONFIG_ENTRIES.map((e) => e.name));
  const named = spans.filter((s) => /^[a-z]+[A-Z]\w*(Ms|Bytes)$/.test(s));
  assert.ok(named.length > 0);
  const unknown = named.filter((n) => !names.has(n));
  assert.deepEqual(unknown, [], `unknown config entries: ${unknown.join(", ")}`);
});
