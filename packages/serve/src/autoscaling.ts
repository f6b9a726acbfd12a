/**
 * Autoscaling, decided by the controller from what routers report: each router's requests
 * (running on replicas + waiting for one), averaged over lookBackPeriodMs per router and
 * summed, divided by targetOngoingRequests. A new replica count applies once the demand has
 * called for more (fewer) replicas for upscaleDelayMs (downscaleDelayMs); from zero replicas,
 * at once (a cold start should not wait).
 */
import type { CompiledAutoscaling } from "./options.js";

/** Reports of one deployment's routers: (time, load) samples per router. */
export class DemandSamples {
  private readonly byRouter = new Map<string, { at: number; load: number }[]>();

  record(routerId: string, at: number, load: number): void {
    let samples = this.byRouter.get(routerId);
    if (samples === undefined) {
      samples = [];
      this.byRouter.set(routerId, samples);
    }
    samples.push({ at, load });
  }

  /** Sum over routers of their mean load within [now - lookBackMs, now]; older samples are dropped. */
  average(now: number, lookBackMs: number): number {
    let total = 0;
    for (const [id, samples] of this.byRouter) {
      let first = 0;
      while (first < samples.length && (samples[first] as { at: number }).at < now - lookBackMs) first++;
      if (first > 0) samples.splice(0, first);
      if (samples.length === 0) {
        this.byRouter.delete(id);
        continue;
      }
      total += samples.reduce((s, x) => s + x.load, 0) / samples.length;
    }
    return total;
  }

  /** The latest load of any router is above zero (someone waits right now). */
  waitingNow(): boolean {
    for (const samples of this.byRouter.values()) if ((samples.at(-1)?.load ?? 0) > 0) return true;
    return false;
  }
}

/** The decision's memory between control-loop passes. */
export interface ScalingState {
  /** Since when the demand has asked for more (fewer) replicas than now, if it does. */
  upSince: number | undefined;
  downSince: number | undefined;
}

export function newScalingState(): ScalingState {
  return { upSince: undefined, downSince: undefined };
}

/** The replicas the demand asks for, within [minReplicas, maxReplicas], the step scaled by the factors. */
export function desiredReplicas(config: CompiledAutoscaling, current: number, demand: number): number {
  const raw = Math.ceil(demand / config.targetOngoingRequests - 1e-9);
  let next = raw;
  if (raw > current) next = Math.ceil(current + (raw - current) * config.upscalingFactor);
  else if (raw < current) next = Math.floor(current - (current - raw) * config.downscalingFactor);
  // Requests waiting with no replica: at least one, whatever the factors.
  if (current === 0 && demand > 0) next = Math.max(next, 1);
  return Math.min(config.maxReplicas, Math.max(config.minReplicas, next));
}

/** The target for this pass: `current` until the demand has held long enough. */
export function decideReplicas(config: CompiledAutoscaling, state: ScalingState, now: number, current: number, demand: number): number {
  const desired = desiredReplicas(config, current, demand);
  if (desired > current) {
    state.downSince = undefined;
    if (current === 0) {
      state.upSince = undefined;
      return desired;
    }
    state.upSince ??= now;
    if (now - state.upSince >= config.upscaleDelayMs) {
      state.upSince = undefined;
      return desired;
    }
    return current;
  }
  if (desired < current) {
    state.upSince = undefined;
    state.downSince ??= now;
    if (now - state.downSince >= config.downscaleDelayMs) {
      state.downSince = undefined;
      return desired;
    }
    return current;
  }
  state.upSince = undefined;
  state.downSince = undefined;
  return current;
}
