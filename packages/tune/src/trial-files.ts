/**
 * A trial's folder, storagePath/name/<trialName>: `params.json` (its config), `result.json`
 * (a JSON line per result), `progress.csv` (a row per result, nested metrics flattened as
 * `a/b`, the columns of the first result), and its `checkpoint_NNNNNN/` folders.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { flatten } from "./search/space.js";
import type { TrialResult } from "./types.js";

const CHECKPOINT_DIR = /^checkpoint_(\d{6,})$/;

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" ? String(value) : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The columns of a CSV's header line (as this module writes it). */
function readHeader(file: string): string[] | undefined {
  try {
    const first = fs.readFileSync(file, "utf8").split("\n", 1)[0];
    return first === undefined || first === "" ? undefined : first.split(",").map((c) => (c.startsWith('"') ? c.slice(1, -1).replaceAll('""', '"') : c));
  } catch {
    return undefined;
  }
}

export class TrialFiles {
  private columns: string[] | undefined;

  constructor(readonly dir: string) {}

  /** Makes the folder and writes params.json. */
  writeParams(config: Record<string, unknown>): void {
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(path.join(this.dir, "params.json"), JSON.stringify(config, null, 2) + "\n");
  }

  appendResult(result: TrialResult): void {
    fs.appendFileSync(path.join(this.dir, "result.json"), JSON.stringify(result) + "\n");
    const csv = path.join(this.dir, "progress.csv");
    const { config: _config, ...rest } = result;
    const flat = flatten(rest);
    this.columns ??= readHeader(csv);
    if (this.columns === undefined) {
      this.columns = Object.keys(flat);
      fs.appendFileSync(csv, this.columns.map(csvCell).join(",") + "\n");
    }
    fs.appendFileSync(csv, this.columns.map((c) => csvCell(flat[c])).join(",") + "\n");
  }

  /** Removes result.json and progress.csv (a trial run again from its start). */
  removeResults(): void {
    for (const f of ["result.json", "progress.csv"]) fs.rmSync(path.join(this.dir, f), { force: true });
    this.columns = undefined;
  }

  /** The results of result.json (a restored trial's history). */
  readResults(): TrialResult[] {
    try {
      return fs.readFileSync(path.join(this.dir, "result.json"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as TrialResult);
    } catch {
      return [];
    }
  }

  removeCheckpoint(dir: string): void {
    fs.rmSync(path.join(this.dir, dir), { recursive: true, force: true });
  }

  /**
   * Removes the checkpoint folders numbered `from` or more: none the trial registered, so what a
   * run that failed (or a driver killed) left behind before its report was recorded. A trainer's
   * run numbers its checkpoints from the first free number, which would leave a gap.
   */
  removeCheckpointsFrom(from: number): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = CHECKPOINT_DIR.exec(name);
      if (m !== null && Number(m[1]) >= from) this.removeCheckpoint(name);
    }
  }

  /** Copies checkpoint folder `from` (absolute) to `dir` here. */
  copyCheckpoint(from: string, dir: string): void {
    fs.cpSync(from, path.join(this.dir, dir), { recursive: true, force: true });
  }
}
