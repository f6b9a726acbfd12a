/**
 * Type tests for lux.util.collective (issue 15 point 8): checked by `tsc` (npm run typecheck),
 * never run. Each `@ts-expect-error` line must be an error, or tsc fails.
 */
import * as lux from "lux";
import { collective } from "lux/util";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(eq: Equal<A, B>): void;

class Trainer {
  grads = new Float32Array(8);
}
const TrainerActor = lux.remote(Trainer);
const trainers = [TrainerActor.remote(), TrainerActor.remote()];

// lux/util's collective is lux.util.collective.
assertEqual<typeof collective, typeof lux.util.collective>(true);

// Groups: from the driver with actor handles, or from inside each actor.
void lux.util.collective.createCollectiveGroup(trainers, { groupName: "g" });
// @ts-expect-error numbers are not actor handles
void lux.util.collective.createCollectiveGroup([1, 2]);
void lux.util.collective.initCollectiveGroup({ worldSize: 2, rank: 0, groupName: "g" });
// @ts-expect-error worldSize is required
void lux.util.collective.initCollectiveGroup({ rank: 0 });
const rank: Promise<number> = lux.util.collective.getRank({ groupName: "g" });
const size: Promise<number> = lux.util.collective.getCollectiveGroupSize();
void rank;
void size;
void lux.util.collective.destroyCollectiveGroup("g");

// Operations resolve to the array they were given, typed as it is.
const f32 = new Float32Array(8);
const summed = lux.util.collective.allreduce(f32, { op: "MAX", groupName: "g", timeoutMs: 5000 });
assertEqual<typeof summed, Promise<typeof f32>>(true);
const big = lux.util.collective.broadcast(new BigInt64Array(2), { srcRank: 1 });
assertEqual<Awaited<typeof big>, BigInt64Array<ArrayBuffer>>(true);
const reduced = lux.util.collective.reduce(new Int32Array(2), { dstRank: 0, op: "PRODUCT" });
assertEqual<Awaited<typeof reduced>, Int32Array<ArrayBuffer>>(true);
const gathered = lux.util.collective.allgather([new Float32Array(8), new Float32Array(8)], f32);
assertEqual<Awaited<typeof gathered>, Float32Array<ArrayBuffer>[]>(true);
const received = lux.util.collective.recv(new Float64Array(3), { srcRank: 0 });
assertEqual<Awaited<typeof received>, Float64Array<ArrayBuffer>>(true);
const sent: Promise<void> = lux.util.collective.send(f32, { dstRank: 1 });
const waited: Promise<void> = lux.util.collective.barrier({ timeoutMs: 1000 });
void sent;
void waited;
const op: lux.util.collective.ReduceOp = "MIN";
void op;

// @ts-expect-error ops are upper case: "SUM", "PRODUCT", "MIN", "MAX"
void lux.util.collective.allreduce(f32, { op: "sum" });
// @ts-expect-error a plain array is not a typed array
void lux.util.collective.allreduce([1, 2, 3]);
// @ts-expect-error a DataView is not a typed array
void lux.util.collective.allreduce(new DataView(new ArrayBuffer(8)));
// @ts-expect-error send names the rank it sends to
void lux.util.collective.send(f32, {});
// @ts-expect-error recv names the rank it receives from (srcRank)
void lux.util.collective.recv(f32, { dstRank: 1 });
// @ts-expect-error broadcast's root is srcRank
void lux.util.collective.broadcast(f32, { dstRank: 1 });
// @ts-expect-error allgather's out arrays are of the array's type
void lux.util.collective.allgather([new Int32Array(8)], f32);

// sharedArray gives an array of the class it is given.
const shared = lux.util.collective.sharedArray(Float32Array, 1024, { groupName: "g" });
assertEqual<typeof shared, Float32Array<ArrayBuffer>>(true);
const sharedBig = lux.util.collective.sharedArray(BigUint64Array, 4);
assertEqual<typeof sharedBig, BigUint64Array<ArrayBuffer>>(true);
void lux.util.collective.allreduce(shared, { op: "SUM" });
// @ts-expect-error Array is not a typed array class
void lux.util.collective.sharedArray(Array, 4);
// @ts-expect-error DataView is not a typed array class
void lux.util.collective.sharedArray(DataView, 4);
// @ts-expect-error the length is a number
void lux.util.collective.sharedArray(Float32Array, "4");
