/**
 * TaskSpec on the wire, the message sent once per task: positional (no field names), empty
 * lists as 0, and the fields the tasks of one function and owner share (job, function,
 * name, owner address) sent only when they differ from the previous spec on the same
 * connection. Messages on a connection arrive in order, so each end keeps the previous
 * head per connection; every pushTask on a connection must go through these two functions.
 */
import { ProtocolError } from "./errors.js";
import type { ObjectRefWire, ResolvedArg, TaskSpec } from "./services.js";

type Head = [jobId: string, functionId: string, name: string, ownerAddress: string];

export type TaskSpecWire = [
  taskId: string,
  /** 0: the same as the previous spec on this connection. */
  head: Head | 0,
  args: Uint8Array,
  returnIds: string[],
  resolved: ResolvedArg[] | 0,
  borrowed: ObjectRefWire[] | 0,
  gpuIds: number[] | 0,
  /** Actor method calls only. */
  actor?: [actorId: string, method: string | null, callerId: string | null, seq: number | null],
];

const sentHeads = new WeakMap<object, TaskSpec>();
const receivedHeads = new WeakMap<object, Head>();

/** The wire form of `spec` for `connection` (the sending end). */
export function encodeTaskSpec(connection: object, spec: TaskSpec): TaskSpecWire {
  const last = sentHeads.get(connection);
  let head: Head | 0 = 0;
  if (
    last === undefined ||
    last.jobId !== spec.jobId ||
    last.functionId !== spec.functionId ||
    last.name !== spec.name ||
    last.ownerAddress !== spec.ownerAddress
  ) {
    head = [spec.jobId, spec.functionId, spec.name, spec.ownerAddress];
    sentHeads.set(connection, spec);
  }
  const wire: TaskSpecWire = [
    spec.taskId,
    head,
    spec.args,
    spec.returnIds,
    spec.resolved.length === 0 ? 0 : spec.resolved,
    spec.borrowed.length === 0 ? 0 : spec.borrowed,
    spec.gpuIds.length === 0 ? 0 : spec.gpuIds,
  ];
  if (spec.actorId !== undefined) wire.push([spec.actorId, spec.method ?? null, spec.callerId ?? null, spec.seq ?? null]);
  return wire;
}

/** The TaskSpec a wire form received on `connection` stands for; throws ProtocolError on malformed input. */
export function decodeTaskSpec(connection: object, wire: unknown): TaskSpec {
  if (!Array.isArray(wire) || wire.length < 7 || typeof wire[0] !== "string" || !(wire[2] instanceof Uint8Array) || !Array.isArray(wire[3])) {
    throw new ProtocolError({ reason: "malformed task spec" });
  }
  const w = wire as TaskSpecWire;
  let head = w[1];
  if (head === 0) {
    const last = receivedHeads.get(connection);
    if (last === undefined) throw new ProtocolError({ reason: "task spec refers to a previous one, but none came on this connection" });
    head = last;
  } else if (!Array.isArray(head) || head.length !== 4 || !head.every((h) => typeof h === "string")) {
    throw new ProtocolError({ reason: "malformed task spec head" });
  } else {
    receivedHeads.set(connection, head);
  }
  const spec: TaskSpec = {
    taskId: w[0],
    jobId: head[0],
    functionId: head[1],
    name: head[2],
    args: w[2],
    resolved: listOf(w[4]),
    borrowed: listOf(w[5]),
    returnIds: w[3],
    ownerAddress: head[3],
    gpuIds: listOf(w[6]),
  };
  const actor = w[7];
  if (actor !== undefined) {
    if (!Array.isArray(actor) || typeof actor[0] !== "string") throw new ProtocolError({ reason: "malformed actor call" });
    spec.actorId = actor[0];
    if (actor[1] !== null) spec.method = actor[1];
    if (actor[2] !== null) spec.callerId = actor[2];
    if (actor[3] !== null) spec.seq = actor[3];
  }
  return spec;
}

function listOf<T>(v: T[] | 0): T[] {
  if (v === 0) return [];
  if (!Array.isArray(v)) throw new ProtocolError({ reason: "malformed task spec list" });
  return v;
}
