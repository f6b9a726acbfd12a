/**
 * The env runners: one in the driver (`numEnvRunners: 0`) or that many actors, sampled in
 * parallel. Weights go out once per version through the object store (a ref every runner
 * reads). A runner actor that dies is replaced with the current weights when
 * `restartFailedEnvRunners` is on (the round completes from the others); otherwise the
 * round fails with `EnvRunnerError`.
 */
import * as lux from "lux";
import { ActorDiedError, EnvRunnerError, LuxError, TaskError } from "lux";
import { EnvRunnerActor } from "../actors.js";
import { errorText } from "../describe-value.js";
import type { Weights } from "../model/weights.js";
import { EnvRunner, type EnvRunnerSettings, type SampleRequest, type WeightsSource } from "./env-runner.js";
import type { Episodes, RunnerSample } from "./sample-batch.js";

export interface EnvRunnerGroupOptions {
  readonly numEnvRunners: number;
  readonly numCpusPerEnvRunner: number;
  readonly restartFailedEnvRunners: boolean;
  /** Settings of every runner but its index. */
  readonly settings: Omit<EnvRunnerSettings, "workerIndex" | "numWorkers">;
}

interface RemoteRunner {
  readonly index: number;
  handle: lux.ActorHandle<EnvRunner>;
  healthy: boolean;
}

export class EnvRunnerGroup {
  /** The driver's runner, when `numEnvRunners` is 0. */
  readonly localRunner: EnvRunner | undefined;
  private readonly remote: RemoteRunner[] = [];
  private weights: WeightsSource = { version: -1 };

  constructor(private readonly o: EnvRunnerGroupOptions) {
    if (o.numEnvRunners === 0) this.localRunner = new EnvRunner({ ...o.settings, workerIndex: 0, numWorkers: 0 });
    for (let i = 1; i <= o.numEnvRunners; i++) this.remote.push({ index: i, handle: this.makeActor(i), healthy: true });
  }

  /** Runners able to sample now (the local one counts as one). */
  numHealthyEnvRunners(): number {
    return this.localRunner !== undefined ? 1 : this.remote.filter((r) => r.healthy).length;
  }

  /** Makes `weights` the current version: put once in the object store (remote runners), given to every runner. */
  async syncWeights(weights: Weights, version: number): Promise<void> {
    this.weights = this.remote.length > 0 ? { version, ref: lux.put(weights) } : { version, value: weights };
    await this.replaceFailed();
    if (this.localRunner !== undefined) await this.localRunner.setWeights(this.weights);
    await this.onEach((r) => r.handle.setWeights.remote(this.weights));
  }

  /**
   * One fragment from each healthy runner. Runners that died are left out (and replaced at
   * the next weights sync, or now if none is left) when restarts are on.
   */
  async sample(request: Omit<SampleRequest, "weights">): Promise<RunnerSample[]> {
    const req: SampleRequest = { ...request, weights: this.weights };
    if (this.localRunner !== undefined) return [await this.localRunner.sample(req)];
    if (this.numHealthyEnvRunners() === 0) await this.replaceFailed();
    const results = await this.onEach((r) => r.handle.sample.remote(req));
    return results.filter((s): s is RunnerSample => s !== undefined);
  }

  /** `numEpisodes` greedy episodes, spread over the runners. */
  async evaluate(numEpisodes: number): Promise<Episodes> {
    if (this.localRunner !== undefined) return this.localRunner.evaluate(this.weights, numEpisodes);
    if (this.numHealthyEnvRunners() === 0) await this.replaceFailed();
    const healthy = this.remote.filter((r) => r.healthy);
    const share = (i: number): number => Math.floor(numEpisodes / healthy.length) + (i < numEpisodes % healthy.length ? 1 : 0);
    const parts = await this.onEach((r) => {
      const n = share(healthy.indexOf(r));
      return r.handle.evaluate.remote(this.weights, n);
    });
    const out: Episodes = { returns: [], lengths: [] };
    for (const p of parts) {
      if (p === undefined) continue;
      out.returns.push(...p.returns);
      out.lengths.push(...p.lengths);
    }
    return out;
  }

  /**
   * Runs `fn` on every env runner (in its actor, shipped like a function given to `lux.ship`:
   * it sees its module's scope, not local variables; with `numEnvRunners: 0`, on the driver's
   * runner) and resolves to the results in runner order.
   */
  async foreachEnvRunner<R>(fn: (runner: EnvRunner) => R | Promise<R>): Promise<Array<Awaited<R>>> {
    if (this.localRunner !== undefined) return [await fn(this.localRunner)];
    const shipped = lux.ship(fn as (runner: EnvRunner) => unknown);
    return (await lux.get(this.remote.map((r) => r.handle.apply.remote(shipped))).catch((e: unknown) => Promise.reject(unwrap(e)))) as Array<Awaited<R>>;
  }

  async stop(): Promise<void> {
    await this.localRunner?.stop();
    await Promise.all(this.remote.map((r) => lux.kill(r.handle).catch(() => undefined)));
  }

  private makeActor(index: number): lux.ActorHandle<EnvRunner> {
    const settings: EnvRunnerSettings = { ...this.o.settings, workerIndex: index, numWorkers: this.o.numEnvRunners };
    return EnvRunnerActor.options({ numCpus: this.o.numCpusPerEnvRunner }).remote(settings);
  }

  /** New actors (with the current weights, envs made) for the runners that died. */
  private async replaceFailed(): Promise<void> {
    const failed = this.remote.filter((r) => !r.healthy);
    for (const r of failed) r.handle = this.makeActor(r.index);
    await Promise.all(
      failed.map(async (r) => {
        await lux.get(r.handle.setWeights.remote(this.weights));
        await lux.get(r.handle.start.remote());
        r.healthy = true;
      }),
    );
  }

  /**
   * Calls every healthy runner; a runner whose actor died is marked failed (its result
   * undefined) when restarts are on, else the call rejects with `EnvRunnerError`.
   */
  private async onEach<T>(call: (r: RemoteRunner) => lux.ObjectRef<T>): Promise<Array<T | undefined>> {
    const healthy = this.remote.filter((r) => r.healthy);
    const settled = await Promise.allSettled(healthy.map((r) => lux.get(call(r))));
    const out: Array<T | undefined> = [];
    settled.forEach((s, i) => {
      const r = healthy[i] as RemoteRunner;
      if (s.status === "fulfilled") return void out.push(s.value);
      if (!(s.reason instanceof ActorDiedError)) throw unwrap(s.reason);
      if (!this.o.restartFailedEnvRunners) throw new EnvRunnerError({ runner: r.index, reason: errorText(s.reason), cause: s.reason });
      r.healthy = false;
      out.push(undefined);
    });
    return out;
  }
}

/**
 * A runner's own errors (EnvError, EnvCheckError, …) reach the caller as themselves, not
 * wrapped in the TaskError of the actor call that met them.
 */
export function unwrap(e: unknown): unknown {
  return e instanceof TaskError && e.cause instanceof LuxError ? e.cause : e;
}
