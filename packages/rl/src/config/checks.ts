/** Checks of config values, each failing with an `AlgorithmConfigError` that names the field. */
import { AlgorithmConfigError } from "lux";
import { describeValue } from "../describe-value.js";

export class ConfigChecker {
  constructor(readonly algorithm: string) {}

  fail(field: string, value: unknown, problem: string): never {
    throw new AlgorithmConfigError({ algorithm: this.algorithm, field, value: describeValue(value), problem });
  }

  int(field: string, v: unknown, min: number): void {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) this.fail(field, v, `must be an integer ≥ ${min}`);
  }

  positive(field: string, v: unknown): void {
    if (typeof v !== "number" || !(v > 0)) this.fail(field, v, "must be a number > 0");
  }

  nonNegative(field: string, v: unknown): void {
    if (typeof v !== "number" || !(v >= 0)) this.fail(field, v, "must be a number ≥ 0");
  }

  /** lo < v ≤ hi (or lo ≤ v ≤ hi when `closedLow`). */
  within(field: string, v: unknown, lo: number, hi: number, closedLow = false): void {
    const ok = typeof v === "number" && (closedLow ? v >= lo : v > lo) && v <= hi;
    if (!ok) this.fail(field, v, `must be in ${closedLow ? "[" : "("}${lo}, ${hi}]`);
  }

  oneOf(field: string, v: unknown, options: readonly unknown[]): void {
    if (!options.includes(v)) this.fail(field, v, `must be one of ${options.map((o) => JSON.stringify(o)).join(", ")}`);
  }

  /** Options objects: every key must be a known setting. */
  knownKeys(method: string, given: object, known: readonly string[]): void {
    if (typeof given !== "object" || given === null) this.fail(method, given, "must be given an options object");
    for (const key of Object.keys(given)) {
      if (!known.includes(key)) this.fail(`${method}.${key}`, (given as Record<string, unknown>)[key], `is not a setting of ${method}(); they are ${known.join(", ")}`);
    }
  }
}
