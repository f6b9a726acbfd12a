/**
 * A fuzz run: for each target, sessions from several connections at once for the given
 * time while a monitor sends a valid request every MONITOR_INTERVAL_MS; then the checks
 * (checks.ts). A server that exits or stops answering ends its target's run at once, and
 * the sessions played last are saved to the corpus; so are they when a check fails.
 * bench/security.ts calls `runFuzz` for the inputs per second of each target.
 */
import { settledRss, unhandledSince, RSS_LIMIT_BYTES } from "./checks.js";
import { openEnv, type FuzzEnv } from "./cluster.js";
import { saveEntry } from "./corpus.js";
import { alive, rssOf } from "./processes.js";
import { Random } from "./random.js";
import { openTarget, type Session, type Target, type TargetName } from "./targets.js";

export interface FuzzOptions {
  targets: readonly TargetName[];
  seconds: number;
  seed: number;
  /** Where failing inputs go (test/fuzz-corpus by default). */
  corpusDir: string;
  /** Sessions in flight at once per target. */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface TargetReport {
  target: TargetName;
  seconds: number;
  inputs: number;
  inputsPerSec: number;
  sessions: number;
  /** Sessions the server ended (protocol errors, refused handshakes): expected for most inputs. */
  closedByServer: number;
  /** What the server answered, by kind (error names, HTTP statuses) and count. */
  answers: Record<string, number>;
  /** For answers that suggest a bug (an internal error, an HTTP 5xx): the first thing each said. */
  samples: Record<string, string>;
  rssBeforeBytes: number | undefined;
  rssAfterBytes: number | undefined;
  alive: boolean;
  answered: boolean;
  unhandled: string[];
  failures: string[];
  saved: string[];
}

export interface FuzzReport {
  ok: boolean;
  seed: number;
  targets: TargetReport[];
}

const MONITOR_INTERVAL_MS = 250;
/** Probes failed in a row before the server counts as not answering (one may time out on a loaded machine). */
const MONITOR_FAILURES = 3;
/** Sessions kept for the corpus: the ones played last before something went wrong. */
const RECENT_SESSIONS = 64;

/** Counts of what happened, filled by the sessions. */
interface Tally {
  inputs: number;
  sessions: number;
  closedByServer: number;
  answers: Record<string, number>;
  samples: Record<string, string>;
}

async function attack(target: Target, r: Random, seconds: number, concurrency: number, recent: Session[]): Promise<{ tally: Tally; failure: string | undefined }> {
  const tally: Tally = { inputs: 0, sessions: 0, closedByServer: 0, answers: {}, samples: {} };
  const deadline = Date.now() + seconds * 1000;
  let failure: string | undefined;
  const stillThere = (): string | undefined => (target.pid !== undefined && !alive(target.pid) ? `the ${target.name} server (pid ${target.pid}) exited` : undefined);
  const monitor = (async () => {
    for (let failed = 0; failure === undefined && Date.now() < deadline; ) {
      try {
        await target.probe();
        failed = 0;
      } catch (e) {
        failure ??= stillThere() ?? (++failed >= MONITOR_FAILURES ? `a valid request failed ${failed} times in a row: ${(e as Error).message}` : undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, MONITOR_INTERVAL_MS));
    }
  })();
  const worker = async (): Promise<void> => {
    while (failure === undefined && Date.now() < deadline) {
      const session = target.session(r);
      recent.push(session);
      if (recent.length > RECENT_SESSIONS) recent.shift();
      try {
        const outcome = await target.play(session);
        tally.inputs += session.inputs;
        tally.sessions++;
        if (outcome.closedByServer) tally.closedByServer++;
        for (const a of outcome.answers) tally.answers[a] = (tally.answers[a] ?? 0) + 1;
        for (const [kind, said] of outcome.samples) tally.samples[kind] ??= said;
      } catch (e) {
        failure ??= stillThere() ?? `cannot connect: ${(e as Error).message}`;
      }
    }
  };
  await Promise.all([monitor, ...Array.from({ length: concurrency }, worker)]);
  return { tally, failure };
}

async function fuzzTarget(env: FuzzEnv, name: TargetName, options: FuzzOptions, r: Random): Promise<TargetReport> {
  const log = options.log ?? (() => undefined);
  const target = await openTarget(name, env);
  try {
    for (let i = 0; i < 5; i++) await target.probe();
    const rssBefore = target.pid === undefined ? undefined : rssOf(target.pid);
    const startedAt = Date.now();
    const recent: Session[] = [];
    log(`fuzz ${name}: ${target.address} (pid ${target.pid ?? "not on this machine"}) for ${options.seconds} s`);
    const { tally, failure } = await attack(target, r, options.seconds, options.concurrency ?? 4, recent);
    const seconds = (Date.now() - startedAt) / 1000;
    const failures = failure === undefined ? [] : [failure];
    const isAlive = target.pid === undefined || alive(target.pid);
    if (!isAlive && failure === undefined) failures.push(`the ${name} server (pid ${target.pid}) exited`);
    const answered = isAlive && (await target.probe().then(() => true, (e: unknown) => (failures.push(`no answer to a valid request afterwards: ${(e as Error).message}`), false)));
    const rssAfter = target.pid === undefined || rssBefore === undefined || !isAlive ? undefined : await settledRss(target.pid, rssBefore);
    if (rssAfter !== undefined && rssBefore !== undefined && rssAfter - rssBefore >= RSS_LIMIT_BYTES) {
      failures.push(`RSS grew by ${mib(rssAfter - rssBefore)} (limit ${mib(RSS_LIMIT_BYTES)})`);
    }
    const unhandled = await unhandledSince(env, startedAt).catch((e: unknown) => [`cannot read the logs: ${(e as Error).message}`]);
    if (unhandled.length > 0) failures.push(`${unhandled.length} unhandled rejection(s) or exception(s) logged`);
    const saved = failures.length === 0 ? [] : [saveEntry(options.corpusDir, name, failures.join("; "), options.seed, recent)];
    return {
      target: name,
      seconds,
      inputs: tally.inputs,
      inputsPerSec: Math.round(tally.inputs / seconds),
      sessions: tally.sessions,
      closedByServer: tally.closedByServer,
      answers: tally.answers,
      samples: tally.samples,
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      alive: isAlive,
      answered,
      unhandled,
      failures,
      saved,
    };
  } finally {
    await target.close();
  }
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function describeReport(t: TargetReport): string {
  const rss = t.rssBeforeBytes === undefined || t.rssAfterBytes === undefined ? "RSS unknown" : `RSS ${mib(t.rssBeforeBytes)} -> ${mib(t.rssAfterBytes)}`;
  const answers = Object.entries(t.answers).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
  const verdict = t.failures.length === 0 ? "ok" : `FAILED: ${t.failures.join("; ")}${t.saved.length > 0 ? ` (inputs saved to ${t.saved.join(", ")})` : ""}`;
  return `fuzz ${t.target}: ${t.inputs} inputs in ${t.seconds.toFixed(1)} s (${t.inputsPerSec}/s), ${t.sessions} sessions, ${t.closedByServer} closed by the server; ${rss}; answers: ${answers || "none"}; ${verdict}`;
}

/** Fuzzes each target in turn on one cluster (LUX_ADDRESS's, or one of its own). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const r = new Random(options.seed);
  const env = await openEnv(options.log ?? (() => undefined));
  const targets: TargetReport[] = [];
  try {
    for (const name of options.targets) {
      const report = await fuzzTarget(env, name, options, r);
      options.log?.(describeReport(report));
      for (const line of report.unhandled.slice(0, 5)) options.log?.(`  ${line}`);
      for (const [kind, said] of Object.entries(report.samples)) options.log?.(`  ${kind}: ${said.slice(0, 400)}`);
      targets.push(report);
    }
  } finally {
    await env.close();
  }
  return { ok: targets.every((t) => t.failures.length === 0), seed: options.seed, targets };
}
