/**
 * Node labels and label selectors, in Kubernetes label syntax. A node carries labels
 * (`{ zone: "a" }`, plus the built-in `lux.io/node-id` and `lux.io/accelerator-type`); a
 * task, actor or placement-group bundle may carry a selector, one condition per label key:
 * `"v"` (equals), `"!v"` (not equals), `"in(a,b)"`, `"!in(a,b)"`. A node matches when it
 * satisfies every condition; a label the node lacks fails `v` and `in(...)` and satisfies
 * `!v` and `!in(...)`.
 */
import { InvalidOptionError } from "./errors.js";

/** Labels of a node: key to value. */
export type NodeLabels = Record<string, string>;
/** A label selector: label key to condition (`"v"`, `"!v"`, `"in(a,b)"`, `"!in(a,b)"`). */
export type LabelSelector = Record<string, string>;

/** Keys under this prefix are set by Lux itself; nodes cannot be given them. */
export const BUILTIN_LABEL_PREFIX = "lux.io/";
/** Built-in label: the node's id. */
export const NODE_ID_LABEL = "lux.io/node-id";
/** Built-in label: the model of the node's GPUs (e.g. `H100`), absent on a node without GPUs found. */
export const ACCELERATOR_TYPE_LABEL = "lux.io/accelerator-type";
/** Built-in label of a node the autoscaler started: its node type in the cluster YAML. */
export const NODE_TYPE_LABEL = "lux.io/node-type";
/** Built-in label of a node the autoscaler started: the provider's id of it (how the autoscaler finds its raylet). */
export const INSTANCE_ID_LABEL = "lux.io/instance-id";

const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_NAME = 63;
const MAX_PREFIX = 253;

/** Why `key` is not a label key, or undefined when it is one: `[prefix/]name`. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length > MAX_PREFIX || !DNS_SUBDOMAIN.test(prefix)) {
      return `a key prefix (before "/") that is a DNS subdomain: at most ${MAX_PREFIX} characters of a-z, 0-9, "-" and ".", starting and ending with a letter or digit`;
    }
  }
  if (name.length > MAX_NAME || !NAME.test(name)) {
    return `a key name of at most ${MAX_NAME} characters of A-Z, a-z, 0-9, "-", "_" and ".", starting and ending with a letter or digit (optionally after a "prefix/")`;
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one (the empty string is). */
export function labelValueProblem(value: string): string | undefined {
  if (value === "" || (value.length <= MAX_NAME && NAME.test(value))) return undefined;
  return `a label value: empty, or at most ${MAX_NAME} characters of A-Z, a-z, 0-9, "-", "_" and ".", starting and ending with a letter or digit`;
}

/** One condition of a selector: the label's value must (or, negated, must not) be one of `values`. */
interface Condition {
  key: string;
  negated: boolean;
  values: readonly string[];
}

/** A condition's text parsed, or why it is not one. */
function parseCondition(key: string, text: string): Condition | string {
  const negated = text.startsWith("!");
  const body = negated ? text.slice(1) : text;
  if (body.startsWith("in(") && body.endsWith(")")) {
    const values = body.slice(3, -1).split(",").map((v) => v.trim());
    const bad = values.find((v) => v === "" || labelValueProblem(v) !== undefined);
    if (bad !== undefined) return `in(a,b,...) of one or more label values (${bad === "" ? "an empty entry" : `"${bad}" is not one`})`;
    return { key, negated, values };
  }
  const problem = labelValueProblem(body);
  if (problem !== undefined) return `"value", "!value", "in(a,b)" or "!in(a,b)", each value ${problem}`;
  return { key, negated, values: [body] };
}

const matchAll = (): boolean => true;

function satisfies(c: Condition, labels: Readonly<NodeLabels> | undefined): boolean {
  const value = labels?.[c.key];
  const listed = value !== undefined && c.values.includes(value);
  return c.negated ? !listed : listed;
}

/**
 * The selector as a test of a node's labels. Selectors were checked where they were given
 * (checkLabelSelector); a condition that still does not parse matches no node.
 */
export function labelMatcher(selector: Readonly<LabelSelector> | undefined): (labels: Readonly<NodeLabels> | undefined) => boolean {
  if (selector === undefined) return matchAll;
  const conditions = Object.entries(selector).map(([key, text]) => parseCondition(key, text));
  if (conditions.length === 0) return matchAll;
  return (labels) => conditions.every((c) => typeof c !== "string" && satisfies(c, labels));
}

/** Whether a node with `labels` satisfies every condition of `selector` (none: yes). */
export function labelsMatch(selector: Readonly<LabelSelector> | undefined, labels: Readonly<NodeLabels> | undefined): boolean {
  return labelMatcher(selector)(labels);
}

/** A selector option checked (`option` names it in errors, e.g. "labelSelector"); undefined when not given or empty. */
export function checkLabelSelector(v: unknown, option: string): LabelSelector | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new InvalidOptionError({ option, expected: 'an object of label key to condition, e.g. { zone: "a", market: "!spot", region: "in(us,eu)" }', received: v });
  }
  const selector: LabelSelector = {};
  for (const [key, text] of Object.entries(v)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) throw new InvalidOptionError({ option: `${option}.${key}`, expected: keyProblem });
    if (typeof text !== "string") {
      throw new InvalidOptionError({ option: `${option}.${key}`, expected: 'a condition string: "value", "!value", "in(a,b)" or "!in(a,b)"', received: text });
    }
    const parsed = parseCondition(key, text);
    if (typeof parsed === "string") throw new InvalidOptionError({ option: `${option}.${key}`, expected: parsed, received: text });
    selector[key] = text;
  }
  return Object.keys(selector).length === 0 ? undefined : selector;
}

/** Labels given to a node (`--labels`, `addNode({ labels })`) checked; keys under `lux.io/` are Lux's own. */
export function checkNodeLabels(v: unknown, option: string): NodeLabels {
  if (v === undefined) return {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new InvalidOptionError({ option, expected: 'an object of label key to value, e.g. { zone: "a" }', received: v });
  }
  const labels: NodeLabels = {};
  for (const [key, value] of Object.entries(v)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) throw new InvalidOptionError({ option: `${option}.${key}`, expected: keyProblem });
    if (key.startsWith(BUILTIN_LABEL_PREFIX)) {
      throw new InvalidOptionError({ option: `${option}.${key}`, expected: `a key outside ${BUILTIN_LABEL_PREFIX} (Lux sets ${NODE_ID_LABEL} and ${ACCELERATOR_TYPE_LABEL} itself)` });
    }
    if (typeof value !== "string") throw new InvalidOptionError({ option: `${option}.${key}`, expected: "a string value", received: value });
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) throw new InvalidOptionError({ option: `${option}.${key}`, expected: valueProblem, received: value });
    labels[key] = value;
  }
  return labels;
}
