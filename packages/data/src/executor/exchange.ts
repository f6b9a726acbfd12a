/**
 * All-to-all operators as map/reduce over blocks, run in the driver once every input block is
 * there: sort (sample keys, range-partition, sort each part), random shuffle, repartition
 * (with or without a shuffle), aggregate (partial states per key on the map side, merged in
 * the reduce that holds the key) and mapGroups (hash-partition, then each group in its reduce).
 */
import * as lux from "lux";
import type { ObjectRef } from "lux";
import type { EncodedBlock, BlockMeta } from "../block.js";
import { compareKeys, reduceTask, sampleTask, splitTask, type ReduceHow, type SplitHow } from "../exchange-tasks.js";
import type { AllToAllSpec } from "../plan.js";
import { sliceTask } from "../slice-task.js";
import type { Bundle } from "./bundle.js";

const SAMPLES_PER_BLOCK = 20;

export interface ExchangeResult {
  readonly bundles: Bundle[];
  readonly tasks: number;
}

export async function exchange(spec: AllToAllSpec, inputs: readonly Bundle[], maxRetries: number): Promise<ExchangeResult> {
  const nonEmpty = inputs.filter((b) => b.meta.numRows > 0);
  if (nonEmpty.length === 0) return { bundles: [], tasks: 0 };
  const parts = spec.kind === "repartition" ? spec.numBlocks : nonEmpty.length;
  if (spec.kind === "repartition" && !spec.shuffle) return repartitionInOrder(nonEmpty, spec.numBlocks, maxRetries);
  const { split, reduce, tasks } = await plan(spec, nonEmpty, parts);
  return mapReduce(nonEmpty, parts, split, reduce, maxRetries, tasks);
}

async function plan(spec: AllToAllSpec, inputs: readonly Bundle[], parts: number): Promise<{ split: SplitHow; reduce: ReduceHow; tasks: number }> {
  const seed = "seed" in spec && spec.seed !== undefined ? spec.seed : Math.floor(Math.random() * 2 ** 31);
  switch (spec.kind) {
    case "sort": {
      const samples = (await lux.get(inputs.map((b) => sampleTask.remote(b.ref, spec.key, SAMPLES_PER_BLOCK)))).flat();
      const sorted = samples.sort((a, b) => compareKeys([a], [b]));
      const boundaries = Array.from({ length: parts - 1 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / parts)]);
      const ordered = spec.descending ? boundaries.reverse() : boundaries;
      return { split: { kind: "range", key: spec.key, boundaries: ordered, descending: spec.descending }, reduce: { kind: "sort", key: spec.key, descending: spec.descending }, tasks: inputs.length };
    }
    case "randomShuffle":
      return { split: { kind: "random", parts, seed }, reduce: { kind: "shuffle", seed }, tasks: 0 };
    case "repartition":
      return { split: { kind: "random", parts, seed }, reduce: { kind: "concat" }, tasks: 0 };
    case "aggregate":
      return { split: { kind: "aggregate", keys: spec.keys, parts, aggs: spec.aggs }, reduce: { kind: "aggregate", keys: spec.keys, aggs: spec.aggs }, tasks: 0 };
    case "mapGroups":
      return {
        split: { kind: "hash", keys: spec.keys, parts },
        reduce: { kind: "mapGroups", keys: spec.keys, fn: spec.fn, batchFormat: spec.batchFormat, name: `MapGroups(${spec.fn.name || "fn"})` },
        tasks: 0,
      };
  }
}

async function mapReduce(inputs: readonly Bundle[], parts: number, split: SplitHow, reduce: ReduceHow, maxRetries: number, extraTasks: number): Promise<ExchangeResult> {
  // With one part, `numReturns: 1` keeps the whole array in one ref: the reduce unwraps it.
  const wrapped = parts === 1;
  const partRefs: ObjectRef<unknown>[][] = inputs.map(
    (b) => splitTask.options({ numReturns: parts, maxRetries }).remote(b.ref, split) as unknown as ObjectRef<unknown>[],
  );
  const outputs = Array.from({ length: parts }, (_, p) =>
    reduceTask.options({ numReturns: 2, maxRetries }).remote(reduce, wrapped, ...partRefs.map((refs) => refs[p] as ObjectRef<unknown>)),
  );
  const bundles = await collect(outputs);
  return { bundles: bundles.filter((b) => b.meta.numRows > 0 || reduce.kind === "aggregate"), tasks: inputs.length + parts + extraTasks };
}

async function collect(outputs: readonly [ObjectRef<EncodedBlock>, ObjectRef<BlockMeta>][]): Promise<Bundle[]> {
  const metas = await lux.get(outputs.map(([, m]) => m));
  return outputs.map(([ref], i) => ({ ref, meta: metas[i] as BlockMeta, owned: true }));
}

/** Repartition without a shuffle: `n` blocks of (nearly) equal rows, in order, each cut from consecutive blocks. */
async function repartitionInOrder(inputs: readonly Bundle[], n: number, maxRetries: number): Promise<ExchangeResult> {
  const total = inputs.reduce((s, b) => s + b.meta.numRows, 0);
  const starts = inputs.reduce<number[]>((acc, b, i) => (acc.push(i === 0 ? 0 : (acc[i - 1] as number) + (inputs[i - 1] as Bundle).meta.numRows), acc), []);
  const outputs = Array.from({ length: n }, (_, p) => {
    const from = Math.floor((p * total) / n);
    const to = Math.floor(((p + 1) * total) / n);
    const pieces: { index: number; start: number; end: number }[] = [];
    inputs.forEach((b, i) => {
      const s = Math.max(from, starts[i] as number);
      const e = Math.min(to, (starts[i] as number) + b.meta.numRows);
      if (s < e) pieces.push({ index: i, start: s - (starts[i] as number), end: e - (starts[i] as number) });
    });
    const refs = pieces.map((piece) => (inputs[piece.index] as Bundle).ref);
    return sliceTask.options({ numReturns: 2, maxRetries }).remote(pieces.map((p) => [p.start, p.end] as [number, number]), ...refs);
  });
  return { bundles: await collect(outputs), tasks: n };
}
