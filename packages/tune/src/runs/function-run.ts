/**
 * A function trainable's run: its actor's `runFunction` stream yields each report; the
 * controller decides on it and the answer goes back with `decide` (the report returns, or never
 * does). The stream ends when the function returns (completed), after a decision that ends the
 * trial (the actor is then free for another trial), or with the function's error or the actor's
 * death (failed).
 */
import * as lux from "lux";
import type { Resources } from "../capacity.js";
import type { ReportItem } from "../function-host.js";
import type { Decision } from "../schedulers/scheduler.js";
import type { Trial } from "../trial.js";
import type { TrialActor } from "../trial-actor.js";
import type { TrialActorSlot } from "./placement.js";
import { unwrap, type Outcome, type RunHost, type TrialRun } from "./run.js";

export class FunctionRun implements TrialRun {
  private aborted = false;
  private decided: Exclude<Decision, "CONTINUE"> | undefined;

  constructor(
    readonly trial: Trial,
    readonly demand: Resources,
    private readonly slot: TrialActorSlot,
    private readonly fn: lux.Shipped<(config: unknown) => unknown>,
    private readonly host: RunHost,
  ) {}

  async run(): Promise<Outcome> {
    const outcome = await this.stream();
    const safe = outcome.kind === "completed" || outcome.kind === "decided";
    if (safe && this.slot.reusable) this.host.release(this.slot.actor as lux.ActorHandle<unknown>, this.demand);
    else await this.slot.end();
    return outcome;
  }

  private async stream(): Promise<Outcome> {
    const t = this.trial;
    const actor = this.slot.actor as lux.ActorHandle<TrialActor>;
    const spec = {
      fn: this.fn,
      config: t.config,
      context: t.context,
      trialDir: t.dir,
      checkpoint: t.checkpointObject(t.restoreFrom)?.path,
      nextCheckpointIndex: t.nextCheckpointIndex,
      timeOffsetMs: t.timeTotalMs,
    };
    try {
      for await (const ref of actor.runFunction.remote(spec)) {
        const item: ReportItem = await lux.get(ref);
        if (this.aborted) return { kind: "aborted" };
        const decision = this.decided ?? this.host.result(t, item);
        if (decision !== "CONTINUE") this.decided = decision;
        void lux.get(actor.decide.remote(item.index, decision === "CONTINUE")).catch(() => undefined);
      }
    } catch (e) {
      return this.aborted ? { kind: "aborted" } : { kind: "failed", error: unwrap(e) };
    }
    if (this.aborted) return { kind: "aborted" };
    return this.decided === undefined ? { kind: "completed" } : { kind: "decided", decision: this.decided };
  }

  abort(): void {
    this.aborted = true;
    void this.slot.end();
  }
}
