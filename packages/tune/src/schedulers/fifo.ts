/** FIFOScheduler: the default; every trial runs to its end, in the order made. */
import type { Decision, SchedulerContext, TrialScheduler } from "./scheduler.js";
import { firstWaiting } from "./scheduler.js";
import type { TrialInfo } from "../types.js";

export class FIFOScheduler implements TrialScheduler {
  onTrialResult(): Decision {
    return "CONTINUE";
  }

  chooseTrialToRun(ctx: SchedulerContext): TrialInfo | undefined {
    return firstWaiting(ctx);
  }
}
