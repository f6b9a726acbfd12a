/**
 * The state API's kinds the control service does not hold: objects (in their owners' memory
 * and in the nodes' stores) and workers (in the raylets' pools). For a listing it asks every
 * alive raylet; each raylet answers for its store and pool and asks each of its processes
 * for the references it holds (RayletService listObjects and listWorkers). A node that does
 * not answer within rpcBestEffortTimeoutMs is left out of that listing.
 */
import type { NodeObjectsReport, ObjectStateItem, ObjectSummary, RayletService, RpcConnection, WorkerStateItem } from "@lux/protocol";
import { createLogger } from "@lux/common";
import type { RowKey, RowSource, Sequencer } from "./state-paging.js";

const log = createLogger("gcs");

type Raylet = { info: { nodeId: string }; connection: RpcConnection<RayletService> };

/** Each alive node's answer to `method`; nodes that fail or time out are left out (and logged). */
export async function askNodes<T>(nodes: Raylet[], method: string, ask: (raylet: RpcConnection<RayletService>) => Promise<T>): Promise<T[]> {
  const answers = await Promise.all(
    nodes.map((n) =>
      ask(n.connection).catch((e: unknown) => {
        log.warn(`state API: node ${n.info.nodeId} did not answer ${method}: ${(e as Error).message}`);
        return undefined;
      }),
    ),
  );
  return answers.filter((a): a is Awaited<T> => a !== undefined) as T[];
}

/** Every alive node's objects: its store, and the references its processes hold. */
export function nodeObjects(nodes: Raylet[], timeoutMs: number): Promise<NodeObjectsReport[]> {
  return askNodes(nodes, "listObjects", (r) => r.call("listObjects", {}, timeoutMs));
}

/** Bytes each alive node's object store holds now (a node that does not answer is left out). */
export async function nodeStoreUse(nodes: Raylet[], timeoutMs: number): Promise<Map<string, number>> {
  const infos = await askNodes(nodes, "getNodeInfo", (r) => r.call("getNodeInfo", {}, timeoutMs));
  return new Map(infos.map((i) => [i.nodeId, i.objectStore.bytes]));
}

/** Every alive node's workers and drivers. */
export async function nodeWorkers(nodes: Raylet[], timeoutMs: number): Promise<WorkerStateItem[]> {
  return (await askNodes(nodes, "listWorkers", (r) => r.call("listWorkers", {}, timeoutMs))).flat();
}

/**
 * One row per (object, process holding it): the references each process reports, and a
 * PINNED row per process whose views of a stored object pin it. Sizes, call sites and
 * copies known anywhere fill the rows that lack them.
 */
export function objectRows(reports: NodeObjectsReport[]): ObjectStateItem[] {
  const sizes = new Map<string, number>();
  const sites = new Map<string, string>();
  const copies = new Map<string, string[]>();
  const rows: ObjectStateItem[] = [];
  for (const node of reports) {
    for (const s of node.stored) {
      sizes.set(s.objectId, s.size);
      const on = copies.get(s.objectId);
      if (on === undefined) copies.set(s.objectId, [node.nodeId]);
      else if (!on.includes(node.nodeId)) on.push(node.nodeId);
    }
    for (const p of node.processes) {
      for (const r of p.refs) {
        if (r.size !== null) sizes.set(r.objectId, r.size);
        if (r.callSite !== null) sites.set(r.objectId, r.callSite);
        rows.push({
          objectId: r.objectId,
          size: r.size,
          refType: r.refType,
          ownerAddress: r.ownerAddress,
          holderAddress: p.address,
          nodeId: node.nodeId,
          pid: p.pid,
          workerId: p.workerId,
          callSite: r.callSite,
          storedOn: r.storedOn,
          status: r.status,
        });
      }
    }
    rows.push(...pinnedRows(node));
  }
  for (const row of rows) {
    row.size ??= sizes.get(row.objectId) ?? null;
    row.callSite ??= sites.get(row.objectId) ?? null;
    const on = copies.get(row.objectId);
    if (on !== undefined) row.storedOn = [...new Set([...(row.storedOn ?? []), ...on])];
  }
  return rows;
}

/** A node's processes that map stored objects (their views pin them in the store). */
function pinnedRows(node: NodeObjectsReport): ObjectStateItem[] {
  const byAddress = new Map(node.processes.map((p) => [p.address, p]));
  const rows: ObjectStateItem[] = [];
  for (const s of node.stored) {
    for (const holder of s.pinnedBy) {
      const p = byAddress.get(holder);
      rows.push({
        objectId: s.objectId,
        size: s.size,
        refType: "PINNED",
        ownerAddress: s.ownerAddress,
        holderAddress: holder,
        nodeId: node.nodeId,
        pid: p?.pid ?? null,
        workerId: p?.workerId ?? null,
        callSite: null,
        storedOn: [node.nodeId],
        status: s.status,
      });
    }
  }
  return rows;
}

const objectRowId = (r: ObjectStateItem): string => `${r.objectId}\u0000${r.holderAddress}\u0000${r.refType}`;

export function objectSource(rows: ObjectStateItem[], seq: Sequencer): RowSource<{ row: ObjectStateItem; seq: number }> {
  return {
    kind: "objects",
    rows: seq.order(rows, objectRowId),
    key: (r): RowKey => [r.seq, objectRowId(r.row)],
    field: (r, name) => (r.row as unknown as Record<string, unknown>)[name],
    item: (r, detail) => {
      if (detail) return r.row;
      const { storedOn: _on, status: _status, ...basic } = r.row;
      return basic;
    },
  };
}

export function workerSource(workers: WorkerStateItem[], seq: Sequencer): RowSource<{ row: WorkerStateItem; seq: number }> {
  return {
    kind: "workers",
    rows: seq.order(workers, (w) => w.workerId),
    key: (r): RowKey => [r.seq, r.row.workerId],
    field: (r, name) => (r.row as unknown as Record<string, unknown>)[name],
    item: (r) => r.row,
  };
}

/** References by ref type and by call site, distinct objects and their bytes, and each node's store. */
export function objectSummary(rows: ObjectStateItem[], reports: NodeObjectsReport[]): ObjectSummary {
  const byRefType: ObjectSummary["byRefType"] = {};
  const byCallSite: ObjectSummary["byCallSite"] = {};
  const distinct = new Map<string, number>();
  for (const r of rows) {
    const size = r.size ?? 0;
    const t = (byRefType[r.refType] ??= { count: 0, bytes: 0 });
    t.count++;
    t.bytes += size;
    const c = (byCallSite[r.callSite ?? "(unknown)"] ??= { count: 0, bytes: 0 });
    c.count++;
    c.bytes += size;
    distinct.set(r.objectId, Math.max(distinct.get(r.objectId) ?? 0, size));
  }
  let bytes = 0;
  for (const size of distinct.values()) bytes += size;
  return { byRefType, byCallSite, objects: distinct.size, bytes, nodes: reports.map((n) => n.store) };
}
