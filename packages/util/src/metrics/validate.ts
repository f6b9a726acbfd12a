/** The checks every metric's declaration and every recorded value go through (InvalidMetricError when one fails). */
import { InvalidMetricError } from "@lux/core";
import { METRIC_NAME_PATTERN, METRIC_TAG_KEY_PATTERN } from "@lux/protocol";

/** Tag keys Lux sets itself (the node's id on every series): a metric cannot declare them. `le` is a histogram bucket's label in Prometheus. */
const RESERVED_TAG_KEYS = new Set(["node_id", "le"]);

export function checkName(name: unknown): string {
  if (typeof name !== "string") throw new InvalidMetricError({ metric: String(name), problem: "its name must be a string" });
  if (!METRIC_NAME_PATTERN.test(name)) {
    throw new InvalidMetricError({ metric: name, problem: "a name is letters, digits, _ and :, not starting with a digit (Prometheus' rule)" });
  }
  if (name.startsWith("lux_") || name.startsWith("__")) throw new InvalidMetricError({ metric: name, problem: "names starting with lux_ or __ are Lux's and Prometheus' own" });
  return name;
}

export function checkDescription(name: string, description: unknown): string {
  if (description === undefined) return "";
  if (typeof description !== "string") throw new InvalidMetricError({ metric: name, problem: "description must be a string" });
  return description;
}

export function checkTagKeys(name: string, tagKeys: unknown): readonly string[] {
  if (tagKeys === undefined) return [];
  if (!Array.isArray(tagKeys)) throw new InvalidMetricError({ metric: name, problem: "tagKeys must be an array of strings" });
  const seen = new Set<string>();
  for (const key of tagKeys as unknown[]) {
    if (typeof key !== "string" || !METRIC_TAG_KEY_PATTERN.test(key) || key.startsWith("__")) {
      throw new InvalidMetricError({ metric: name, problem: `tag key ${JSON.stringify(key)} is not valid: letters, digits and _, not starting with a digit or __` });
    }
    if (RESERVED_TAG_KEYS.has(key)) throw new InvalidMetricError({ metric: name, problem: `tag key ${key} is Lux's own (${[...RESERVED_TAG_KEYS].join(", ")} are reserved)` });
    if (seen.has(key)) throw new InvalidMetricError({ metric: name, problem: `tag key ${key} is declared twice` });
    seen.add(key);
  }
  return Object.freeze([...seen]);
}

export function checkBoundaries(name: string, boundaries: unknown): readonly number[] {
  if (!Array.isArray(boundaries) || boundaries.length === 0) {
    throw new InvalidMetricError({ metric: name, problem: "a histogram needs boundaries: a non-empty array of ascending numbers" });
  }
  const out = boundaries as unknown[];
  for (let i = 0; i < out.length; i++) {
    const b = out[i];
    if (typeof b !== "number" || !Number.isFinite(b)) throw new InvalidMetricError({ metric: name, problem: `boundary ${i} (${String(b)}) is not a finite number` });
    if (i > 0 && b <= (out[i - 1] as number)) throw new InvalidMetricError({ metric: name, problem: `boundaries must be strictly ascending; ${b} follows ${String(out[i - 1])}` });
  }
  return Object.freeze([...(out as number[])]);
}

/** The values of `tagKeys` in `tags` ("" for one not given); throws for a key not declared or a value not a string. */
export function tagValues(name: string, tagKeys: readonly string[], tags: Readonly<Record<string, string>> | undefined): string[] {
  const values = tagKeys.map(() => "");
  if (tags === undefined) return values;
  if (typeof tags !== "object" || tags === null) throw new InvalidMetricError({ metric: name, problem: "tags must be an object of strings" });
  for (const [key, value] of Object.entries(tags)) {
    const i = tagKeys.indexOf(key);
    if (i < 0) throw new InvalidMetricError({ metric: name, problem: `tag key ${JSON.stringify(key)} was not declared (tagKeys: ${tagKeys.length === 0 ? "none" : tagKeys.join(", ")})` });
    if (typeof value !== "string") throw new InvalidMetricError({ metric: name, problem: `the value of tag ${key} must be a string, got ${typeof value}` });
    values[i] = value;
  }
  return values;
}

export function checkValue(name: string, value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new InvalidMetricError({ metric: name, problem: `${what} takes a finite number, got ${String(value)}` });
  return value;
}
