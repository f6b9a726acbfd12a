/**
 * Type tests for issue 15's call options: maxCalls (tasks), maxPendingCalls, concurrencyGroups
 * and methods (actors), concurrencyGroup (a call). Checked by `tsc`, never run.
 */
import * as lux from "lux";

declare function expectType<T>(value: T): void;

const f = lux.remote((n: number) => n + 1);
f.options({ maxCalls: 1 });
f.options({ maxCalls: 0, numCpus: 0.5 });
// @ts-expect-error maxCalls is a count
f.options({ maxCalls: "1" });
// @ts-expect-error maxPendingCalls is an actor option
f.options({ maxPendingCalls: 1 });

class Fetcher {
  async fetch(url: string): Promise<string> {
    return url;
  }
  compute(x: number): number {
    return x * 2;
  }
  *stream(n: number): Generator<number> {
    yield n;
  }
  readonly label = "not a method";
}
const FetcherActor = lux.remote(Fetcher);

const grouped = FetcherActor.options({
  concurrencyGroups: { io: 2, compute: 1 },
  methods: { fetch: { concurrencyGroup: "io" }, compute: { concurrencyGroup: "compute" }, stream: { concurrencyGroup: "default" } },
  maxPendingCalls: 16,
});
expectType<lux.ActorClass<typeof Fetcher>>(grouped);
FetcherActor.options({ maxPendingCalls: -1, maxConcurrency: 4 });
// @ts-expect-error a group's limit is a count
FetcherActor.options({ concurrencyGroups: { io: "2" } });
// @ts-expect-error methods names the class's methods only
FetcherActor.options({ concurrencyGroups: { io: 2 }, methods: { fecth: { concurrencyGroup: "io" } } });
// @ts-expect-error a field is not a method
FetcherActor.options({ concurrencyGroups: { io: 2 }, methods: { label: { concurrencyGroup: "io" } } });
// @ts-expect-error a method's group is one of concurrencyGroups (or "default")
FetcherActor.options({ concurrencyGroups: { io: 2 }, methods: { fetch: { concurrencyGroup: "oi" } } });
// @ts-expect-error concurrencyGroup is the only method option
FetcherActor.options({ methods: { fetch: { numReturns: 2 } } });
// @ts-expect-error maxCalls is a task option
FetcherActor.options({ maxCalls: 1 });

// Options kept in a variable of the plain type still go through (checked when .remote() runs).
const fromConfig: lux.ActorOptions = { concurrencyGroups: { io: 2 }, methods: { anything: { concurrencyGroup: "io" } } };
FetcherActor.options(fromConfig);
const defaults: lux.ActorMethodDefaults = { concurrencyGroup: "io" };
void defaults;

const h = grouped.remote();
const ref = h.fetch.options({ concurrencyGroup: "io" }).remote("u");
expectType<lux.ObjectRef<string>>(ref);
h.compute.options({ concurrencyGroup: "default", numReturns: 1 });
h.stream.options({ concurrencyGroup: "io", generatorBackpressureNumObjects: 2 });
// @ts-expect-error a group is named by a string
h.fetch.options({ concurrencyGroup: 1 });

// The new error class is exported, a LuxError with its fields typed.
declare const e: unknown;
if (e instanceof lux.PendingCallsLimitExceededError) {
  expectType<lux.LuxError>(e);
  expectType<number>(e.maxPendingCalls);
  expectType<string>(e.actorId);
}
