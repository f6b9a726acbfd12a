/**
 * The actor classes of @lux/rl, defined once at the top level of this package's module so
 * that workers find them by reference (they import this module).
 */
import * as lux from "lux";
import { Learner } from "./learner/learner.js";
import { EnvRunner } from "./runner/env-runner.js";

export const EnvRunnerActor = lux.remote(EnvRunner);
export const LearnerActor = lux.remote(Learner);
