/**
 * A trial's actor. A function trainable runs in `runFunction`, a streaming call that yields its
 * reports as they are made (the driver answers each with `decide`; the actor takes calls while
 * it runs). A class trainable is made by `setupClass` and driven by the driver one `step` at a
 * time, with `save` and `load` for checkpoints. A finished function trial leaves the actor free
 * for the next trial (actors are reused).
 */
import * as fs from "node:fs";
import * as lux from "lux";
import { TuneSessionError } from "lux";
import { runWithReportHost } from "@lux/train/internal";
import { runInTrial, type TrialContext } from "./context.js";
import { FunctionHost, type FunctionHostSpec, type ReportItem } from "./function-host.js";
import type { Metrics } from "./metrics.js";
import type { Trainable } from "./trainable.js";

export interface FunctionRunSpec extends FunctionHostSpec {
  readonly fn: lux.Shipped<(config: unknown) => unknown>;
  readonly config: unknown;
  readonly context: TrialContext;
}

export interface ClassSetupSpec {
  readonly cls: lux.Shipped<new () => Trainable<unknown>>;
  readonly config: unknown;
  readonly context: TrialContext;
  /** A checkpoint folder to load after setup. */
  readonly checkpoint: string | undefined;
  readonly timeOffsetMs: number;
}

export interface StepResult {
  readonly metrics: Metrics;
  readonly timeTotalMs: number;
  readonly timeThisIterMs: number;
}

function isMetrics(value: unknown): value is Metrics {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export class TrialActor {
  private host: FunctionHost | undefined;
  private instance: Trainable<unknown> | undefined;
  private context: TrialContext | undefined;
  private elapsedMs = 0;

  async *runFunction(spec: FunctionRunSpec): AsyncGenerator<ReportItem, void> {
    const fn = await lux.loadShipped(spec.fn);
    const host = new FunctionHost(spec);
    this.host = host;
    // The trainable's config is its own: a copy, so a reused actor's next trial starts clean.
    const run = runInTrial(spec.context, () => runWithReportHost(host, async () => fn(structuredClone(spec.config))));
    try {
      yield* host.items(run);
    } finally {
      if (this.host === host) this.host = undefined;
    }
  }

  decide(index: number, proceed: boolean): void {
    this.host?.decide(index, proceed);
  }

  /** Sets up the trial's instance: the previous trial's, if it takes the new config (`resetConfig`), else a new one. */
  async setupClass(spec: ClassSetupSpec): Promise<void> {
    const Cls = await lux.loadShipped(spec.cls);
    const config = structuredClone(spec.config);
    const previous = this.instance;
    const reset = previous instanceof Cls && (await runInTrial(spec.context, async () => previous.resetConfig(config))) === true;
    if (!reset) await this.cleanup();
    const instance = reset ? previous : new Cls();
    instance.config = config;
    this.instance = instance;
    this.context = spec.context;
    this.elapsedMs = spec.timeOffsetMs;
    await runInTrial(spec.context, async () => {
      if (!reset) await instance.setup(instance.config);
      if (spec.checkpoint !== undefined) await instance.loadCheckpoint(spec.checkpoint);
    });
  }

  async step(): Promise<StepResult> {
    const { instance, context } = this.trainable("step()");
    const started = performance.now();
    const metrics = await runInTrial(context, async () => instance.step());
    if (!isMetrics(metrics)) {
      throw new TuneSessionError({ operation: `${instance.constructor.name}.step()`, reason: `returned ${metrics === null ? "null" : typeof metrics}: a step returns an object of metrics, e.g. { loss: 0.1 }` });
    }
    const took = performance.now() - started;
    this.elapsedMs += took;
    return { metrics, timeTotalMs: this.elapsedMs, timeThisIterMs: took };
  }

  async save(dir: string): Promise<void> {
    const { instance, context } = this.trainable("saveCheckpoint()");
    await fs.promises.mkdir(dir, { recursive: true });
    await runInTrial(context, async () => instance.saveCheckpoint(dir));
  }

  async cleanup(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    if (instance !== undefined && this.context !== undefined) await runInTrial(this.context, async () => instance.cleanup());
  }

  private trainable(call: string): { instance: Trainable<unknown>; context: TrialContext } {
    if (this.instance === undefined || this.context === undefined) throw new TuneSessionError({ operation: call, reason: "the trial's Trainable is not set up" });
    return { instance: this.instance, context: this.context };
  }

  /** The node this actor runs on. */
  nodeId(): string {
    return lux.getRuntimeContext().nodeId;
  }
}

export const TrialActorClass = lux.remote(TrialActor);
