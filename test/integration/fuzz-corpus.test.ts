/**
 * Every input `npm run fuzz` saved because it broke a server (test/fuzz-corpus/<target>/)
 * is played again against a fresh cluster: each server must still run and answer a valid
 * request afterwards, and no process may have logged an unhandled rejection. An input
 * that broke something once fails here if it breaks it again.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { unhandledSince } from "../fuzz/checks.js";
import { openEnv, type FuzzEnv } from "../fuzz/cluster.js";
import { CORPUS_DIR, loadSessions } from "../fuzz/corpus.js";
import { replayCorpus } from "../fuzz/replay.js";
import { TARGET_NAMES } from "../fuzz/targets.js";

describe("the fuzz corpus, replayed", () => {
  let env: FuzzEnv;
  const startedAt = Date.now();

  before(async () => {
    delete process.env["LUX_ADDRESS"];
    env = await openEnv(() => undefined);
  });

  after(async () => {
    await env.close();
  });

  test("the corpus is not empty: it holds the inputs of the crashes found so far", () => {
    const files = TARGET_NAMES.flatMap((t) => loadSessions(CORPUS_DIR, t));
    assert.ok(files.length > 0, `no input in ${CORPUS_DIR}`);
    for (const dir of fs.readdirSync(CORPUS_DIR)) {
      assert.ok((TARGET_NAMES as readonly string[]).includes(dir), `${path.join(CORPUS_DIR, dir)} is no target's folder`);
    }
  });

  for (const target of TARGET_NAMES) {
    test(`${target}: every saved input, and the server still runs and answers`, async () => {
      const results = await replayCorpus(env, CORPUS_DIR, target);
      for (const r of results) assert.equal(r.problem, undefined, `${path.relative(CORPUS_DIR, r.file)}: ${r.problem}`);
      assert.equal(results.length, loadSessions(CORPUS_DIR, target).length);
    });
  }

  test("no process of the cluster logged an unhandled rejection or uncaught exception", async () => {
    assert.deepEqual(await unhandledSince(env, startedAt), []);
  });
});
