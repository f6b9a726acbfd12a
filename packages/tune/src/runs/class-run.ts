/**
 * A class trainable's run: the instance is set up in its actor (from the latest checkpoint if the
 * trial has one), then stepped once per result; the controller decides on each result before
 * the next step. Checkpoints are saved after a result every `checkpointFrequency` results, when
 * a scheduler asks, when the trial pauses (unless PBT gave it another trial's), and at its end
 * with `checkpointAtEnd`. A run that ended between two steps leaves its actor to the next trial
 * (whose config its instance takes with `resetConfig`, or a new instance is made).
 */
import * as path from "node:path";
import * as lux from "lux";
import { checkpointDirName } from "@lux/train/internal";
import type { Resources } from "../capacity.js";
import type { Trainable } from "../trainable.js";
import type { Trial } from "../trial.js";
import type { TrialActor } from "../trial-actor.js";
import type { TrialActorSlot } from "./placement.js";
import { unwrap, type Outcome, type RunHost, type TrialRun } from "./run.js";

export interface ClassCheckpointing {
  /** Save every this many results (0: never on a schedule). */
  readonly frequency: number;
  readonly atEnd: boolean;
}

export class ClassRun implements TrialRun {
  private aborted = false;

  constructor(
    readonly trial: Trial,
    readonly demand: Resources,
    private readonly slot: TrialActorSlot,
    private readonly cls: lux.Shipped<new () => Trainable<unknown>>,
    private readonly checkpointing: ClassCheckpointing,
    private readonly host: RunHost,
  ) {}

  async run(): Promise<Outcome> {
    let outcome: Outcome;
    try {
      outcome = await this.steps();
    } catch (e) {
      outcome = this.aborted ? { kind: "aborted" } : { kind: "failed", error: unwrap(e) };
    }
    // Ended between two steps: the actor (and its instance, for resetConfig) may take the next trial.
    if ((outcome.kind === "completed" || outcome.kind === "decided") && this.slot.reusable) {
      this.host.release(this.actor as lux.ActorHandle<unknown>, this.demand);
    } else {
      await lux.get(this.actor.cleanup.remote()).catch(() => undefined);
      await this.slot.end();
    }
    return outcome;
  }

  private get actor(): lux.ActorHandle<TrialActor> {
    return this.slot.actor;
  }

  private async steps(): Promise<Outcome> {
    const t = this.trial;
    const checkpoint = t.checkpointObject(t.restoreFrom)?.path;
    await lux.get(this.actor.setupClass.remote({ cls: this.cls, config: t.config, context: t.context, checkpoint, timeOffsetMs: t.timeTotalMs }));
    for (;;) {
      const step = await lux.get(this.actor.step.remote());
      if (this.aborted) return { kind: "aborted" };
      const done = step.metrics["done"] === true;
      t.checkpointRequested = false;
      const decision = this.host.result(t, { ...step, checkpoint: undefined });
      const ends = done || decision !== "CONTINUE";
      const scheduled = this.checkpointing.frequency > 0 && t.iteration % this.checkpointing.frequency === 0;
      const save = !t.exploited && (scheduled || t.checkpointRequested || decision === "PAUSE" || (ends && this.checkpointing.atEnd));
      if (save) await this.save();
      if (done) return { kind: "completed" };
      if (decision !== "CONTINUE") return { kind: "decided", decision };
    }
  }

  private async save(): Promise<void> {
    const dir = checkpointDirName(this.trial.nextCheckpointIndex++);
    await lux.get(this.actor.save.remote(path.join(this.trial.dir, dir)));
    this.host.checkpoint(this.trial, dir);
  }

  abort(): void {
    this.aborted = true;
    void this.slot.end();
  }
}
