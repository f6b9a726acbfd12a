/**
 * Inputs that broke something, kept in test/fuzz-corpus/<target>/ as JSON (the sessions'
 * writes in base64, with the token left out): test/integration/fuzz-corpus.test.ts
 * replays every one of them against a fresh cluster.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Session, TargetName } from "./targets.js";

export const CORPUS_DIR = path.resolve(import.meta.dirname, "../fuzz-corpus");

export interface CorpusEntry {
  target: TargetName;
  /** What went wrong when these sessions were played. */
  problem: string;
  /** The run's --seed. */
  seed: number;
  /** The sessions played last before it went wrong, oldest first. */
  sessions: { auth: string; inputs: number; writes: string[]; replySeed?: number; from?: string }[];
}

/** Saves `sessions` as one entry; returns its file. */
export function saveEntry(dir: string, target: TargetName, problem: string, seed: number, sessions: readonly Session[]): string {
  const entry: CorpusEntry = {
    target,
    problem,
    seed,
    sessions: sessions.map((s) => ({
      auth: s.auth,
      inputs: s.inputs,
      writes: s.writes.map((w) => w.toString("base64")),
      ...("replySeed" in s && s.replySeed !== undefined ? { replySeed: s.replySeed } : {}),
      ...("from" in s && s.from !== undefined ? { from: s.from } : {}),
    })),
  };
  const text = `${JSON.stringify(entry, null, 1)}\n`;
  const file = path.join(dir, target, `${createHash("sha256").update(text).digest("hex").slice(0, 16)}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** The saved sessions of `target`, as they can be played again. */
export function loadSessions(dir: string, target: TargetName): { file: string; sessions: Session[] }[] {
  const folder = path.join(dir, target);
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const entry = JSON.parse(fs.readFileSync(path.join(folder, f), "utf8")) as CorpusEntry;
      const sessions = entry.sessions.map((s) => ({ ...s, writes: s.writes.map((w) => Buffer.from(w, "base64")) }) as Session);
      return { file: path.join(folder, f), sessions };
    });
}
