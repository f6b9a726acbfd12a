/**
 * A raylet's part of the state API: the node's workers and drivers (`listWorkers`), and its
 * objects (`listObjects`): its store's table, and the references each of its processes
 * holds, asked of every registered core worker at once (one that does not answer within
 * the deadline is left out).
 */
import type { CoreWorkerService, NodeObjectsReport, ProcessRefsReport, RayletService, RpcConnection, WorkerStateItem } from "@lux/protocol";
import type { ArenaStore } from "@lux/object-store";
import type { WorkerPool } from "./worker-pool.js";

/** What a core worker told the raylet when it registered (kept on its connection as `peerInfo`). */
export interface ProcessInfo {
  address: string;
  workerId?: string | undefined;
  pid?: number | undefined;
  jobId?: string | undefined;
  /** Registered with registerClient (a driver), not registerWorker. */
  driver?: boolean;
}

export interface NodeStateParts {
  nodeId: string;
  store: ArenaStore;
  workers(): WorkerPool;
  /** The node's registered core workers (workers and drivers), with what they told at registration. */
  processes(): { connection: RpcConnection<CoreWorkerService>; info: ProcessInfo }[];
}

/** The connections of `clients` whose core worker registered (workers and drivers), with what it told. */
export function registeredProcesses(clients: Iterable<RpcConnection<CoreWorkerService, RayletService>>): { connection: RpcConnection<CoreWorkerService>; info: ProcessInfo }[] {
  const out: { connection: RpcConnection<CoreWorkerService>; info: ProcessInfo }[] = [];
  for (const c of clients) {
    const info = c.peerInfo as ProcessInfo | undefined;
    if (info?.address !== undefined && c.state === "open") out.push({ connection: c as unknown as RpcConnection<CoreWorkerService>, info });
  }
  return out;
}

export function listWorkers(parts: NodeStateParts): WorkerStateItem[] {
  const items: WorkerStateItem[] = parts
    .workers()
    .all()
    .map((w) => ({
      workerId: w.workerId,
      nodeId: parts.nodeId,
      pid: w.process.pid ?? null,
      type: "WORKER",
      state: w.state.toUpperCase(),
      jobId: w.jobId,
      address: w.address ?? null,
    }));
  for (const { info } of parts.processes()) {
    if (info.driver !== true || info.workerId === undefined) continue;
    items.push({ workerId: info.workerId, nodeId: parts.nodeId, pid: info.pid ?? null, type: "DRIVER", state: "ALIVE", jobId: info.jobId ?? null, address: info.address });
  }
  return items;
}

export async function listObjects(parts: NodeStateParts, timeoutMs: number): Promise<NodeObjectsReport> {
  const processes = parts.processes();
  const addressOf = new Map<unknown, string>(processes.map((p) => [p.connection, p.info.address]));
  const stored = [...parts.store.objects()].map((o) => ({
    objectId: o.objectId,
    ownerAddress: o.owner,
    size: o.size,
    status: o.state,
    pinnedBy: o.pinnedBy.map((client) => addressOf.get(client)).filter((a): a is string => a !== undefined),
  }));
  const answers = await Promise.all(
    processes.map((p) => p.connection.call("listObjectRefs", {}, timeoutMs).catch((): ProcessRefsReport | undefined => undefined)),
  );
  const { objects, usedBytes, capacity, spilledBytes } = parts.store.stats();
  return {
    nodeId: parts.nodeId,
    store: { nodeId: parts.nodeId, objects, usedBytes, capacityBytes: capacity, spilledBytes },
    stored,
    processes: answers.filter((a): a is ProcessRefsReport => a !== undefined),
  };
}
