/**
 * Checks of state API queries (`lux.state`, `lux list|get|summary`), done by the control
 * service and, before sending, by clients: an unknown kind, field or operator is refused
 * with InvalidStateQueryError listing the valid ones (the CLI exits 2 with that list).
 */
import {
  STATE_FIELDS,
  STATE_KINDS,
  STATE_OPERATORS,
  SUMMARY_KINDS,
  defineError,
  type StateFilter,
  type StateKind,
  type StateOperator,
  type SummaryKind,
} from "@lux/protocol";

/** What part of a state query is invalid. */
export type StateQueryPart = "kind" | "field" | "operator" | "filter" | "pageToken" | "limit";

/** A state API query names an unknown kind, field or operator, or carries a bad filter, page token or limit. */
export const InvalidStateQueryError = defineError(
  "LUX_INVALID_STATE_QUERY",
  "InvalidStateQueryError",
  (f: {
    /** The invalid part of the query. */
    readonly part: StateQueryPart;
    /** What was given. */
    readonly given: string;
    /** Every valid value of that part (kinds, the kind's fields, operators); empty when there is no list. */
    readonly valid: readonly string[];
    /** The kind queried, for a field. */
    readonly kind?: string;
    /** What is wrong, when a list does not say it (a page token of another listing, a limit below 1). */
    readonly reason?: string;
  }) => {
    const what = f.part === "field" && f.kind !== undefined ? `field of ${f.kind}` : f.part;
    const why = f.reason !== undefined ? `: ${f.reason}` : "";
    const list = f.valid.length > 0 ? `; valid: ${f.valid.join(", ")}` : "";
    return `invalid state query: unknown ${what} ${JSON.stringify(f.given)}${why}${list}`;
  },
);
export type InvalidStateQueryError = InstanceType<typeof InvalidStateQueryError>;

/** `kind` as a StateKind; InvalidStateQueryError listing the kinds otherwise. */
export function checkStateKind(kind: string): StateKind {
  if ((STATE_KINDS as readonly string[]).includes(kind)) return kind as StateKind;
  throw new InvalidStateQueryError({ part: "kind", given: kind, valid: STATE_KINDS });
}

/** `kind` as a kind `summarizeState` takes; InvalidStateQueryError listing them otherwise. */
export function checkSummaryKind(kind: string): SummaryKind {
  if ((SUMMARY_KINDS as readonly string[]).includes(kind)) return kind as SummaryKind;
  throw new InvalidStateQueryError({ part: "kind", given: kind, valid: SUMMARY_KINDS });
}

/** The filters, checked against the kind's fields and the operators. */
export function checkStateFilters(kind: StateKind, filters: readonly (readonly [string, string, string])[]): StateFilter[] {
  const fields: readonly string[] = STATE_FIELDS[kind];
  return filters.map(([field, op, value]) => {
    if (!fields.includes(field)) throw new InvalidStateQueryError({ part: "field", given: field, valid: fields, kind });
    if (!(STATE_OPERATORS as readonly string[]).includes(op)) throw new InvalidStateQueryError({ part: "operator", given: op, valid: STATE_OPERATORS });
    return [field, op as StateOperator, String(value)] as const;
  });
}

/**
 * A filter written as text: `key=value` or `key!=value` (`lux list --filter`). The field and
 * operator are checked against `kind`; a text with neither operator is refused listing them.
 */
export function parseStateFilter(kind: StateKind, text: string): StateFilter {
  const ne = text.indexOf("!=");
  const eq = text.indexOf("=");
  if (eq <= 0) throw new InvalidStateQueryError({ part: "filter", given: text, valid: STATE_OPERATORS, reason: "write key=value or key!=value" });
  const [field, op, value] = ne > 0 && ne < eq ? [text.slice(0, ne), "!=", text.slice(ne + 2)] : [text.slice(0, eq), "=", text.slice(eq + 1)];
  return (checkStateFilters(kind, [[field.trim(), op, value.trim()]]) as [StateFilter])[0];
}
