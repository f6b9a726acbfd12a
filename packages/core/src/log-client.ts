/**
 * The state API's logs: each node's log files (`listLogs`), and the lines of one file, one
 * worker's output, one actor's or one task's (`getLog`), read from the node's raylet
 * (RayletService `listLogs`, `readLog`) over connections opened for the call and closed
 * after it. `follow` asks the node again every logFollowIntervalMs for what was written
 * since, until the consumer stops iterating. See docs/observability.md, "Logs".
 */
import {
  ConnectionPool,
  sleep,
  systemClock,
  type GcsService,
  type LogCursor,
  type LogReadRequest,
  type NodeInfo,
  type NodeLogFiles,
  type PeerOptions,
  type RayletService,
  type RpcCaller,
  type StateItems,
} from "@lux/protocol";
import { InvalidOptionError, LogNotFoundError } from "@lux/common";

/** What `lux.state.getLog` reads: one of `file`, `pid`, `actorId` or `taskId`. */
export interface GetLogOptions {
  /** The node of `file` or `pid` (its id, or the start of it); default: the node that has it. */
  nodeId?: string;
  /** A file of the node's session logs (`lux.state.listLogs` lists them), e.g. "raylet.log". */
  file?: string;
  /** A worker's output (its file and the rotated ones before it), by the worker's pid. */
  pid?: number;
  /** An actor's output: the lines its worker wrote for it. */
  actorId?: string;
  /** A task's output: only the lines written while it ran (each run, if it was retried). */
  taskId?: string;
  /** Only the last `tail` lines (then, with `follow`, what comes after them). */
  tail?: number;
  /** Go on with lines written later, until the consumer stops (`break`, `return()`). */
  follow?: boolean;
}

/** What the logs calls need of the state client. */
export interface LogAccess {
  gcs: RpcCaller<GcsService>;
  /** How to connect to raylets (the cluster's token and options). */
  peerOptions: PeerOptions;
  /** config logFollowIntervalMs. */
  followMs: number;
  get<K extends "tasks" | "actors">(kind: K, id: string): Promise<StateItems[K] | undefined>;
  /** What a failed call to the control service becomes. */
  failed: (error: unknown) => never;
}

/** One read: a node, and what to ask its raylet for. */
interface Target {
  node: NodeInfo;
  request: LogReadRequest;
  cursor?: LogCursor;
}

const SELECTORS = ["file", "pid", "actorId", "taskId"] as const;

/** Each alive node's log files (of the node `nodeId` names, if given). */
export async function listLogs(access: LogAccess, options: { nodeId?: string } = {}): Promise<NodeLogFiles[]> {
  const pool = new ConnectionPool<RayletService>(access.peerOptions);
  try {
    const nodes = options.nodeId === undefined ? (await aliveNodes(access)).nodes : [await nodeNamed(access, options.nodeId)];
    const answers = await Promise.all(
      nodes.map((n) =>
        pool
          .get(n.address)
          .then((r) => r.call("listLogs", {}))
          .catch((e: unknown) => {
            if (options.nodeId !== undefined) throw e;
            return undefined; // a node that does not answer is left out of a listing of all
          }),
      ),
    );
    return answers.filter((a): a is NodeLogFiles => a !== undefined);
  } finally {
    pool.close();
  }
}

/**
 * The lines `options` names, oldest first; with `follow`, then those written later, as they
 * come. Its iterator's `return()` (a `break` out of `for await`, or a call while a `next()`
 * waits for lines) ends the reading at once: no request is made after it.
 */
export function getLog(access: LogAccess, options: GetLogOptions): AsyncIterable<string> {
  return {
    [Symbol.asyncIterator]: (): AsyncIterator<string> => {
      const stop = new AbortController();
      const lines = readLines(access, options, stop.signal);
      return {
        next: () => lines.next(),
        return: () => {
          stop.abort();
          // It ends at its next step (a wait in between ends now); nobody waits for that.
          lines.return(undefined).catch(() => undefined);
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}

/** Bad options reject the first `next()`, as the other state calls reject. */
async function* readLines(access: LogAccess, given: GetLogOptions, signal: AbortSignal): AsyncGenerator<string, void, undefined> {
  const options = checkGetLog(given);
  const pool = new ConnectionPool<RayletService>(access.peerOptions);
  try {
    const targets = await targetsOf(access, options, pool);
    const read = async (t: Target, extra: Partial<LogReadRequest>): Promise<string[]> => {
      const chunk = await (await pool.get(t.node.address)).call("readLog", { ...t.request, ...extra });
      t.cursor = chunk.cursor;
      return chunk.more && !signal.aborted ? [...chunk.lines, ...(await read(t, { cursor: chunk.cursor }))] : chunk.lines;
    };
    if (options.tail !== undefined) {
      const lines: string[] = [];
      for (const t of targets) lines.push(...(await read(t, { tail: options.tail })));
      yield* lines.slice(-options.tail);
    } else {
      for (const t of targets) if (!signal.aborted) yield* await read(t, {});
    }
    const last = targets[targets.length - 1];
    if (options.follow !== true || last === undefined) return;
    for (;;) {
      await sleep(systemClock, access.followMs, signal).catch(() => undefined);
      if (signal.aborted) return;
      yield* await read(last, last.cursor !== undefined ? { cursor: last.cursor } : {});
    }
  } finally {
    pool.close();
  }
}

function checkGetLog(options: GetLogOptions): GetLogOptions {
  if (options === null || typeof options !== "object") throw new InvalidOptionError({ option: "getLog", expected: "an options object", received: options });
  const given = SELECTORS.filter((k) => options[k] !== undefined);
  if (given.length !== 1) {
    throw new InvalidOptionError({ option: given.length === 0 ? "getLog" : given.join(" and "), expected: "exactly one of file, pid, actorId or taskId" });
  }
  if (options.tail !== undefined && (!Number.isInteger(options.tail) || options.tail < 1)) {
    throw new InvalidOptionError({ option: "tail", expected: "a whole number >= 1", received: options.tail });
  }
  if (options.pid !== undefined && (!Number.isInteger(options.pid) || options.pid < 1)) {
    throw new InvalidOptionError({ option: "pid", expected: "a process id (a whole number >= 1)", received: options.pid });
  }
  if (options.nodeId !== undefined && options.file === undefined && options.pid === undefined) {
    throw new InvalidOptionError({ option: "nodeId", expected: "nodeId only with file or pid (an actor's and a task's node are known)" });
  }
  return options;
}

/** The reads `options` needs: one, or a task's runs (each on its node), in order. */
async function targetsOf(access: LogAccess, options: GetLogOptions, pool: ConnectionPool<RayletService>): Promise<Target[]> {
  if (options.actorId !== undefined) return [await actorTarget(access, options.actorId)];
  if (options.taskId !== undefined) return taskTargets(access, options.taskId);
  const name = options.file ?? `worker-${options.pid}.log`;
  const request: LogReadRequest = options.file !== undefined ? { file: options.file } : { pid: options.pid as number };
  if (options.nodeId !== undefined) return [{ node: await nodeNamed(access, options.nodeId), request }];
  return [{ node: await nodeWith(access, pool, name, options.file !== undefined ? `file ${JSON.stringify(name)}` : `worker pid ${options.pid}`), request }];
}

async function actorTarget(access: LogAccess, actorId: string): Promise<Target> {
  const actor = await access.get("actors", actorId);
  if (actor === undefined) throw new LogNotFoundError({ what: `actor ${actorId}`, reason: "the cluster has no actor with this id" });
  if (actor.nodeId === null || actor.workerId === null) {
    throw new LogNotFoundError({ what: `actor ${actorId}`, reason: `it has no worker (it is ${actor.state}); its output is there once it runs` });
  }
  const node = await nodeNamed(access, actor.nodeId);
  return { node, request: { workerId: actor.workerId, actorId } };
}

async function taskTargets(access: LogAccess, taskId: string): Promise<Target[]> {
  const task = await access.get("tasks", taskId);
  if (task === undefined) {
    throw new LogNotFoundError({ what: `task ${taskId}`, reason: "the control service knows no such task (it keeps the last taskEventsMax; task events may be off)" });
  }
  const runs = task.executions ?? [];
  if (runs.length === 0) throw new LogNotFoundError({ what: `task ${taskId}`, reason: `it has not run yet (it is ${task.state})` });
  const { nodes } = await aliveNodes(access, true);
  const targets: Target[] = [];
  for (const run of runs) {
    if (targets.some((t) => t.node.nodeId === run.nodeId && t.request.pid === run.pid)) continue;
    const node = nodes.find((n) => n.nodeId === run.nodeId);
    if (node === undefined || !node.alive) continue; // its node is gone, and its files with it
    targets.push({ node, request: { pid: run.pid, taskId } });
  }
  if (targets.length === 0) throw new LogNotFoundError({ what: `task ${taskId}`, reason: "the nodes it ran on are dead" });
  return targets;
}

async function aliveNodes(access: LogAccess, withDead = false): Promise<{ nodes: NodeInfo[] }> {
  const all = await access.gcs.call("getNodes", {}).catch(access.failed);
  return { nodes: withDead ? all : all.filter((n) => n.alive) };
}

/** The node `id` names (its id, or the start of one), alive; LogNotFoundError otherwise. */
async function nodeNamed(access: LogAccess, id: string): Promise<NodeInfo> {
  const { nodes } = await aliveNodes(access, true);
  const matching = nodes.filter((n) => n.nodeId === id || (id.length >= 4 && n.nodeId.startsWith(id)));
  const alive = matching.filter((n) => n.alive);
  if (alive.length === 1) return alive[0] as NodeInfo;
  if (alive.length > 1) throw new InvalidOptionError({ option: "nodeId", expected: `a longer start of one of ${alive.map((n) => n.nodeId).join(", ")}`, received: id });
  const reason = matching.length > 0 ? "the node is dead (its raylet serves its logs)" : `no node has this id; the alive ones: ${nodes.filter((n) => n.alive).map((n) => n.nodeId).join(", ") || "none"}`;
  throw new LogNotFoundError({ what: `node ${id}`, reason });
}

/**
 * The node that has file `name`. Nodes started on one machine may share a session folder
 * and list the same file (the control service's): any of them then serves it.
 */
async function nodeWith(access: LogAccess, pool: ConnectionPool<RayletService>, name: string, what: string): Promise<NodeInfo> {
  const { nodes } = await aliveNodes(access);
  const listed = await Promise.all(nodes.map((n) => pool.get(n.address).then((r) => r.call("listLogs", {})).catch(() => undefined)));
  const having: { node: NodeInfo; size: number; modifiedAt: number }[] = [];
  listed.forEach((l, i) => {
    const file = l?.files.find((f) => f.name === name);
    if (file !== undefined) having.push({ node: nodes[i] as NodeInfo, size: file.size, modifiedAt: file.modifiedAt });
  });
  const [first] = having;
  if (first === undefined) throw new LogNotFoundError({ what, reason: `no alive node has it (${nodes.length} asked; lux logs lists each node's files)` });
  if (having.every((h) => h.size === first.size && h.modifiedAt === first.modifiedAt)) return first.node;
  throw new InvalidOptionError({ option: "nodeId", expected: `one of the nodes that have ${name}: ${having.map((h) => h.node.nodeId).join(", ")}` });
}
