/**
 * A run's folder, `storagePath/name`: reported checkpoints go in it as `checkpoint_000007/`
 * (six digits, numbered from the first free number, so a resumed run never writes over an
 * earlier run's checkpoints).
 */
import * as fs from "node:fs";
import * as path from "node:path";

const CHECKPOINT_DIR = /^checkpoint_(\d{6,})$/;

export function checkpointDirName(index: number): string {
  return `checkpoint_${String(index).padStart(6, "0")}`;
}

/** The numbers of the checkpoint folders in `runPath`, ascending. */
export function checkpointIndexes(runPath: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(runPath);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const m = CHECKPOINT_DIR.exec(n);
    return m === null ? [] : [Number(m[1])];
  }).sort((a, b) => a - b);
}

/** The number the run's next checkpoint folder gets. */
export function nextCheckpointIndex(runPath: string): number {
  return (checkpointIndexes(runPath).at(-1) ?? -1) + 1;
}

/** Removes checkpoint folders numbered `from` or more (what a failed group left half written). */
export async function removeCheckpointsFrom(runPath: string, from: number): Promise<void> {
  await Promise.all(
    checkpointIndexes(runPath)
      .filter((i) => i >= from)
      .map((i) => fs.promises.rm(path.join(runPath, checkpointDirName(i)), { recursive: true, force: true })),
  );
}
