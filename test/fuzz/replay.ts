/**
 * Plays saved inputs again (test/fuzz-corpus/<target>/*.json): what the regression test
 * does, and how a failure the fuzzer found is narrowed down by hand
 * (`npm run fuzz -- --replay [--target T] [--corpus DIR]`).
 *
 * After each session it checks that the server still runs, and after each file that it
 * answers a valid request. Prints the first session after which the server was gone.
 */
import type { FuzzEnv } from "./cluster.js";
import { loadSessions } from "./corpus.js";
import { alive } from "./processes.js";
import { openTarget, type TargetName } from "./targets.js";

export interface ReplayResult {
  file: string;
  sessions: number;
  /** What went wrong: the server gone after session N, or its probe failed; undefined when it survived. */
  problem: string | undefined;
}

/** Replays every saved input of `target` against `env`'s cluster, in file order. */
export async function replayCorpus(env: FuzzEnv, corpusDir: string, target: TargetName): Promise<ReplayResult[]> {
  const t = await openTarget(target, env);
  const results: ReplayResult[] = [];
  try {
    for (const { file, sessions } of loadSessions(corpusDir, target)) {
      let problem: string | undefined;
      for (const [i, session] of sessions.entries()) {
        await t.play(session).catch((e: unknown) => {
          problem ??= `session ${i} could not be played: ${(e as Error).message}`;
        });
        if (t.pid !== undefined && !alive(t.pid)) {
          problem = `the ${target} server (pid ${t.pid}) exited after session ${i}`;
          break;
        }
      }
      if (problem === undefined) {
        await t.probe().catch((e: unknown) => {
          problem = `no answer to a valid request: ${(e as Error).message}`;
        });
      }
      results.push({ file, sessions: sessions.length, problem });
      if (problem !== undefined) break;
    }
  } finally {
    await t.close();
  }
  return results;
}
