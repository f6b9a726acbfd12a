/**
 * Type tests for lux.util (issue 15 points 5, 6, 7, 10): checked by `tsc` (npm run typecheck),
 * never run. Each `@ts-expect-error` line must be an error, or tsc fails.
 */
import * as lux from "lux";
import { ActorPool, Pool, Queue, kv } from "lux/util";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(eq: Equal<A, B>): void;

class Worker {
  double(x: number): number {
    return 2 * x;
  }
  async label(x: number): Promise<string> {
    return `#${x}`;
  }
}
const WorkerActor = lux.remote(Worker);
const workers = [WorkerActor.remote(), WorkerActor.remote()];

// lux/util is lux.util.
assertEqual<typeof ActorPool, typeof lux.util.ActorPool>(true);
assertEqual<typeof Queue, typeof lux.util.Queue>(true);
assertEqual<typeof Pool, typeof lux.util.Pool>(true);
assertEqual<typeof kv, typeof lux.util.kv>(true);

// ActorPool: map and mapUnordered yield values typed from the method called, not refs.
const pool = new lux.util.ActorPool(workers);
const doubled = pool.map((a, x: number) => a.double.remote(x), [1, 2]);
assertEqual<typeof doubled, AsyncIterableIterator<number>>(true);
const labels = pool.mapUnordered((a, x: number) => a.label.remote(x), [1, 2]);
assertEqual<typeof labels, AsyncIterableIterator<string>>(true);
// @ts-expect-error values of the wrong type for the function
pool.map((a, x: number) => a.double.remote(x), ["1"]);
// @ts-expect-error the function must return an actor call's ObjectRef
pool.map((a, x: number) => a.double, [1]);
// A pool typed by its results: submit takes calls giving that type, getNext returns it.
const typed = new lux.util.ActorPool<lux.ActorHandle<Worker>, number>(workers);
typed.submit((a, x: number) => a.double.remote(x), 1);
// @ts-expect-error a call giving another type than the pool's results
typed.submit((a, x: number) => a.label.remote(x), 1);
assertEqual<ReturnType<typeof typed.getNext>, Promise<number>>(true);
assertEqual<ReturnType<typeof typed.getNextUnordered>, Promise<number>>(true);
assertEqual<ReturnType<typeof typed.popIdle>, lux.ActorHandle<Worker> | undefined>(true);
// @ts-expect-error getNext's options are an object
void typed.getNext(100);

// Queue<T>: put takes T, get gives T, batches T[].
const q = new lux.util.Queue<number>({ maxsize: 10, actorOptions: { name: "q" } });
void q.put(1, { block: true, timeoutMs: 100 });
// @ts-expect-error an item of another type
void q.put("1");
assertEqual<ReturnType<typeof q.get>, Promise<number>>(true);
assertEqual<ReturnType<typeof q.getNowaitBatch>, Promise<number[]>>(true);
assertEqual<ReturnType<typeof q.size>, Promise<number>>(true);
void q.putNowaitBatch([1, 2]);
// @ts-expect-error a batch of another type
void q.putNowaitBatch(["a"]);
// @ts-expect-error unknown option
new lux.util.Queue({ maxSize: 1 });
const refs = new lux.util.Queue<lux.ObjectRef<string>>();
assertEqual<ReturnType<typeof refs.get>, Promise<lux.ObjectRef<string>>>(true);

// Pool: results typed from the function; starmap's items are its argument tuples.
const square = (x: number): number => x * x;
const add = (a: number, b: number): number => a + b;
const slow = async (s: string): Promise<number> => s.length;
const noArgs = (): string => "done";
const p = new lux.util.Pool({ processes: 2, initializer: (prefix: string) => prefix, initargs: ["x"], maxTasksPerChild: 10 });
assertEqual<ReturnType<typeof p.map<number, number>>, Promise<number[]>>(true);
const lengths = p.map(slow, ["a"]);
assertEqual<typeof lengths, Promise<number[]>>(true);
// @ts-expect-error items of the wrong type
void p.map(square, ["1"]);
const sums = p.starmap(add, [[1, 2], [3, 4]]);
assertEqual<typeof sums, Promise<number[]>>(true);
// @ts-expect-error starmap items are the function's argument tuples
void p.starmap(add, [[1, "2"]]);
const it = p.imap(square, [1], { chunksize: 1 });
assertEqual<typeof it, AsyncIterableIterator<number>>(true);
assertEqual<ReturnType<typeof p.imapUnordered<string, Promise<number>>>, AsyncIterableIterator<number>>(true);
const ref = p.applyAsync(add, [1, 2]);
assertEqual<typeof ref, lux.ObjectRef<number>>(true);
const applied = p.apply(noArgs);
assertEqual<typeof applied, Promise<string>>(true);
// @ts-expect-error a function with parameters needs its arguments
p.applyAsync(add);
// @ts-expect-error arguments of the wrong type
p.applyAsync(add, [1, "2"]);
// @ts-expect-error initargs must match the initializer's parameters
new lux.util.Pool({ initializer: (n: number) => n, initargs: ["x"] });

// kv: bytes or strings in, bytes out.
assertEqual<ReturnType<typeof lux.util.kv.put>, Promise<boolean>>(true);
assertEqual<ReturnType<typeof lux.util.kv.get>, Promise<Uint8Array | undefined>>(true);
assertEqual<ReturnType<typeof lux.util.kv.keys>, Promise<string[]>>(true);
void lux.util.kv.put("k", new Uint8Array(1), { namespace: "ns", overwrite: false });
// @ts-expect-error values are bytes or strings
void lux.util.kv.put("k", 1);
// @ts-expect-error unknown option
void lux.util.kv.get("k", { ns: "x" });

// Queue errors are exported from lux and are LuxErrors.
declare const e: unknown;
if (e instanceof lux.QueueFullError) {
  const code: lux.ErrorCode = e.code;
  const maxsize: number = e.maxsize;
  const base: lux.LuxError = e;
  void [code, maxsize, base];
}
if (e instanceof lux.QueueEmptyError) {
  const timeout: number | undefined = e.timeoutMs;
  void timeout;
}
