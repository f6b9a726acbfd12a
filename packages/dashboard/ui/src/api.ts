/**
 * The dashboard's calls to its server (same origin; the session cookie authenticates them).
 * Everything it shows comes from these routes: the state routes (`/api/state/…`,
 * `/api/summary/…`), the overview's stream, the jobs API and the log routes.
 */
import type { StateKind } from "@lux/protocol";

/** A request the server refused or could not answer; `status` 0 when it could not be reached. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

/** A filter as the state routes take it: [field, value] means field=value. */
export type Filter = readonly [string, string];

export interface ListQuery {
  filters?: readonly Filter[];
  limit?: number;
  pageToken?: string | undefined;
  detail?: boolean;
}

/** The URL of one page of `kind`. */
export function stateUrl(kind: StateKind, query: ListQuery = {}): string {
  const params = new URLSearchParams();
  for (const [field, value] of query.filters ?? []) params.append("filter", `${field}=${value}`);
  if (query.limit !== undefined) params.set("limit", String(query.limit));
  if (query.pageToken !== undefined) params.set("pageToken", query.pageToken);
  if (query.detail === true) params.set("detail", "true");
  const search = params.toString();
  return `/api/state/${kind}${search === "" ? "" : `?${search}`}`;
}

/** The session ended (or never began): back to the login page. */
function loginAgain(): never {
  window.location.assign("/login");
  throw new RequestError(401, "the session ended: log in again");
}

async function refusal(res: Response): Promise<RequestError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: unknown };
    if (typeof body.message === "string") message = body.message;
  } catch {
    // not JSON: the status says enough
  }
  return new RequestError(res.status, message);
}

async function request(path: string, accept: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept }, credentials: "same-origin", ...(signal !== undefined ? { signal } : {}) });
  } catch (e) {
    if (signal?.aborted === true) throw e;
    throw new RequestError(0, `cannot reach the dashboard's server: ${(e as Error).message}`);
  }
  if (res.status === 401) loginAgain();
  if (!res.ok) throw await refusal(res);
  return res;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await request(path, "application/json", signal)).json()) as T;
}

/**
 * Follows a streamed response line by line until it ends or `signal` aborts: each `data:`
 * line of Server-Sent Events, or each line of plain text.
 */
export async function streamLines(path: string, onLines: (lines: string[]) => void, signal: AbortSignal): Promise<void> {
  const res = await request(path, "text/event-stream, text/plain", signal);
  const sse = (res.headers.get("content-type") ?? "").startsWith("text/event-stream");
  if (res.body === null) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const parts = (rest + value).split("\n");
    rest = parts.pop() ?? "";
    const lines = sse ? parts.filter((l) => l.startsWith("data:")).map((l) => l.slice(l.startsWith("data: ") ? 6 : 5)) : parts;
    if (lines.length > 0) onLines(lines);
  }
  if (!sse && rest !== "") onLines([rest]);
}
