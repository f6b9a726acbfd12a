/**
 * Filtering and paging of state listings, on the control service. Filters run over every
 * row before the limit (so `--filter state=FAILED` finds failures wherever they are), and
 * a page token is the key of the last row of the page: the next page starts after it, so
 * rows added or removed meanwhile neither repeat nor shift the rows that follow.
 */
import { InvalidStateQueryError } from "@lux/common";
import { STATE_ENUM_FIELDS, type StateFilter, type StateKind, type StatePage } from "@lux/protocol";

/** A row's place in its listing: a creation sequence, then its id. Stable for the row's life. */
export type RowKey = readonly [number, string];

/** The rows of one kind, in key order, and how to read them. */
export interface RowSource<R> {
  kind: StateKind;
  /** Every row, in increasing key order. */
  rows: Iterable<R>;
  key(row: R): RowKey;
  /** A field's value, for filters (undefined or null count as ""). */
  field(row: R, name: string): unknown;
  /** The row as the API shows it. */
  item(row: R, detail: boolean): object;
}

export interface PageQuery {
  filters: readonly StateFilter[];
  limit: number;
  pageToken?: string | undefined;
  detail: boolean;
}

/** Whether `row` passes every filter. Enum fields (states, types) compare ignoring case. */
export function matches<R>(source: Pick<RowSource<R>, "field">, row: R, filters: readonly StateFilter[]): boolean {
  for (const [field, op, value] of filters) {
    const raw = source.field(row, field);
    const text = raw === undefined || raw === null ? "" : String(raw);
    const equal = STATE_ENUM_FIELDS.has(field) ? text.toUpperCase() === value.toUpperCase() : text === value;
    if (equal !== (op === "=")) return false;
  }
  return true;
}

export function compareKeys(a: RowKey, b: RowKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** The page token after `key` in a listing of `kind`: opaque to clients. */
export function encodePageToken(kind: StateKind, key: RowKey): string {
  return Buffer.from(JSON.stringify([kind, key[0], key[1]])).toString("base64url");
}

/** The key a page token names; InvalidStateQueryError for a token that is not one of `kind`'s. */
export function decodePageToken(kind: StateKind, token: string): RowKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[1] !== "number" || typeof parsed[2] !== "string") {
    throw new InvalidStateQueryError({ part: "pageToken", given: token, valid: [], reason: "not a page token of the state API (pass back nextPageToken as it came)" });
  }
  if (parsed[0] !== kind) {
    throw new InvalidStateQueryError({ part: "pageToken", given: token, valid: [], reason: `it is a page token of ${String(parsed[0])}, not of ${kind}` });
  }
  return [parsed[1], parsed[2]];
}

/**
 * One page: the rows after the token that pass the filters, at most `limit`, their total
 * count, and the token of the next page (null when no row passing the filters follows).
 */
export function page<R>(source: RowSource<R>, query: PageQuery, dropped: number): StatePage<object> {
  const after = query.pageToken === undefined ? undefined : decodePageToken(source.kind, query.pageToken);
  const items: object[] = [];
  let total = 0;
  let lastKey: RowKey | undefined;
  let more = false;
  for (const row of source.rows) {
    if (!matches(source, row, query.filters)) continue;
    total++;
    if (after !== undefined && compareKeys(source.key(row), after) <= 0) continue;
    if (items.length < query.limit) {
      items.push(source.item(row, query.detail));
      lastKey = source.key(row);
    } else more = true;
  }
  const nextPageToken = more && lastKey !== undefined ? encodePageToken(source.kind, lastKey) : null;
  return { items, nextPageToken, total, dropped };
}

/**
 * Creation sequences for rows whose sources have none (actors, nodes, objects, …): an id
 * gets the next number the first time a listing meets it, and keeps it while it is listed.
 */
export class Sequencer {
  private readonly seqs = new Map<string, number>();
  private next = 0;

  /** The rows of one listing with their sequences, in sequence order; ids no longer listed are forgotten. */
  order<R>(rows: readonly R[], id: (row: R) => string): { row: R; seq: number }[] {
    const seen = new Set<string>();
    const out = rows.map((row) => {
      const key = id(row);
      seen.add(key);
      let seq = this.seqs.get(key);
      if (seq === undefined) {
        seq = this.next++;
        this.seqs.set(key, seq);
      }
      return { row, seq };
    });
    for (const key of this.seqs.keys()) if (!seen.has(key)) this.seqs.delete(key);
    return out.sort((a, b) => a.seq - b.seq);
  }
}
