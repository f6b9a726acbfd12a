/**
 * One kind of the state API as a table: filtered and paged on the server (`/api/state/:kind`
 * with `filter=`, `limit` and the page token of the page before), refreshed every few
 * seconds. Filters live in the URL's query (`/tasks?state=FAILED`), so a filtered list is a
 * link: the controls set some of them; any other field given there shows as a removable chip.
 */
import type { StateKind, StatePage } from "@lux/protocol";
import type { ComponentChildren, JSX } from "preact";
import { useState } from "preact/hooks";
import { getJson, stateUrl, type Filter } from "../api.js";
import { count } from "../format.js";
import { navigate, useRoute, withQuery } from "../router.js";
import { useLoad } from "../use-load.js";

export interface Column<T> {
  label: string;
  cell: (item: T) => ComponentChildren;
}

/** A filter control: a select of `options` (and "All"), else a text field (exact match). */
export interface FilterControl {
  field: string;
  label: string;
  options?: readonly string[];
}

export interface StateTableProps<T> {
  kind: StateKind;
  /** What one item is called ("task", "node"). */
  noun: string;
  columns: Column<T>[];
  controls: FilterControl[];
  rowKey: (item: T) => string;
  /** Ask with detail (fields only detail has, e.g. a node's store use). */
  detail?: boolean;
  pageSize?: number;
}

const REFRESH_MS = 5000;

export function StateTable<T>(props: StateTableProps<T>): JSX.Element {
  const route = useRoute();
  const filters: Filter[] = [...route.query.entries()].filter(([, v]) => v !== "");
  const filterKey = JSON.stringify(filters);
  // Tokens of the pages before this one: Previous goes back one. A new filter starts over.
  const [pages, setPages] = useState<{ filterKey: string; tokens: (string | undefined)[] }>({ filterKey, tokens: [undefined] });
  const tokens = pages.filterKey === filterKey ? pages.tokens : [undefined];
  const token = tokens[tokens.length - 1];
  const limit = props.pageSize ?? 50;
  const url = stateUrl(props.kind, { filters, limit, pageToken: token, detail: props.detail === true });
  const { data, error, loading } = useLoad(url, (signal) => getJson<StatePage<T>>(url, signal), REFRESH_MS);
  const setFilter = (field: string, value: string): void => navigate(withQuery(route.path, route.query, { [field]: value }), { replace: true });
  const first = (tokens.length - 1) * limit;
  return (
    <section class="state-table" aria-busy={loading}>
      <Filters controls={props.controls} query={route.query} setFilter={setFilter} />
      <Chips filters={filters} controls={props.controls} setFilter={setFilter} />
      {error !== undefined ? <p role="alert" class="error">{error.message}</p> : null}
      {data === undefined ? (
        error === undefined ? <p class="muted">Loading…</p> : null
      ) : (
        <>
          <p class="muted" data-total={data.total}>
            {data.items.length === 0 ? `No ${props.noun}s match.` : `${count(first + 1)}–${count(first + data.items.length)} of ${count(data.total)} ${props.noun}${data.total === 1 ? "" : "s"}`}
            {data.dropped > 0 ? ` · ${count(data.dropped)} dropped past the control service's limit` : ""}
          </p>
          {data.items.length > 0 ? <Rows items={data.items} columns={props.columns} rowKey={props.rowKey} /> : null}
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={tokens.length <= 1} onClick={() => setPages({ filterKey, tokens: tokens.slice(0, -1) })}>
              Previous
            </button>
            <span class="muted">Page {tokens.length}</span>
            <button type="button" disabled={data.nextPageToken === null} onClick={() => setPages({ filterKey, tokens: [...tokens, data.nextPageToken ?? undefined] })}>
              Next
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

function Rows<T>(props: { items: T[]; columns: Column<T>[]; rowKey: (item: T) => string }): JSX.Element {
  return (
    <table>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c.label} scope="col">
              {c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.items.map((item) => (
          <tr key={props.rowKey(item)}>
            {props.columns.map((c) => (
              <td key={c.label}>{c.cell(item)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Filters(props: { controls: FilterControl[]; query: URLSearchParams; setFilter: (field: string, value: string) => void }): JSX.Element | null {
  if (props.controls.length === 0) return null;
  return (
    <form class="filters" onSubmit={(e) => e.preventDefault()}>
      {props.controls.map((c) => {
        const id = `filter-${c.field}`;
        const value = props.query.get(c.field) ?? "";
        return (
          <span class="filter" key={c.field}>
            <label for={id}>{c.label}</label>
            {c.options !== undefined ? (
              <select id={id} value={value} onChange={(e) => props.setFilter(c.field, e.currentTarget.value)}>
                <option value="">All</option>
                {c.options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                type="search"
                value={value}
                placeholder="any"
                onKeyDown={(e) => e.key === "Enter" && props.setFilter(c.field, e.currentTarget.value.trim())}
                onBlur={(e) => props.setFilter(c.field, e.currentTarget.value.trim())}
              />
            )}
          </span>
        );
      })}
    </form>
  );
}

/** Filters from the URL that no control shows (e.g. `jobId` from a job's link), each removable. */
function Chips(props: { filters: Filter[]; controls: FilterControl[]; setFilter: (field: string, value: string) => void }): JSX.Element | null {
  const shown = new Set(props.controls.map((c) => c.field));
  const chips = props.filters.filter(([field]) => !shown.has(field));
  if (chips.length === 0) return null;
  return (
    <p class="chips">
      {chips.map(([field, value]) => (
        <span class="chip" key={field}>
          {field} = {value}
          <button type="button" aria-label={`Remove the filter ${field}`} onClick={() => props.setFilter(field, "")}>
            ×
          </button>
        </span>
      ))}
    </p>
  );
}
