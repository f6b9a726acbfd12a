/** Trainables and the actor of bench/tune.ts (a module of their own: workers import it to find them). */
import * as lux from "lux";
import * as tune from "@lux/tune";

/** (a) Sleeps, then reports once. */
export async function sleepThenReport(config: { sleepMs: number }): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, config.sleepMs));
  await tune.report({ done: 1 });
}

/** (b) Reports once at once. */
export async function noop(): Promise<void> {
  await tune.report({ done: 1 });
}

/** (c) Reports `reports` times, as fast as the driver answers. */
export async function reportFlatOut(config: { reports: number }): Promise<void> {
  for (let i = 0; i < config.reports; i++) await tune.report({ i });
}

/** The Branin function (global minimum 0.397887). */
export function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
}

/** (d) Reports Branin at its point. */
export async function braninTrial(config: { x1: number; x2: number }): Promise<void> {
  await tune.report({ y: branin(config.x1, config.x2) });
}

/** (b)'s baseline: an actor created, called once and killed. */
export class Noop {
  ping(): number {
    return 1;
  }
}
export const NoopActor = lux.remote(Noop);
