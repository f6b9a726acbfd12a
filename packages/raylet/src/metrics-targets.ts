/**
 * Where Prometheus finds the nodes: `<session dir>/metrics/targets.json`, in Prometheus'
 * `file_sd` format (`[{ "targets": ["HOST:PORT"], "labels": { … } }]`). Raylets of one session
 * on one machine share the folder: each writes its own entry as `metrics/nodes/<node id>.json`,
 * then rebuilds targets.json from every entry whose raylet still runs, under a file lock,
 * written aside and renamed into place (Prometheus never reads half a file). A raylet that
 * stops removes its entry and rebuilds; one that was killed is dropped by the next rebuild.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { metricsTargetsFile } from "@lux/common";
import type { Clock } from "@lux/protocol";
import { FileLock, processRuns } from "./file-lock.js";

/** How long a rebuild may wait for the lock; past it, it rebuilds anyway (a later one corrects a lost race). */
const LOCK_WAIT_MS = 5000;
const LOCK_HOLD_MS = 10_000;

interface NodeEntry {
  target: string;
  labels: Record<string, string>;
  pid: number;
}

export interface MetricsTargetsOptions {
  sessionDir: string;
  nodeId: string;
  /** HOST:PORT of the node's /metrics. */
  address: string;
  clock: Clock;
}

export class MetricsTargets {
  private constructor(private readonly options: MetricsTargetsOptions) {}

  /** Adds this node's entry and rebuilds targets.json. */
  static async publish(options: MetricsTargetsOptions): Promise<MetricsTargets> {
    const targets = new MetricsTargets(options);
    const entry: NodeEntry = { target: options.address, labels: { lux_session: path.basename(options.sessionDir) }, pid: process.pid };
    fs.mkdirSync(targets.nodesDir, { recursive: true, mode: 0o700 });
    writeWhole(targets.entryFile, JSON.stringify(entry));
    await targets.rebuild();
    return targets;
  }

  /** Removes this node's entry and rebuilds targets.json. */
  async remove(): Promise<void> {
    fs.rmSync(this.entryFile, { force: true });
    await this.rebuild();
  }

  private get nodesDir(): string {
    return path.join(this.options.sessionDir, "metrics", "nodes");
  }

  private get entryFile(): string {
    return path.join(this.nodesDir, `${this.options.nodeId}.json`);
  }

  private async rebuild(): Promise<void> {
    const { clock, sessionDir } = this.options;
    const lockFile = path.join(sessionDir, "metrics", "targets.lock");
    const lock = await FileLock.acquire(lockFile, { clock, pollMs: 20, holdMs: LOCK_HOLD_MS, deadline: clock.now() + LOCK_WAIT_MS });
    try {
      const groups = liveEntries(this.nodesDir).map((e) => ({ targets: [e.target], labels: e.labels }));
      writeWhole(metricsTargetsFile(sessionDir), `${JSON.stringify(groups, null, 2)}\n`);
    } finally {
      lock?.release();
    }
  }
}

/** The entries of raylets that still run, in name order; files of others are removed. */
function liveEntries(dir: string): NodeEntry[] {
  const entries: NodeEntry[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith(".json")) continue;
    const file = path.join(dir, name);
    let entry: NodeEntry;
    try {
      entry = JSON.parse(fs.readFileSync(file, "utf8")) as NodeEntry;
    } catch {
      continue; // being written (never: entries are renamed into place) or removed meanwhile
    }
    if (processRuns(entry.pid)) entries.push(entry);
    else fs.rmSync(file, { force: true });
  }
  return entries;
}

/** Writes `file` aside, then renames it into place: readers see the old file or the new one, whole. */
function writeWhole(file: string, text: string): void {
  const aside = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(aside, text, { mode: 0o600 });
  fs.renameSync(aside, file);
}
