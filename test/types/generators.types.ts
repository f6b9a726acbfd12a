/**
 * Type tests for streaming generators (issue 15, point 1): checked by `tsc` (npm run
 * typecheck), never run. `.remote()` of a generator function or generator actor method gives
 * an ObjectRefGenerator typed from its yields. Each `@ts-expect-error` line must be an error.
 */
import * as lux from "lux";

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
declare function assertEqual<A, B>(eq: Equal<A, B>): void;

// Synchronous and async generator functions: typed from what they yield.
const range = lux.remote(function* (n: number) {
  for (let i = 0; i < n; i++) yield i;
});
const g1 = range.remote(3);
assertEqual<typeof g1, lux.ObjectRefGenerator<number>>(true);
const words = lux.remote(async function* (text: string) {
  for (const w of text.split(" ")) yield { w, length: w.length };
});
const g2 = words.remote("a b");
assertEqual<typeof g2, lux.ObjectRefGenerator<{ w: string; length: number }>>(true);
// Arguments are checked as for any remote function (refs of their types allowed).
range.remote(lux.put(2));
// @ts-expect-error a string is not a number
range.remote("3");
// Options keep the generator; generatorBackpressureNumObjects is a number.
const g3 = range.options({ generatorBackpressureNumObjects: 2, numCpus: 0.5 }).remote(3);
assertEqual<typeof g3, lux.ObjectRefGenerator<number>>(true);
// @ts-expect-error generatorBackpressureNumObjects is a count
range.options({ generatorBackpressureNumObjects: "2" });
// A plain function's .remote() is still one ref.
const square = lux.remote((x: number) => x * x);
assertEqual<ReturnType<typeof square.remote>, lux.ObjectRef<number>>(true);
// A function returning unknown or any is not taken for a generator.
const anyFn = lux.remote((x: number): any => x);
assertEqual<ReturnType<typeof anyFn.remote>, lux.ObjectRef<any>>(true);
const neverFn = lux.remote((): never => {
  throw new Error("no");
});
assertEqual<ReturnType<typeof neverFn.remote>, lux.ObjectRef<never>>(true);

async function consume(): Promise<void> {
  const g = range.remote(3);
  // An AsyncIterable of refs of the yielded type.
  for await (const ref of g) {
    assertEqual<typeof ref, lux.ObjectRef<number>>(true);
    const n: number = await lux.get(ref);
    void n;
  }
  const r = await g.next();
  assertEqual<typeof r, IteratorResult<lux.ObjectRef<number>>>(true);
  if (r.done !== true) {
    // @ts-expect-error the ref holds a number
    const s: string = await lux.get(r.value);
    void s;
  }
  assertEqual<ReturnType<typeof g.completed>, lux.ObjectRef<void>>(true);
  assertEqual<ReturnType<typeof g.isFinished>, boolean>(true);
  const iterable: AsyncIterable<lux.ObjectRef<number>> = g;
  void iterable;
  // lux.wait takes generators beside refs and returns what it was given.
  const [ready, notReady] = await lux.wait([g, square.remote(2)], { numReturns: 1 });
  assertEqual<typeof ready, (lux.ObjectRefGenerator<number> | lux.ObjectRef<number>)[]>(true);
  void notReady;
  const [gens] = await lux.wait([g]);
  assertEqual<typeof gens, lux.ObjectRefGenerator<number>[]>(true);
  await lux.cancel(g);
  // @ts-expect-error a generator is not an ObjectRef: iterate it and get each ref
  await lux.get(g);
}
void consume;

// Generator methods of actors: sync and async, typed from their yields; other methods unchanged.
class Streamer {
  base = 1;
  *count(n: number) {
    for (let i = 0; i < n; i++) yield this.base + i;
  }
  async *lines(prefix: string) {
    yield `${prefix}1`;
  }
  plain(): string {
    return "x";
  }
}
const s = lux.remote(Streamer).remote();
const m1 = s.count.remote(2);
assertEqual<typeof m1, lux.ObjectRefGenerator<number>>(true);
const m2 = s.lines.remote("l");
assertEqual<typeof m2, lux.ObjectRefGenerator<string>>(true);
const m3 = s.count.options({ generatorBackpressureNumObjects: 1 }).remote(2);
assertEqual<typeof m3, lux.ObjectRefGenerator<number>>(true);
assertEqual<ReturnType<typeof s.plain.remote>, lux.ObjectRef<string>>(true);
// @ts-expect-error count takes a number
s.count.remote("2");

async function byName(): Promise<void> {
  const found = await lux.getActor<Streamer>("streamer");
  const m = found.lines.remote("p");
  assertEqual<typeof m, lux.ObjectRefGenerator<string>>(true);
}
void byName;
