/**
 * TaskSpec on the wire, the message sent once per task: positional (no field names), empty
 * lists as 0, and the fields the tasks of one function and owner share (job, function,
 * name, owner address) sent only when they differ from the previous spec on the same
 * connection. Messages on a connection arrive in order, so each end keeps the previous
 * head per connection; every pushTask on a connection must go through these two functions.
 */
import { ProtocolError } from "./errors.js";
import { arr, bytes, int, lit, nullable, num, str, tuple, union, type Infer } from "./schema.js";
import { MAX_NUM_RETURNS, ObjectRefWire, PlacementGroupPlacement, ResolvedArg, ResourceSet, type TaskSpec } from "./wire-types.js";

/**
 * [jobId, functionId, name, ownerAddress, resources?, placementGroup?]: what the tasks of one
 * function, owner and options share (resources and placement group: normal tasks only).
 */
const Head = tuple([str, str, str, str], [ResourceSet, PlacementGroupPlacement]);
type Head = Infer<typeof Head>;

/**
 * [taskId, head (0: the same as the previous spec on this connection), args, numReturns,
 * resolved | 0, borrowed | 0, gpuIds | 0, and for actor method calls
 * [actorId, method, callerId, seq, concurrencyGroup?] (null for each one not set; the group
 * only when the call names one), then for generator tasks [backpressure, skip], then for
 * tasks with maxCalls that count, then 1 for a task whose events its owner reports (each
 * part before the last one null when absent)]. A plain task is the first 7 elements only.
 */
export const TaskSpecWire = tuple(
  [str, union(lit(0), Head), bytes, int(0, MAX_NUM_RETURNS), union(lit(0), arr(ResolvedArg)), union(lit(0), arr(ObjectRefWire)), union(lit(0), arr(num))],
  [nullable(tuple([str, nullable(str), nullable(str), nullable(num)], [str])), nullable(tuple([int(), int()])), nullable(int(1)), lit(1)],
);
export type TaskSpecWire = Infer<typeof TaskSpecWire>;

/**
 * The head last sent on each connection, not the spec it came with: an owner's spec may be
 * its whole task record (core's PlainTask), whose argument refs must not outlive the task.
 */
const sentHeads = new WeakMap<object, Head>();
const receivedHeads = new WeakMap<object, Head>();

/** The wire form of `spec` for `connection` (the sending end). */
export function encodeTaskSpec(connection: object, spec: TaskSpec): TaskSpecWire {
  const last = sentHeads.get(connection);
  let head: Head | 0 = 0;
  if (
    last === undefined ||
    last[0] !== spec.jobId ||
    last[1] !== spec.functionId ||
    last[2] !== spec.name ||
    last[3] !== spec.ownerAddress ||
    last[4] !== spec.resources || // one object per function and options: compared by reference
    last[5] !== spec.placementGroup
  ) {
    head = headOf(spec);
    sentHeads.set(connection, head);
  }
  const wire: TaskSpecWire = [
    spec.taskId,
    head,
    spec.args,
    spec.numReturns,
    spec.resolved.length === 0 ? 0 : spec.resolved,
    spec.borrowed.length === 0 ? 0 : spec.borrowed,
    spec.gpuIds.length === 0 ? 0 : spec.gpuIds,
  ];
  if (spec.actorId !== undefined) {
    const actor: NonNullable<TaskSpecWire[7]> = [spec.actorId, spec.method ?? null, spec.callerId ?? null, spec.seq ?? null];
    // The group only when the call names one: calls without add nothing.
    if (spec.concurrencyGroup !== undefined) actor.push(spec.concurrencyGroup);
    wire.push(actor);
  }
  if (spec.generator !== undefined) {
    if (spec.actorId === undefined) wire.push(null);
    wire.push([spec.generator.backpressure, spec.generator.skip]);
  }
  if (spec.maxCalls !== undefined) withTail(wire, 9, spec.maxCalls);
  if (spec.reported === true) withTail(wire, 10, 1);
  return wire;
}

/**
 * The TaskSpec a wire form received on `connection` stands for. The wire form was checked
 * against `TaskSpecWire` when it was dispatched; a head of 0 with no head before it on the
 * connection is the one error left (ProtocolError).
 */
export function decodeTaskSpec(connection: object, w: TaskSpecWire): TaskSpec {
  let head = w[1];
  if (head === 0) {
    const last = receivedHeads.get(connection);
    if (last === undefined) throw new ProtocolError({ reason: "task spec refers to a previous one, but none came on this connection" });
    head = last;
  } else {
    receivedHeads.set(connection, head);
  }
  const spec: TaskSpec = {
    taskId: w[0],
    jobId: head[0],
    functionId: head[1],
    name: head[2],
    args: w[2],
    resolved: w[4] === 0 ? [] : w[4],
    borrowed: w[5] === 0 ? [] : w[5],
    numReturns: w[3],
    ownerAddress: head[3],
    gpuIds: w[6] === 0 ? [] : w[6],
    // In the literal (not set after), so every decoded spec has one shape.
    reported: w[10] === 1,
  };
  if (head[4] !== undefined) spec.resources = head[4];
  if (head[5] !== undefined) spec.placementGroup = head[5];
  const actor = w[7];
  if (actor !== undefined && actor !== null) {
    spec.actorId = actor[0];
    if (actor[1] !== null) spec.method = actor[1];
    if (actor[2] !== null) spec.callerId = actor[2];
    if (actor[3] !== null) spec.seq = actor[3];
    if (actor[4] !== undefined) spec.concurrencyGroup = actor[4];
  }
  const generator = w[8];
  if (generator !== undefined && generator !== null) spec.generator = { backpressure: generator[0], skip: generator[1] };
  const maxCalls = w[9];
  if (maxCalls !== undefined && maxCalls !== null) spec.maxCalls = maxCalls;
  return spec;
}

/** Puts `value` at `index`, the optional parts before it padded with null. */
function withTail(wire: TaskSpecWire, index: number, value: number): void {
  while (wire.length < index) wire.push(null);
  wire.push(value);
}

function headOf(spec: TaskSpec): Head {
  const { jobId, functionId, name, ownerAddress, resources, placementGroup } = spec;
  if (resources === undefined) return [jobId, functionId, name, ownerAddress];
  return placementGroup === undefined ? [jobId, functionId, name, ownerAddress, resources] : [jobId, functionId, name, ownerAddress, resources, placementGroup];
}
