/**
 * `Checkpoint`: a folder of files a training loop saved (a model's weights, an optimizer's
 * state, an epoch number), by path. Reported checkpoints are copied into the run's folder
 * (`storagePath/name/checkpoint_000007/`). A Checkpoint is a small value that travels to
 * tasks and actors like any other.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CheckpointNotFoundError } from "lux";

export class Checkpoint {
  /** The folder's absolute path. */
  readonly path: string;

  private constructor(dir: string) {
    this.path = dir;
  }

  /** The checkpoint in folder `dir` (which must exist; nothing is copied). */
  static fromDirectory(dir: string): Checkpoint {
    if (typeof dir !== "string" || dir === "") throw new TypeError(`Checkpoint.fromDirectory() takes a folder's path, got ${typeof dir}`);
    const abs = path.resolve(dir);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CheckpointNotFoundError({ path: abs, reason: code === "ENOENT" ? "no such folder" : `cannot read it (${code ?? String(e)})`, cause: e });
    }
    if (!stat.isDirectory()) throw new CheckpointNotFoundError({ path: abs, reason: "it is a file, not a folder" });
    return checkpointAt(abs);
  }

  /**
   * Copies the checkpoint's files into `dest` (made if missing; a new temporary folder if not
   * given) and resolves to that folder's path. Change the copy freely: the checkpoint stays.
   */
  async toDirectory(dest?: string): Promise<string> {
    const target = dest === undefined ? await fs.promises.mkdtemp(path.join(os.tmpdir(), "lux-checkpoint-")) : path.resolve(dest);
    if (target === this.path) return target;
    await fs.promises.mkdir(target, { recursive: true });
    await fs.promises.cp(this.path, target, { recursive: true, force: true });
    return target;
  }

  toString(): string {
    return `Checkpoint(${this.path})`;
  }
}

/** A checkpoint the run kept, with the metrics (rank 0's) of the report it came with. */
export interface ReportedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly metrics: Record<string, unknown>;
}

/**
 * The checkpoint of folder `dir`, not checked (the trainer's own folders). Outside the class:
 * a class that names itself in its body is bundled under another name, and instances travel
 * by their class's name.
 */
export function checkpointAt(dir: string): Checkpoint {
  return new (Checkpoint as unknown as new (dir: string) => Checkpoint)(dir);
}
