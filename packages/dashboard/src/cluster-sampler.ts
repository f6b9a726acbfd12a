/**
 * The overview's live figures: the cluster's CPU, GPU and memory (resources in use of the
 * total, summed over alive nodes) and object store (bytes held of the capacity), sampled
 * through `lux.state` once per interval while anyone watches, one poll for every watcher.
 * The samples of the last `historyMs` are kept, so a page opened later draws them at once.
 */
import type { Clock, TimerHandle } from "@lux/protocol";
import type { state } from "lux";

/** Used of total, in the resource's unit (CPUs, GPUs, bytes). */
export interface Usage {
  used: number;
  total: number;
}

/** The cluster at one moment, as the overview draws it. */
export interface ClusterSample {
  /** When it was sampled (epoch ms, the server's clock). */
  t: number;
  /** Alive nodes. */
  nodes: number;
  CPU: Usage;
  GPU: Usage;
  /** The `memory` resource, in bytes. */
  memory: Usage;
  /** Object store bytes held, of the stores' capacity. */
  store: Usage;
}

type NodeItem = state.StateItems["nodes"];

/** What the sampler needs of a `lux.state` client. */
export type NodeSource = Pick<state.StateClient, "list">;

/** The cluster's totals from its nodes' rows (listed with detail). */
export function sampleOf(nodes: readonly NodeItem[], t: number): ClusterSample {
  const sample: ClusterSample = { t, nodes: 0, CPU: zero(), GPU: zero(), memory: zero(), store: zero() };
  for (const n of nodes) {
    if (n.state !== "ALIVE") continue;
    sample.nodes++;
    for (const name of ["CPU", "GPU", "memory"] as const) {
      const total = n.resources[name] ?? 0;
      sample[name].total += total;
      sample[name].used += Math.max(0, total - (n.availableResources[name] ?? total));
    }
    sample.store.total += n.storeCapacity ?? 0;
    sample.store.used += n.storeUsedBytes ?? 0;
  }
  return sample;
}

function zero(): Usage {
  return { used: 0, total: 0 };
}

export interface ClusterSamplerOptions {
  source: NodeSource;
  clock: Clock;
  /** Time between samples (default 1000 ms). */
  intervalMs?: number;
  /** How far back samples are kept (default 10 minutes). */
  historyMs?: number;
}

/** A watcher: gets each sample, or why there is none. */
export interface SampleListener {
  sample(s: ClusterSample): void;
  problem(message: string): void;
}

/** Nodes asked per page (a cluster with more is paged through). */
const NODES_PER_PAGE = 1000;

export class ClusterSampler {
  private readonly listeners = new Set<SampleListener>();
  private readonly samples: ClusterSample[] = [];
  private timer: TimerHandle | undefined;
  private polling = false;
  private readonly intervalMs: number;
  private readonly historyMs: number;

  constructor(private readonly options: ClusterSamplerOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.historyMs = options.historyMs ?? 10 * 60_000;
  }

  /** Samples kept (oldest first). */
  history(): readonly ClusterSample[] {
    return this.samples;
  }

  /** Starts sampling if it was idle (the first sample at once); returns the function that stops watching. */
  watch(listener: SampleListener): () => void {
    this.listeners.add(listener);
    if (this.timer === undefined && !this.polling) void this.poll();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  get watchers(): number {
    return this.listeners.size;
  }

  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One sample for every watcher; the next is due an interval after this one began. */
  private async poll(): Promise<void> {
    const { clock } = this.options;
    const began = clock.now();
    this.polling = true;
    try {
      const sample = sampleOf(await this.nodes(), clock.now());
      this.keep(sample);
      for (const l of this.listeners) l.sample(sample);
    } catch (e) {
      const message = `cannot read the cluster's nodes: ${(e as Error).message}`;
      for (const l of this.listeners) l.problem(message);
    } finally {
      this.polling = false;
    }
    if (this.listeners.size === 0) return;
    const wait = Math.max(0, began + this.intervalMs - clock.now());
    this.timer = clock.setTimeout(() => void this.poll(), wait).unref();
  }

  private async nodes(): Promise<NodeItem[]> {
    const items: NodeItem[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.options.source.list("nodes", { detail: true, limit: NODES_PER_PAGE, ...(pageToken !== undefined ? { pageToken } : {}) });
      items.push(...page.items);
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken !== undefined);
    return items;
  }

  private keep(sample: ClusterSample): void {
    this.samples.push(sample);
    const oldest = sample.t - this.historyMs;
    let drop = 0;
    while (drop < this.samples.length && (this.samples[drop] as ClusterSample).t < oldest) drop++;
    if (drop > 0) this.samples.splice(0, drop);
  }
}
