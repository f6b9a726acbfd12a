/** Checks of option objects, each throwing InvalidOptionError naming its field. */
import { InvalidOptionError } from "lux";
import { isPlainObject } from "./search/space.js";

export function fail(option: string, expected: string, received: unknown): never {
  throw new InvalidOptionError({ option, expected, received });
}

/** `value` as an object of the `known` keys only; an unknown key is named with its path (e.g. `tuneConfig.numSample`). */
export function checkKeys(value: unknown, field: string, known: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(value)) fail(field, "an object", value);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`${field}.${key}`, `no such key: ${field} takes ${known.join(", ")}`, value[key]);
  }
  return value;
}
