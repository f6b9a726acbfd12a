/**
 * Issue 17 point 1: the cluster token is compared in constant time everywhere. Every check
 * goes through protocol's tokenMatches (digests compared with timingSafeEqual): no source
 * compares a token with === or !== (but against undefined or ""), and no other source
 * compares secrets with timingSafeEqual by hand.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

const root = path.resolve(import.meta.dirname, "../..");
const files = fs.readdirSync(path.join(root, "packages")).flatMap((p) => {
  const src = path.join(root, "packages", p, "src");
  if (!fs.existsSync(src)) return [];
  return fs
    .readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|tsx)$/.test(f) && !f.endsWith(".d.ts"))
    .map((f) => path.join(src, f));
});

/** An expression naming a token (not a page token, not under typeof), compared with === or !== to something that is not undefined or "". */
const PLAIN_COMPARISON = /((?<!typeof\s+)\b(?!page|next)[\w.]*[tT]oken\s*[!=]==(?!\s*(undefined\b|""|''|"string")))|([!=]==\s*(?!page|next)[\w.]*[tT]oken\b(?!\s*[!=]==))/;

/** Files whose "token" is not the cluster's: a file lock's holder id. */
const OTHER_TOKENS = new Set(["packages/raylet/src/file-lock.ts"]);

test("no source compares a cluster token with === or !==", () => {
  assert.ok(files.length > 100);
  const found: string[] = [];
  for (const file of files.filter((f) => !OTHER_TOKENS.has(path.relative(root, f)))) {
    fs.readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (PLAIN_COMPARISON.test(line) && !/(page|Page)Token/.test(line)) found.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});

test("the rule catches what it is for", () => {
  for (const line of ['else if (h.token !== token) problem = "x";', "if (given === options.token) ok();", "return token === candidate;"]) assert.ok(PLAIN_COMPARISON.test(line), line);
  for (const line of ["if (token === undefined) throw e;", 'if (token === "") exit();', "if (pageToken === next) done();", 'if (typeof h.token === "string") ok();']) {
    assert.ok(!PLAIN_COMPARISON.test(line), line);
  }
});

test("timingSafeEqual is used in one place: protocol's token comparison", () => {
  const users = files.filter((f) => fs.readFileSync(f, "utf8").includes("timingSafeEqual")).map((f) => path.relative(root, f));
  assert.deepEqual(users, ["packages/protocol/src/token-compare.ts"]);
});
