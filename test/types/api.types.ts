/**
 * Type tests for the generic public API: checked by `tsc` (npm run typecheck), never run.
 * Each `@ts-expect-error` line must be an error, or tsc fails.
 */
import * as lux from "lux";

declare function expectType<T>(value: T): void;
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(eq: Equal<A, B>): void;

const add = lux.remote((a: number, b: string) => `${a}${b}`);
const r1 = add.remote(1, "x");
assertEqual<typeof r1, lux.ObjectRef<string>>(true);
// Each argument may be an ObjectRef of its type.
add.remote(lux.put(1), lux.put("y"));
// @ts-expect-error wrong argument type
add.remote("1", "x");
// @ts-expect-error ObjectRef of the wrong type
add.remote(lux.put("1"), "x");
// @ts-expect-error missing argument
add.remote(1);

const asyncFn = lux.remote(async (n: number) => [n, n]);
assertEqual<ReturnType<typeof asyncFn.remote>, lux.ObjectRef<number[]>>(true);

const pair = lux.remote((n: number): [number, string] => [n, String(n)]).options({ numReturns: 2 });
const [p0, p1] = pair.remote(1);
assertEqual<typeof p0, lux.ObjectRef<number>>(true);
assertEqual<typeof p1, lux.ObjectRef<string>>(true);

// numReturns on a function returning a tuple: the refs .remote() gives, by count.
type Triple = [number, string, boolean];
const triple = lux.remote(async (n: number): Promise<Triple> => [n, String(n), n > 0]);
assertEqual<ReturnType<typeof triple.remote>, lux.ObjectRef<Triple>>(true);
// numReturns: 1 keeps the whole tuple in one ref (in an array, as with any numReturns).
const one = triple.options({ numReturns: 1 }).remote(1);
assertEqual<typeof one, [lux.ObjectRef<Triple>]>(true);
// @ts-expect-error numReturns: 1 gives one ref, not one per element
const [, notSecond] = triple.options({ numReturns: 1 }).remote(1);
void notSecond;
// @ts-expect-error the one ref holds the tuple, not its first element
expectType<lux.ObjectRef<number>>(one[0]);
// The tuple's length: one ref per element, each typed as its element.
const three = triple.options({ numReturns: 3 }).remote(1);
assertEqual<typeof three, [lux.ObjectRef<number>, lux.ObjectRef<string>, lux.ObjectRef<boolean>]>(true);
// Later options keep numReturns; a later numReturns replaces it.
const kept = triple.options({ numReturns: 3 }).options({ numCpus: 0.5 }).remote(1);
assertEqual<typeof kept, typeof three>(true);
const replaced = triple.options({ numReturns: 3 }).options({ numReturns: 1 }).remote(1);
assertEqual<typeof replaced, [lux.ObjectRef<Triple>]>(true);
// Any other count fails the task: its refs never hold a value.
const wrongCount = triple.options({ numReturns: 2 }).remote(1);
assertEqual<typeof wrongCount, lux.ObjectRef<never>[]>(true);
const notATuple = add.options({ numReturns: 2 }).remote(1, "x");
assertEqual<typeof notATuple, lux.ObjectRef<never>[]>(true);
// A count known only at run time: an array of refs of unknown values.
declare const count: number;
const counted = triple.options({ numReturns: count }).remote(1);
assertEqual<typeof counted, lux.ObjectRef<unknown>[]>(true);
// An array of unknown length: one ref per element.
const many = lux.remote((n: number) => Array.from({ length: n }, () => n)).options({ numReturns: 4 }).remote(4);
assertEqual<typeof many, lux.ObjectRef<number>[]>(true);
// Options without numReturns keep one ref.
const named = triple.options({ name: "t" }).remote(1);
assertEqual<typeof named, lux.ObjectRef<Triple>>(true);
const taskOptions: lux.TaskOptions = { numCpus: 1 };
const withOptions = triple.options(taskOptions).remote(1);
assertEqual<typeof withOptions, lux.ObjectRef<Triple>>(true);
// @ts-expect-error numReturns is a count
triple.options({ numReturns: "3" });
// @ts-expect-error unknown option
triple.options({ numReturns: 3, numCpu: 1 });

async function gets(): Promise<void> {
  const s: string = await lux.get(r1);
  expectType<string>(s);
  // @ts-expect-error get result has the ref's type
  const n: number = await lux.get(r1);
  const both = await lux.get([r1, lux.put(2)] as const);
  assertEqual<typeof both, [string, number]>(true);
  const many = await lux.get([r1, r1]);
  expectType<string[]>(many);
  const [ready, notReady] = await lux.wait([r1]);
  expectType<lux.ObjectRef<string>[]>(ready);
  expectType<lux.ObjectRef<string>[]>(notReady);
  void n;
}
void gets;

class Counter {
  n = 0;
  constructor(readonly start: number) {}
  incr(by = 1): number {
    return (this.n += by);
  }
  async name(): Promise<string> {
    return "c";
  }
  pair(): [number, string] {
    return [this.n, "n"];
  }
}
const CounterActor = lux.remote(Counter);
const c = CounterActor.options({ name: "c", maxRestarts: 1 }).remote(5);
assertEqual<typeof c, lux.ActorHandle<Counter>>(true);
assertEqual<ReturnType<typeof c.incr.remote>, lux.ObjectRef<number>>(true);
assertEqual<ReturnType<typeof c.name.remote>, lux.ObjectRef<string>>(true);
c.incr.remote();
c.incr.remote(lux.put(2));
// numReturns on an actor method, as on a remote function.
const pairOne = c.pair.options({ numReturns: 1 }).remote();
assertEqual<typeof pairOne, [lux.ObjectRef<[number, string]>]>(true);
const pairTwo = c.pair.options({ numReturns: 2 }).options({}).remote();
assertEqual<typeof pairTwo, [lux.ObjectRef<number>, lux.ObjectRef<string>]>(true);
// @ts-expect-error numReturns: 1 on a method gives one ref
const [, notSecondOfPair] = c.pair.options({ numReturns: 1 }).remote();
void notSecondOfPair;
// numReturns: 0 on a method: no refs.
const none = c.incr.options({ numReturns: 0 }).remote(1);
assertEqual<typeof none, []>(true);
// @ts-expect-error numReturns: 0 gives no ref to get
void lux.get(c.incr.options({ numReturns: 0 }).remote()[0]);
// @ts-expect-error unknown method
c.decr.remote();
// @ts-expect-error fields are not methods
c.n.remote();
// @ts-expect-error wrong method argument type
c.incr.remote("2");
// @ts-expect-error wrong constructor argument type
CounterActor.remote("5");

// The runtime context: names, resources and the cancellation signal.
const ctx = lux.getRuntimeContext();
expectType<string | undefined>(ctx.actorName);
expectType<string | undefined>(ctx.taskName);
expectType<string | undefined>(ctx.taskFunctionName);
expectType<boolean>(ctx.wasCurrentActorReconstructed);
expectType<Record<string, number>>(ctx.assignedResources);
assertEqual<typeof ctx.signal, AbortSignal>(true);
// @ts-expect-error the task name may be undefined (outside a task)
expectType<string>(ctx.taskName);

// free takes a ref or refs and settles once they are freed; wait([]) is allowed.
assertEqual<ReturnType<typeof lux.free>, Promise<void>>(true);
void lux.free(r1);
void lux.free([r1, lux.put(2)]);
// @ts-expect-error free takes refs, not values
void lux.free(1);
void lux.wait([]);
// Freed objects reject with ObjectFreedError, an ObjectLostError.
function onFreed(e: unknown): void {
  if (e instanceof lux.ObjectFreedError) {
    const lost: lux.ObjectLostError = e;
    expectType<string>(lost.objectId);
  }
}
void onFreed;

async function actors(): Promise<void> {
  const h = await lux.getActor<Counter>("c");
  expectType<lux.ObjectRef<number>>(h.incr.remote());
}
void actors;

// @ts-expect-error an ObjectRef is not a thenable
const awaited: lux.ObjectRef<string> = await Promise.resolve(r1).then((x) => x.then);
void awaited;

// Error classes: `instanceof` narrows to the class's fields; `code` is an ErrorCode.
function onError(e: unknown): void {
  if (e instanceof lux.GetTimeoutError) expectType<string[]>(e.objectIds);
  if (e instanceof lux.TaskError) expectType<Error>(e.cause);
  if (e instanceof lux.RpcTimeoutError) expectType<[string, string, number]>([e.method, e.peer, e.timeoutMs]);
  if (e instanceof lux.OwnerDiedError) {
    const lost: lux.ObjectLostError = e; // a subclass instance is its parent's
    expectType<string>(lost.objectId);
  }
  if (e instanceof lux.WorkerCrashedError) expectType<number | undefined>(e.exitCode);
  if (e instanceof lux.LuxError) {
    const code: lux.ErrorCode = e.code;
    // @ts-expect-error not a Lux error code
    const wrong: lux.ErrorCode = "LUX_NO_SUCH_CODE";
    void [code, wrong];
  }
}
void onError;
const timeout: lux.GetTimeoutError = new lux.GetTimeoutError({ timeoutMs: 1, objectIds: [] });
void timeout;
// @ts-expect-error a required field is missing
void new lux.ActorDiedError({ actorName: "a" });
void new lux.NotInitializedError(); // every field optional: so is the argument
