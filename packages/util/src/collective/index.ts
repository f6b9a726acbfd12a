/**
 * `lux.util.collective`: allreduce, broadcast, allgather, reduce, barrier, send and recv among
 * the actors of a group, on typed arrays in place (Ray's `ray.util.collective`). Ranks of one
 * node exchange through shared memory, ranks of different nodes over direct sockets; the
 * control service only helps them find each other.
 *
 * @example
 * ```ts
 * class Trainer {
 *   grads = new Float32Array(1024);
 *   async step(): Promise<number> {
 *     await lux.util.collective.allreduce(this.grads, { op: "SUM" }); // every rank gets the sum
 *     return this.grads[0];
 *   }
 * }
 * const TrainerActor = lux.remote(Trainer);
 * const trainers = [TrainerActor.remote(), TrainerActor.remote()];
 * await lux.util.collective.createCollectiveGroup(trainers);       // rank = index
 * await lux.get(trainers.map((t) => t.step.remote()));
 * ```
 */
export {
  createCollectiveGroup,
  initCollectiveGroup,
  destroyCollectiveGroup,
  getRank,
  getCollectiveGroupSize,
  allreduce,
  reduce,
  broadcast,
  allgather,
  barrier,
  send,
  recv,
  sharedArray,
} from "./api.js";
export type {
  GroupOptions,
  OperationOptions,
  AllreduceOptions,
  ReduceOptions,
  BroadcastOptions,
  SendOptions,
  RecvOptions,
  CreateCollectiveGroupOptions,
  InitCollectiveGroupOptions,
  SharedArrayOptions,
} from "./options.js";
export type { CollectiveArray, CollectiveArrayType, ReduceOp } from "./typed-arrays.js";
