/**
 * The `lux microbenchmark` workloads, under the names of Ray's `ray microbenchmark`
 * (python/ray/_private/ray_perf.py), with the same shape: what one operation is, how
 * many are in flight, who submits them. Sizes are scaled for a small machine.
 *
 * Workers import this module to find the remote functions and classes below, so it
 * defines them at its top level and does nothing else when evaluated.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import "../register-launcher.js";
import * as lux from "@lux/core";

const smallValue = lux.remote(function smallValue(): number {
  return 0;
});

class Actor {
  smallValue(): number {
    return 0;
  }
  smallValueArg(_x: unknown): number {
    return 0;
  }
  /** Submits `n` tasks and gets them: a submitter of multi_client_tasks_async. */
  async smallValueBatch(n: number): Promise<number> {
    await lux.get(Array.from({ length: n }, () => smallValue.remote()));
    return 0;
  }
}
// One call at a time, as Ray's (sync) benchmark actor: its one async method only awaits its tasks.
const ActorClass = lux.remote(Actor).options({ maxConcurrency: 1 });
type ActorHandle = ReturnType<typeof ActorClass.remote>;

class AsyncActor {
  async smallValue(): Promise<number> {
    return 0;
  }
}
const AsyncActorClass = lux.remote(AsyncActor);

/** Calls its servers: `n` calls on each in flight, then gets them all. */
class Client {
  constructor(private readonly servers: ActorHandle[]) {}
  async smallValueBatch(n: number): Promise<number> {
    const refs: lux.ObjectRef<number>[] = [];
    for (const s of this.servers) for (let i = 0; i < n; i++) refs.push(s.smallValue.remote());
    await lux.get(refs);
    return 0;
  }
  async smallValueBatchArg(n: number): Promise<number> {
    const x = lux.put(0);
    const refs: lux.ObjectRef<number>[] = [];
    for (const s of this.servers) for (let i = 0; i < n; i++) refs.push(s.smallValueArg.remote(x));
    await lux.get(refs);
    return 0;
  }
}
const ClientClass = lux.remote(Client).options({ maxConcurrency: 1 });

/** n:n actor calls: a task calling `n` methods round-robin over the actors. */
const callActors = lux.remote(async function callActors(actors: ActorHandle[], n: number): Promise<number> {
  await lux.get(Array.from({ length: n }, (_, i) => (actors[i % actors.length] as ActorHandle).smallValue.remote()));
  return 0;
});

const putSmall = lux.remote(function putSmall(n: number): number {
  for (let i = 0; i < n; i++) lux.put(0);
  return 0;
});

let largeValue: Float64Array | undefined;
const putLarge = lux.remote(async function putLarge(count: number, bytes: number): Promise<number> {
  if (largeValue?.byteLength !== bytes) largeValue = new Float64Array(bytes / 8).fill(1);
  for (let i = 0; i < count; i++) {
    lux.put(largeValue);
    await dropNow();
  }
  return 0;
});

let gcFn: (() => void) | undefined;
/**
 * A dropped ref frees its object now, as Python's reference counting does in Ray's
 * benchmark: a full collection, then a turn of the event loop for the finalizers.
 */
export async function dropNow(): Promise<void> {
  if (gcFn === undefined) {
    setFlagsFromString("--expose-gc");
    gcFn = runInNewContext("gc") as () => void;
  }
  gcFn();
  await new Promise((resolve) => setImmediate(resolve));
}

const containingRefs = lux.remote(function containingRefs(n: number): lux.ObjectRef<number>[] {
  return Array.from({ length: n }, () => lux.put(1));
});

/** One workload: `setup` prepares it and returns a step doing `ops` operations. */
export interface Workload {
  readonly name: string;
  /** What one operation is, for the report. */
  readonly unit: "ops" | "GB";
  setup(ctx: WorkloadContext): Promise<Prepared>;
}

export interface Prepared {
  /** Operations per step (GB for the gigabytes workloads). */
  readonly ops: number;
  /** Steps the warm-up takes at least (besides its time). Default 1. */
  readonly warmupSteps?: number;
  step(): Promise<void>;
  teardown?(): Promise<void>;
}

export interface WorkloadContext {
  /** Cores of the machine (sizes submitters and actor counts). */
  readonly cores: number;
  /** Short runs (for tests): smaller batches. */
  readonly quick: boolean;
}

async function actors(n: number, options: Parameters<typeof ActorClass.options>[0] = {}): Promise<ActorHandle[]> {
  const handles = Array.from({ length: n }, () => ActorClass.options(options).remote());
  await lux.get(handles.map((h) => h.smallValue.remote())); // started and ready
  return handles;
}

async function killAll(handles: readonly unknown[]): Promise<void> {
  await Promise.all(handles.map((h) => lux.kill(h)));
}

const sync = (call: () => lux.ObjectRef<unknown>): Prepared => ({
  ops: 1,
  async step() {
    await lux.get(call());
  },
});

const batch = (n: number, call: () => lux.ObjectRef<unknown>): Prepared => ({
  ops: n,
  async step() {
    const refs = new Array<lux.ObjectRef<unknown>>(n);
    for (let i = 0; i < n; i++) refs[i] = call();
    await lux.get(refs);
  },
});

/** Bytes of one large put (Ray puts 800 MB; 256 MiB here, the size of the memcpy limit). */
export const LARGE_PUT_BYTES = 256 * 1024 * 1024;
const GB = 1e9;

export const workloads: readonly Workload[] = [
  {
    name: "single_client_tasks_sync",
    unit: "ops",
    async setup() {
      return sync(() => smallValue.remote());
    },
  },
  {
    name: "single_client_tasks_async",
    unit: "ops",
    async setup({ quick }) {
      return batch(quick ? 200 : 1000, () => smallValue.remote());
    },
  },
  {
    name: "multi_client_tasks_async",
    unit: "ops",
    async setup({ cores, quick }) {
      const n = quick ? 200 : 2000;
      const submitters = await actors(Math.max(2, cores));
      return {
        ops: n * submitters.length,
        async step() {
          await lux.get(submitters.map((a) => a.smallValueBatch.remote(n)));
        },
        teardown: () => killAll(submitters),
      };
    },
  },
  {
    name: "1_1_actor_calls_sync",
    unit: "ops",
    async setup() {
      const [a] = (await actors(1)) as [ActorHandle];
      return { ...sync(() => a.smallValue.remote()), teardown: () => killAll([a]) };
    },
  },
  {
    name: "1_1_actor_calls_async",
    unit: "ops",
    async setup({ quick }) {
      const [a] = (await actors(1)) as [ActorHandle];
      return { ...batch(quick ? 200 : 1000, () => a.smallValue.remote()), teardown: () => killAll([a]) };
    },
  },
  {
    name: "1_1_actor_calls_concurrent",
    unit: "ops",
    async setup({ quick }) {
      const [a] = (await actors(1, { maxConcurrency: 16 })) as [ActorHandle];
      return { ...batch(quick ? 200 : 1000, () => a.smallValue.remote()), teardown: () => killAll([a]) };
    },
  },
  {
    name: "1_1_async_actor_calls_sync",
    unit: "ops",
    async setup() {
      // Ray's async actors run up to 1,000 calls at once by default.
      const a = AsyncActorClass.options({ maxConcurrency: 1000 }).remote();
      await lux.get(a.smallValue.remote());
      return { ...sync(() => a.smallValue.remote()), teardown: () => killAll([a]) };
    },
  },
  {
    name: "1_1_async_actor_calls_async",
    unit: "ops",
    async setup({ quick }) {
      const a = AsyncActorClass.options({ maxConcurrency: 1000 }).remote();
      await lux.get(a.smallValue.remote());
      return { ...batch(quick ? 200 : 1000, () => a.smallValue.remote()), teardown: () => killAll([a]) };
    },
  },
  {
    name: "1_n_actor_calls_async",
    unit: "ops",
    async setup({ cores, quick }) {
      const n = quick ? 200 : 2000;
      const servers = await actors(Math.max(2, cores));
      const client = ClientClass.remote(servers);
      await lux.get(client.smallValueBatch.remote(1));
      return {
        ops: n * servers.length,
        async step() {
          await lux.get(client.smallValueBatch.remote(n));
        },
        teardown: () => killAll([client, ...servers]),
      };
    },
  },
  {
    name: "n_n_actor_calls_async",
    unit: "ops",
    async setup({ cores, quick }) {
      const n = quick ? 200 : 2000;
      const m = Math.max(2, cores);
      const servers = await actors(m);
      return {
        ops: n * m,
        async step() {
          await lux.get(Array.from({ length: m }, () => callActors.remote(servers, n)));
        },
        teardown: () => killAll(servers),
      };
    },
  },
  {
    name: "n_n_actor_calls_with_arg_async",
    unit: "ops",
    async setup({ cores, quick }) {
      const n = quick ? 100 : 1000;
      const servers = await actors(Math.max(2, cores));
      const clients = servers.map((s) => ClientClass.remote([s]));
      await lux.get(clients.map((c) => c.smallValueBatchArg.remote(1)));
      return {
        ops: n * clients.length,
        async step() {
          await lux.get(clients.map((c) => c.smallValueBatchArg.remote(n)));
        },
        teardown: () => killAll([...clients, ...servers]),
      };
    },
  },
  {
    name: "single_client_put_calls_Plasma_Store",
    unit: "ops",
    async setup({ quick }) {
      const n = quick ? 100 : 1000;
      return {
        ops: n,
        async step() {
          for (let i = 0; i < n; i++) lux.put(0);
        },
      };
    },
  },
  {
    name: "single_client_get_calls_Plasma_Store",
    unit: "ops",
    async setup({ quick }) {
      const n = quick ? 100 : 1000;
      const ref = lux.put(0);
      return {
        ops: n,
        async step() {
          for (let i = 0; i < n; i++) await lux.get(ref);
        },
      };
    },
  },
  {
    name: "multi_client_put_calls_Plasma_Store",
    unit: "ops",
    async setup({ cores, quick }) {
      const n = quick ? 100 : 1000;
      const clients = Math.max(2, cores);
      return {
        ops: n * clients,
        async step() {
          await lux.get(Array.from({ length: clients }, () => putSmall.remote(n)));
        },
      };
    },
  },
  {
    name: "single_client_put_gigabytes",
    unit: "GB",
    async setup({ quick }) {
      const bytes = quick ? LARGE_PUT_BYTES / 16 : LARGE_PUT_BYTES;
      const value = new Float64Array(bytes / 8).fill(1);
      return {
        ops: bytes / GB,
        // The first puts touch fresh pages of the store; later ones reuse freed space.
        warmupSteps: 4,
        async step() {
          lux.put(value);
          await dropNow();
        },
      };
    },
  },
  {
    name: "multi_client_put_gigabytes",
    unit: "GB",
    async setup({ cores, quick }) {
      const clients = Math.max(2, cores);
      const count = 4;
      const bytes = (quick ? LARGE_PUT_BYTES / 16 : LARGE_PUT_BYTES) / 4;
      return {
        ops: (clients * count * bytes) / GB,
        warmupSteps: 4,
        async step() {
          await lux.get(Array.from({ length: clients }, () => putLarge.remote(count, bytes)));
        },
      };
    },
  },
  {
    name: "single_client_tasks_and_get_batch",
    unit: "ops",
    async setup({ quick }) {
      // One operation is a batch: submit 1,000 tasks, then get them all.
      const n = quick ? 100 : 1000;
      return {
        ops: 1,
        async step() {
          await lux.get(Array.from({ length: n }, () => smallValue.remote()));
        },
      };
    },
  },
  {
    name: "single_client_wait_1k_refs",
    unit: "ops",
    async setup({ quick }) {
      // One operation: submit 1,000 tasks, then wait for them one at a time.
      const n = quick ? 100 : 1000;
      return {
        ops: 1,
        async step() {
          let notReady = Array.from({ length: n }, () => smallValue.remote());
          while (notReady.length > 0) [, notReady] = await lux.wait(notReady);
        },
      };
    },
  },
  {
    name: "single_client_get_object_containing_10k_refs",
    unit: "ops",
    async setup({ quick }) {
      const ref = containingRefs.remote(quick ? 1000 : 10_000);
      await lux.get(ref);
      return {
        ops: 1,
        async step() {
          await lux.get(ref);
        },
      };
    },
  },
];
