/**
 * Which nodes to launch for pending demand: a pure function. Demand is packed first onto the
 * free capacity of the nodes there are (and of nodes launching, by their type), biggest items
 * first (first-fit decreasing), then onto new nodes. A new node's type is the one that takes
 * the most of what is left (the fewest new nodes), the better used of two equals (the right
 * size), never a GPU type when a type without GPUs can hold the item; a type's labels (and
 * lux.io/node-type) must match the item's selector. New nodes stay within each type's
 * maxWorkers, the cluster's maxWorkers, the launches allowed this round (upscalingSpeed) and
 * the types backing off after failures. Demand no type and no node could ever hold is
 * infeasible: it launches nothing.
 */
import type { ResourceSet } from "@lux/protocol";
import { NODE_TYPE_LABEL, labelsMatch } from "@lux/common";
import type { NodeTypeConfig } from "./cluster-config.js";
import { sizeOrder, type Demand, type DemandItem, type SpreadGang } from "./demand.js";

/** Room to pack into: a node there is, a node launching, or a node this plan launches. */
export interface Bin {
  id: string;
  nodeType: string | undefined;
  labels: Readonly<Record<string, string>>;
  total: Readonly<ResourceSet>;
  /** What is still free (changed as the plan packs). */
  free: ResourceSet;
  isNew: boolean;
}

export interface PlanInput {
  types: Readonly<Record<string, NodeTypeConfig>>;
  /** Alive nodes (free: their available resources) and instances launching (free: their type's resources). */
  bins: readonly Bin[];
  demand: Demand;
  /** Worker instances per type that are not terminated (launching or running), and in all. */
  counts: Readonly<Record<string, number>>;
  workers: number;
  maxWorkers: number;
  /** New nodes this round at most. */
  maxLaunch: number;
  /** Types not launched now (backing off after a failure). */
  blocked: ReadonlySet<string>;
}

export interface Plan {
  /** New nodes per type. */
  launch: Map<string, number>;
  /** Items no node type (nor any node) could ever hold. */
  infeasible: DemandItem[];
  /** Items a type could hold, held back by maxWorkers, upscalingSpeed or a backoff. */
  waiting: DemandItem[];
  /** Every bin, the new ones included, as packed. */
  bins: Bin[];
}

/** Could `free` hold `req`? */
export function fits(req: Readonly<ResourceSet>, free: Readonly<ResourceSet>): boolean {
  for (const [k, q] of Object.entries(req)) if (q > 0 && (free[k] ?? 0) + 1e-9 < q) return false;
  return true;
}

function take(free: ResourceSet, req: Readonly<ResourceSet>): void {
  for (const [k, q] of Object.entries(req)) free[k] = (free[k] ?? 0) - q;
}

/** A type's labels as its nodes have them: its own and lux.io/node-type. */
export function typeLabels(t: NodeTypeConfig): Record<string, string> {
  return { ...t.labels, [NODE_TYPE_LABEL]: t.name };
}

function matches(item: DemandItem, labels: Readonly<Record<string, string>>): boolean {
  return item.labelSelector === undefined || labelsMatch(item.labelSelector, labels);
}

interface Group {
  item: DemandItem;
  left: number;
}

class Packer {
  readonly bins: Bin[];
  readonly launch = new Map<string, number>();
  readonly infeasible: DemandItem[] = [];
  readonly waiting: DemandItem[] = [];
  private readonly counts: Record<string, number>;
  private workers: number;
  private launched = 0;
  private next = 0;

  constructor(private readonly input: PlanInput) {
    this.bins = input.bins.map((b) => ({ ...b, free: { ...b.free } }));
    this.counts = { ...input.counts };
    this.workers = input.workers;
  }

  /** Whether a new node of `t` may be launched now. */
  private mayLaunch(t: NodeTypeConfig): boolean {
    return (
      !this.input.blocked.has(t.name) &&
      (this.counts[t.name] ?? 0) < t.maxWorkers &&
      this.workers < this.input.maxWorkers &&
      this.launched < this.input.maxLaunch
    );
  }

  /** Could anything ever hold the item (a type, ignoring limits, or a node's whole resources)? */
  private everFits(item: DemandItem): boolean {
    if (Object.values(this.input.types).some((t) => fits(item.resources, t.resources) && matches(item, typeLabels(t)))) return true;
    return this.bins.some((b) => fits(item.resources, b.total) && matches(item, b.labels));
  }

  private open(t: NodeTypeConfig): Bin {
    this.counts[t.name] = (this.counts[t.name] ?? 0) + 1;
    this.workers++;
    this.launched++;
    this.launch.set(t.name, (this.launch.get(t.name) ?? 0) + 1);
    const bin: Bin = { id: `new-${this.next++}`, nodeType: t.name, labels: typeLabels(t), total: t.resources, free: { ...t.resources }, isNew: true };
    this.bins.push(bin);
    return bin;
  }

  /** The type for a new node that must hold `groups[0]`'s item; undefined if none may be launched. */
  private chooseType(groups: readonly Group[]): NodeTypeConfig | undefined {
    const first = (groups[0] as Group).item;
    let candidates = Object.values(this.input.types).filter((t) => fits(first.resources, t.resources) && matches(first, typeLabels(t)) && this.mayLaunch(t));
    if ((first.resources["GPU"] ?? 0) <= 0) {
      const withoutGpus = candidates.filter((t) => (t.resources["GPU"] ?? 0) <= 0);
      if (withoutGpus.length > 0) candidates = withoutGpus;
    }
    let best: { t: NodeTypeConfig; taken: number; used: number } | undefined;
    for (const t of candidates) {
      const { taken, used } = simulate(t, groups);
      if (best === undefined || taken > best.taken || (taken === best.taken && used > best.used + 1e-9)) best = { t, taken, used };
    }
    return best?.t;
  }

  packGroups(groups: Group[]): void {
    for (const [i, g] of groups.entries()) {
      for (const bin of this.bins) {
        while (g.left > 0 && matches(g.item, bin.labels) && fits(g.item.resources, bin.free)) {
          take(bin.free, g.item.resources);
          g.left--;
        }
        if (g.left === 0) break;
      }
      while (g.left > 0) {
        const t = this.chooseType(groups.slice(i));
        if (t === undefined) break;
        const bin = this.open(t);
        while (g.left > 0 && fits(g.item.resources, bin.free)) {
          take(bin.free, g.item.resources);
          g.left--;
        }
      }
      if (g.left > 0) {
        const target = this.everFits(g.item) ? this.waiting : this.infeasible;
        for (let n = 0; n < g.left; n++) target.push(g.item);
      }
    }
  }

  /** A STRICT_SPREAD group: each bundle on its own node, all or none. */
  packGang(gang: SpreadGang): void {
    const saved = { frees: this.bins.map((b) => ({ ...b.free })), bins: this.bins.length, launch: new Map(this.launch), counts: { ...this.counts }, workers: this.workers, launched: this.launched };
    const used = new Set<string>(gang.avoid);
    for (const item of [...gang.bundles].sort(sizeOrder)) {
      let bin = this.bins.find((b) => !used.has(b.id) && matches(item, b.labels) && fits(item.resources, b.free));
      if (bin === undefined) {
        const t = this.chooseType([{ item, left: 1 }]);
        if (t !== undefined) bin = this.open(t);
      }
      if (bin === undefined) {
        // Undo the bundles placed so far: a gang is placed whole or not at all.
        this.bins.length = saved.bins;
        saved.frees.forEach((free, i) => ((this.bins[i] as Bin).free = free));
        this.launch.clear();
        for (const [k, v] of saved.launch) this.launch.set(k, v);
        Object.assign(this.counts, saved.counts);
        this.workers = saved.workers;
        this.launched = saved.launched;
        const ever = gang.bundles.every((b) => this.everFits(b));
        (ever ? this.waiting : this.infeasible).push(...gang.bundles);
        return;
      }
      take(bin.free, item.resources);
      used.add(bin.id);
    }
  }
}

/** How many of the groups' items one fresh node of `t` would take (in order), and how well it would be used (0..1). */
function simulate(t: NodeTypeConfig, groups: readonly Group[]): { taken: number; used: number } {
  const free: ResourceSet = { ...t.resources };
  const labels = typeLabels(t);
  let taken = 0;
  for (const g of groups) {
    if (!matches(g.item, labels)) continue;
    for (let n = 0; n < g.left && fits(g.item.resources, free); n++) {
      take(free, g.item.resources);
      taken++;
    }
  }
  let sum = 0;
  let count = 0;
  for (const [k, amount] of Object.entries(t.resources)) {
    if (amount <= 0 || k === "memory") continue;
    sum += (amount - (free[k] ?? 0)) / amount;
    count++;
  }
  return { taken, used: count === 0 ? 0 : sum / count };
}

/** Identical items together, biggest first. */
function groupItems(items: readonly DemandItem[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const item of items) {
    const key = `${JSON.stringify(item.resources)}|${JSON.stringify(item.labelSelector ?? {})}|${item.kind}`;
    const g = byKey.get(key);
    if (g !== undefined) g.left++;
    else byKey.set(key, { item, left: 1 });
  }
  return [...byKey.values()].sort((a, b) => sizeOrder(a.item, b.item));
}

export function plan(input: PlanInput): Plan {
  const packer = new Packer(input);
  // Gangs first: their bundles need distinct nodes, which loose items would otherwise fill.
  for (const gang of input.demand.gangs) packer.packGang(gang);
  packer.packGroups(groupItems(input.demand.items));
  return { launch: packer.launch, infeasible: packer.infeasible, waiting: packer.waiting, bins: packer.bins };
}
