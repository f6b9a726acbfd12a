/**
 * @lux/tune (issue 20, point 10): `npx tsx bench/tune.ts` (after a build), on a private cluster
 * of 2 CPUs, one run.
 *
 * (a) --trials (200) trials that sleep --sleep-ms (1000) and report once, 0.25 CPU each (8 at
 *     once): the wall time against the ideal, trials × sleep / 8 (25 s; Ray's release test
 *     accepts 1.28×, ours 1.2×).
 * (b) no-op trials per second (--noop-trials, 200) beside the core's actor create + call + kill
 *     rate measured here the same way (8 at once, 0.25 CPU each).
 * (c) results per second the driver absorbs from 8 trials reporting flat out (--reports each).
 * (d) TPE against random search on Branin, --branin-trials (60) trials × --seeds (10), one trial
 *     at a time: the median regret of each (TPE ≤ 0.25; random ≈ 0.6).
 *
 * --quick: small sizes, for CI's smoke run (checks it runs, never a speed). --json: one line.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as lux from "lux";
import * as tune from "@lux/tune";
import { flag } from "./flags.js";
import { NoopActor, braninTrial, noop, reportFlatOut, sleepThenReport } from "./tune-trainables.js";

const quick = process.argv.includes("--quick");
const BRANIN_MIN = 0.397887;
const CONCURRENT = 8;
let storagePath = "";
let runs = 0;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function fit<S extends tune.ParamSpace>(trainable: tune.TunerTrainable<tune.Resolve<S>>, paramSpace: S, tuneConfig: tune.TuneConfig): Promise<tune.ResultGrid<tune.Resolve<S>>> {
  const grid = await new tune.Tuner(trainable, { paramSpace, tuneConfig, runConfig: { storagePath, name: `run-${runs++}`, verbose: 0 } }).fit();
  if (grid.numErrors > 0) throw grid.errors[0] as Error;
  return grid;
}

/** (a) Many sleeping trials, 8 at once. */
async function manyTrials(trials: number, sleepMs: number): Promise<Record<string, number>> {
  const start = process.hrtime.bigint();
  await fit(tune.withResources(sleepThenReport, { CPU: 2 / CONCURRENT }), { sleepMs }, { numSamples: trials });
  const wall = seconds(start);
  const ideal = (trials * sleepMs) / 1000 / CONCURRENT;
  return { many_trials: trials, many_trials_ideal_seconds: ideal, many_trials_wall_seconds: wall, many_trials_wall_over_ideal: wall / ideal };
}

/** (b) No-op trials per second, and the actor cycles (create, call, kill) per second the same way. */
async function noopTrials(trials: number): Promise<Record<string, number>> {
  let start = process.hrtime.bigint();
  let left = trials;
  await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      while (left-- > 0) {
        const actor = NoopActor.options({ numCpus: 2 / CONCURRENT }).remote();
        await lux.get(actor.ping.remote());
        await lux.kill(actor);
      }
    }),
  );
  const cycles = trials / seconds(start);
  start = process.hrtime.bigint();
  await fit(tune.withResources(noop, { CPU: 2 / CONCURRENT }), {}, { numSamples: trials });
  const rate = trials / seconds(start);
  return { noop_trials: trials, noop_trials_per_second: rate, actor_cycles_per_second: cycles, noop_trials_share_of_actor_cycles: rate / cycles };
}

/** (c) The driver's intake: 8 trials reporting as fast as they are answered. */
async function resultsPerSecond(reports: number): Promise<Record<string, number>> {
  const grid = await fit(tune.withResources(reportFlatOut, { CPU: 2 / CONCURRENT }), { reports, k: tune.gridSearch(Array.from({ length: CONCURRENT }, (_, i) => i)) }, {});
  const stamps = [...grid].flatMap((r) => r.metricsHistory.map((m) => m.timestamp));
  const span = (Math.max(...stamps) - Math.min(...stamps)) / 1000;
  return { report_trials: CONCURRENT, results: stamps.length, results_per_second: stamps.length / span };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** (d) TPE and random search on Branin: the median over seeds of the best regret each found. */
async function braninSearch(trials: number, seeds: number): Promise<Record<string, number>> {
  const space = { x1: tune.uniform(-5, 10), x2: tune.uniform(0, 15) };
  const regret = async (seed: number, searchAlg?: tune.Searcher): Promise<number> => {
    const grid = await fit(braninTrial, space, { metric: "y", mode: "min", numSamples: trials, seed, maxConcurrentTrials: 1, ...(searchAlg !== undefined ? { searchAlg } : {}) });
    return (grid.getBestResult().metrics["y"] as number) - BRANIN_MIN;
  };
  const tpe: number[] = [];
  const random: number[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    tpe.push(await regret(seed, new tune.TPESearch()));
    random.push(await regret(seed));
  }
  return { branin_trials: trials, branin_seeds: seeds, tpe_median_regret: median(tpe), random_median_regret: median(random) };
}

lux.main(async () => {
  storagePath = fs.mkdtempSync(path.join(os.tmpdir(), "lux-bench-tune-"));
  try {
    await lux.init({ numCpus: 2 });
    const r = {
      ...(await manyTrials(flag("trials", quick ? 24 : 200), flag("sleep-ms", quick ? 200 : 1000))),
      ...(await noopTrials(flag("noop-trials", quick ? 24 : 200))),
      ...(await resultsPerSecond(flag("reports", quick ? 100 : 2000))),
      ...(await braninSearch(flag("branin-trials", quick ? 12 : 60), flag("seeds", quick ? 2 : 10))),
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(r));
      return;
    }
    for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(36)} ${v.toFixed(v < 10 ? 3 : 0).padStart(14)}`);
  } finally {
    fs.rmSync(storagePath, { recursive: true, force: true });
  }
});
