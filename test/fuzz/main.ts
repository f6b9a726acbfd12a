/**
 * `npm run fuzz -- --target gcs|raylet|worker|transfer|http|all [--seconds N] [--seed N] [--json]`
 *
 * Feeds live servers random bytes and mutations of valid frames and requests (bit flips,
 * truncation, huge length prefixes, wrong types, frames before the handshake), on the
 * cluster at LUX_ADDRESS or on one it starts. Several targets: `--target gcs,raylet` or
 * `all`, one after the other on one cluster. Prints one line per target (inputs per second,
 * what the server answered, its memory before and after); with `--json`, those lines go to
 * stderr and stdout gets one JSON line: { ok, seed, targets: [{ target, inputsPerSec, … }] }.
 * Exits 1 if a server exited, stopped answering, grew by 64 MiB or more, or a process logged
 * an unhandled rejection; the inputs played last are then in test/fuzz-corpus/<target>/.
 *
 * `--replay` plays the saved inputs of the targets again instead (what the regression test
 * test/integration/fuzz-corpus.test.ts does), naming the first session after which a
 * server was gone.
 */
import { openEnv } from "./cluster.js";
import { CORPUS_DIR } from "./corpus.js";
import { replayCorpus } from "./replay.js";
import { runFuzz } from "./run.js";
import { TARGET_NAMES, type TargetName } from "./targets.js";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function targets(): TargetName[] {
  const given = option("target") ?? "all";
  const names = given === "all" ? [...TARGET_NAMES] : given.split(",");
  for (const n of names) {
    if (!(TARGET_NAMES as readonly string[]).includes(n)) throw new Error(`--target ${n}: expected one of ${TARGET_NAMES.join(", ")} or all`);
  }
  return names as TargetName[];
}

function positive(name: string, fallback: number): number {
  const v = Number(option(name) ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
  return v;
}

async function replay(): Promise<boolean> {
  const env = await openEnv(console.log);
  let ok = true;
  try {
    for (const target of targets()) {
      for (const r of await replayCorpus(env, option("corpus") ?? CORPUS_DIR, target)) {
        console.log(`replay ${target} ${r.file}: ${r.sessions} sessions, ${r.problem ?? "the server survived"}`);
        ok &&= r.problem === undefined;
      }
    }
  } finally {
    await env.close();
  }
  return ok;
}

if (process.argv.includes("--replay")) process.exit((await replay()) ? 0 : 1);

const json = process.argv.includes("--json");
const log = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
const report = await runFuzz({
  targets: targets(),
  seconds: positive("seconds", 10),
  seed: Math.floor(positive("seed", 1 + Math.floor(Math.random() * 2 ** 31))),
  corpusDir: option("corpus") ?? CORPUS_DIR,
  log,
});
if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
log(`fuzz: ${report.ok ? "ok" : "FAILED"} (seed ${report.seed})`);
process.exit(report.ok ? 0 : 1);
