/**
 * pushTask's reply on the wire. Most replies say one thing: the task's one return (numReturns
 * 1) is this small value, inline, with no refs inside. That reply travels as the value's
 * bytes alone; its owner knows the return's id (return 0 of the task it pushed). Every other
 * reply (errors, returns stored in a node's store, several returns, refs inside, a requeue,
 * the worker's flags) travels as a TaskReply. The bytes alone cost the owner, per task, about
 * 0.8 KB of decoding garbage and most of a microsecond less than the map form, whose 32-character
 * object id it then threw away (measured: msgpackr decoding 76 against 12 bytes a reply).
 */
import type { ReturnValue, TaskReply } from "./wire-types.js";

/** A TaskReply, or the bytes of a task's one inline return (see the module comment). */
export type TaskReplyWire = TaskReply | Uint8Array;

/**
 * The wire form of the reply to a task of `numReturns` returns whose `returns` are its return
 * values in order: the value's bytes alone when that is all the reply says.
 */
export function encodeTaskReply(reply: TaskReply, numReturns: number): TaskReplyWire {
  if (numReturns !== 1 || reply.returns.length !== 1) return reply;
  if (reply.requeue !== undefined || reply.hasContained !== undefined || reply.heldThread !== undefined || reply.workerExiting !== undefined) return reply;
  const r = reply.returns[0] as ReturnValue;
  if (r.value === undefined || r.error !== undefined || r.nodeId !== undefined || r.size !== undefined || r.contained !== undefined || r.locations !== undefined) return reply;
  return r.value;
}

/** The TaskReply a wire form stands for; `returnId` gives the id of the task's return 0. */
export function decodeTaskReply(wire: TaskReplyWire, returnId: () => string): TaskReply {
  return wire instanceof Uint8Array ? { returns: [{ objectId: returnId(), value: wire }] } : wire;
}
