/**
 * The `local` provider: each node is a `lux start --address … --block` process on this
 * machine, with its type's resources and labels (for tests and laptops). A node's record (its
 * tags and its process) is a JSON file in the cluster's folder, so the nodes outlive the
 * autoscaler and a restarted one finds them by their tags.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { NodeProviderError, config, createLogger } from "@lux/common";
import { sleep, systemClock, type Clock } from "@lux/protocol";
import { procStartTime } from "@lux/launcher";
import type { NodeTypeConfig } from "./cluster-config.js";
import { luxCommand, workerStartArgs } from "./node-command.js";
import { TAG_NODE_TYPE, tagsMatch, type NodeProvider, type NodeTags } from "./node-provider.js";

const log = createLogger("autoscaler");

export interface LocalProviderOptions {
  clusterName: string;
  /** The control service the nodes join. */
  gcsAddress: string;
  /** The cluster token (LUX_TOKEN of the nodes). */
  token: string;
  nodeTypes: Readonly<Record<string, NodeTypeConfig>>;
  /** Where the nodes' records and logs go (default: <sessionDirRoot>/clusters/<clusterName>/nodes). */
  stateDir?: string;
  /** The `lux` command (default: `node` with the lux package's bin). */
  command?: readonly string[];
  /** How long a node has to stop after SIGTERM before SIGKILL (default 10 s). */
  stopGraceMs?: number;
  /** Times the wait for a node to stop (default: the system clock). */
  clock?: Clock;
}

interface LocalNodeRecord {
  id: string;
  tags: Record<string, string>;
  pid: number;
  procStart: string | undefined;
  logFile: string;
  createdAtMs: number;
}

/** The folder of a cluster's local nodes. */
export function localNodesDir(clusterName: string): string {
  return path.join(config("sessionDirRoot"), "clusters", clusterName, "nodes");
}

export class LocalNodeProvider implements NodeProvider {
  private readonly dir: string;
  private readonly command: readonly string[];
  /** Nodes started by this process that exited by themselves, with how. */
  private readonly failures = new Map<string, string>();
  private readonly terminating = new Set<string>();

  constructor(private readonly options: LocalProviderOptions) {
    this.dir = options.stateDir ?? localNodesDir(options.clusterName);
    this.command = options.command ?? luxCommand();
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  createNodes(nodeType: string, count: number, tags: NodeTags): Promise<string[]> {
    const type = this.options.nodeTypes[nodeType];
    if (type === undefined) throw new NodeProviderError({ provider: "local", operation: `create ${nodeType} nodes`, reason: "no such node type" });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(this.start(type, { ...tags, [TAG_NODE_TYPE]: nodeType }));
    return Promise.resolve(ids);
  }

  private start(type: NodeTypeConfig, tags: Record<string, string>): string {
    const id = `${this.options.clusterName}-${type.name}-${randomBytes(4).toString("hex")}`;
    const logFile = path.join(this.dir, `${id}.log`);
    const storeBytes = type.nodeConfig["objectStoreMemory"];
    const extra = ["--node-ip-address", "127.0.0.1", ...(typeof storeBytes === "number" ? ["--object-store-memory", String(storeBytes)] : [])];
    const fd = fs.openSync(logFile, "a");
    const [cmd, ...prefix] = this.command;
    let child;
    try {
      child = spawn(cmd as string, [...prefix, ...workerStartArgs(type, this.options.gcsAddress, extra)], {
        detached: true,
        stdio: ["ignore", fd, fd],
        env: { ...process.env, LUX_TOKEN: this.options.token, LUX_INSTANCE_ID: id, LUX_NODE_TYPE: type.name, LUX_ADDRESS: "" },
      });
    } finally {
      fs.closeSync(fd);
    }
    if (child.pid === undefined) {
      throw new NodeProviderError({ provider: "local", operation: `start a ${type.name} node`, reason: "the process could not be spawned (out of processes or file descriptors?)" });
    }
    child.on("error", () => undefined);
    child.once("exit", (code, signal) => {
      // Code 0, or SIGTERM before its handler was installed: it was stopped (by this provider
      // or another, e.g. `lux down`), it did not fail.
      if (!this.terminating.has(id) && code !== 0 && signal !== "SIGTERM") this.failures.set(id, `its lux start process exited (${signal ?? `code ${code}`}); see ${logFile}`);
      fs.rmSync(this.recordFile(id), { force: true });
    });
    child.unref();
    const record: LocalNodeRecord = { id, tags, pid: child.pid, procStart: procStartTime(child.pid), logFile, createdAtMs: Date.now() };
    fs.writeFileSync(this.recordFile(id), `${JSON.stringify(record)}\n`, { mode: 0o600 });
    log.info(`started ${type.name} node ${id} (pid ${child.pid}); log ${logFile}`);
    return id;
  }

  async terminateNodes(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.stop(id)));
  }

  private async stop(id: string): Promise<void> {
    const record = this.read(id);
    if (record === undefined) return;
    this.terminating.add(id);
    signal(record.pid, "SIGTERM");
    const clock = this.options.clock ?? systemClock;
    const deadline = clock.now() + (this.options.stopGraceMs ?? 10_000);
    while (this.alive(record)) {
      if (clock.now() > deadline) {
        signal(record.pid, "SIGKILL");
        break;
      }
      await sleep(clock, 25);
    }
    fs.rmSync(this.recordFile(id), { force: true });
  }

  nonTerminatedNodes(tagFilter: NodeTags): Promise<string[]> {
    return Promise.resolve(this.records().filter((r) => tagsMatch(r.tags, tagFilter)).map((r) => r.id));
  }

  nodeTags(id: string): Promise<NodeTags> {
    return Promise.resolve(this.read(id)?.tags ?? {});
  }

  internalIp(id: string): Promise<string | undefined> {
    return Promise.resolve(this.read(id) === undefined ? undefined : "127.0.0.1");
  }

  failureOf(id: string): string | undefined {
    return this.failures.get(id);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private recordFile(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  /** Records of nodes whose process still runs; the others' files are removed. */
  private records(): LocalNodeRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    return names.map((n) => this.read(n.slice(0, -".json".length))).filter((r) => r !== undefined);
  }

  private read(id: string): LocalNodeRecord | undefined {
    let record: LocalNodeRecord;
    try {
      record = JSON.parse(fs.readFileSync(this.recordFile(id), "utf8")) as LocalNodeRecord;
    } catch {
      return undefined;
    }
    if (this.alive(record)) return record;
    fs.rmSync(this.recordFile(id), { force: true });
    return undefined;
  }

  /** The recorded process still runs (the same one: a reused pid has another start time). */
  private alive(record: LocalNodeRecord): boolean {
    const start = procStartTime(record.pid);
    if (start === undefined) return signal(record.pid, 0);
    return record.procStart === undefined || start === record.procStart;
  }
}

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
