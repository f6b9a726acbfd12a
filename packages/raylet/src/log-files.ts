/**
 * Which files of the session's logs folder are this node's to show (`lux logs`, the state
 * API's listLogs and getLog): its raylet's own log, the output files of the workers it
 * started, and the logs of the session's other daemons (the control service on the head,
 * …). Nodes started on one machine by one LocalCluster share a session folder: the other
 * raylets' logs and workers are theirs, not this node's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { LogFileInfo } from "@lux/protocol";
import { LogNotFoundError } from "@lux/common";
import { workerLogName, type WorkerOutputs } from "./worker-output.js";

/** A raylet's log or a worker's output file, with or without its rotation suffix. */
const RAYLET_LOG = /^raylet.*\.log$/;
const WORKER_LOG = /^worker-\d+\.log$/;
const ROTATION_SUFFIX = /\.\d+$/;

/** What a read resolved to: a file, read with the rotated files before it (NAME.1 … NAME.N) first. */
export interface LogTarget {
  name: string;
}

export class LogFiles {
  constructor(
    /** The session's logs folder (undefined: no files). */
    readonly dir: string | undefined,
    private readonly nodeId: string,
    /** The file name of the raylet's own log, if it has one. */
    private readonly ownLog: string | undefined,
    private readonly workers: WorkerOutputs,
  ) {}

  list(): LogFileInfo[] {
    if (this.dir === undefined) return [];
    const files: LogFileInfo[] = [];
    for (const name of safeReaddir(this.dir).sort()) {
      if (!this.isOwn(name)) continue;
      try {
        const st = fs.statSync(path.join(this.dir, name));
        if (st.isFile()) files.push({ name, size: st.size, modifiedAt: Math.floor(st.mtimeMs) });
      } catch {
        // removed meanwhile (rotated away)
      }
    }
    return files;
  }

  /** The file `file`, or the output of a worker (by pid or worker id) this node started; LogNotFoundError otherwise. */
  resolve(req: { file?: string | undefined; pid?: number | undefined; workerId?: string | undefined }): LogTarget {
    const node = `node ${this.nodeId.slice(0, 8)}`;
    if (req.file !== undefined) {
      const name = req.file;
      if (!this.isOwn(name) || !this.exists(name)) {
        const names = this.list().map((f) => f.name);
        throw new LogNotFoundError({ what: `file ${JSON.stringify(name)} on ${node}`, reason: `no such file there; it has ${names.length === 0 ? "none" : names.join(", ")}` });
      }
      return { name };
    }
    let pid = req.pid;
    if (pid === undefined && req.workerId !== undefined) {
      pid = this.workers.pidOf(req.workerId);
      if (pid === undefined) throw new LogNotFoundError({ what: `worker ${req.workerId} on ${node}`, reason: "this node did not start that worker" });
    }
    if (pid === undefined) throw new LogNotFoundError({ what: `nothing named on ${node}`, reason: "name a file, a pid or a worker id" });
    const name = workerLogName(pid);
    if (!this.workers.fileNames.has(name) || !this.exists(name)) {
      throw new LogNotFoundError({ what: `worker pid ${pid} on ${node}`, reason: "this node started no worker with that pid (or it wrote no output file)" });
    }
    return { name };
  }

  private isOwn(name: string): boolean {
    const base = name.replace(ROTATION_SUFFIX, "");
    if (base === this.ownLog) return true;
    if (WORKER_LOG.test(base)) return this.workers.fileNames.has(base);
    return !RAYLET_LOG.test(base);
  }

  /** A file (not a folder: "..") of the logs folder. */
  private exists(name: string): boolean {
    if (this.dir === undefined || name.includes("/")) return false;
    try {
      return fs.statSync(path.join(this.dir, name)).isFile();
    } catch {
      return false;
    }
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
