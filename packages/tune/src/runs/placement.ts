/**
 * A trial's actor: reused from a finished trial, or made for it (with a placement group of its
 * bundles when `withResources` gave bundles: the actor in the first). Ended with its group.
 */
import * as lux from "lux";
import { TrialActorClass, type TrialActor } from "../trial-actor.js";
import type { Resources } from "../capacity.js";
import { actorOptions } from "./run.js";

export class TrialActorSlot {
  private constructor(
    readonly actor: lux.ActorHandle<TrialActor>,
    private readonly pg: lux.PlacementGroup | undefined,
  ) {}

  /** A new actor for one trial: `bundles` of more than one make a placement group (the actor in bundle 0). */
  static create(bundles: readonly Resources[]): TrialActorSlot {
    const first = bundles[0] ?? {};
    if (bundles.length <= 1) return new TrialActorSlot(TrialActorClass.options(actorOptions(first, undefined)).remote(), undefined);
    const pg = lux.placementGroup(bundles.map((b) => ({ ...b })), { strategy: "PACK" });
    return new TrialActorSlot(TrialActorClass.options(actorOptions(first, pg)).remote(), pg);
  }

  static reuse(actor: lux.ActorHandle<TrialActor>): TrialActorSlot {
    return new TrialActorSlot(actor, undefined);
  }

  /** Whether another trial may take the actor (one without a placement group of its own). */
  get reusable(): boolean {
    return this.pg === undefined;
  }

  async end(): Promise<void> {
    await lux.kill(this.actor).catch(() => undefined);
    if (this.pg !== undefined) await lux.removePlacementGroup(this.pg).catch(() => undefined);
  }
}
