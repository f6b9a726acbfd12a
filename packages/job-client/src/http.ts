/** One call of the jobs API: the request with the token, and its error answers turned into their classes. */
import { InvalidJobRequestError, JobApiError, JobExistsError, JobNotFinishedError, JobNotFoundError, type LuxError } from "@lux/common";
import { fetchWithClusterTls } from "./https-fetch.js";
import type { JobTarget } from "./target.js";

export interface CallOptions {
  method?: "GET" | "POST" | "DELETE";
  body?: unknown;
  /** Deadline of the whole call (not of a streamed body: pass `signal` instead). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Sends the request; resolves with a 2xx response, else throws the error class the answer names. */
export async function call(target: JobTarget, route: string, options: CallOptions = {}): Promise<Response> {
  const url = `${target.url}${route}`;
  const headers: Record<string, string> = { authorization: `Bearer ${target.token}` };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const signal = options.signal ?? (options.timeoutMs !== undefined ? AbortSignal.timeout(options.timeoutMs) : undefined);
  let res: Response;
  try {
    res = await fetchWithClusterTls(url, {
      method: options.method ?? "GET",
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
  } catch (e) {
    const err = e as Error & { cause?: Error };
    const why = err.name === "TimeoutError" ? `no answer within ${options.timeoutMs} ms` : (err.cause?.message ?? err.message);
    throw new JobApiError({ url, reason: why, cause: e });
  }
  if (res.ok) return res;
  throw await errorOf(url, res);
}

/** Sends the request and parses its JSON answer. */
export async function callJson<T>(target: JobTarget, route: string, options: CallOptions = {}): Promise<T> {
  const res = await call(target, route, options);
  return (await res.json()) as T;
}

interface ErrorBody {
  error?: string;
  message?: string;
  field?: string;
  reason?: string;
  submissionId?: string;
  status?: string;
}

async function errorOf(url: string, res: Response): Promise<LuxError> {
  const text = await res.text().catch(() => "");
  let body: ErrorBody = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // not JSON (a proxy's page?): the status and the text say what happened
  }
  const id = body.submissionId ?? "";
  switch (body.error) {
    case "LUX_JOB_NOT_FOUND":
      return new JobNotFoundError({ submissionId: id });
    case "LUX_JOB_EXISTS":
      return new JobExistsError({ submissionId: id });
    case "LUX_INVALID_JOB_REQUEST":
      return new InvalidJobRequestError({ field: body.field ?? "(unknown)", reason: body.reason ?? body.message ?? text });
    case "LUX_JOB_NOT_FINISHED":
      return new JobNotFinishedError({ submissionId: id, status: body.status ?? "RUNNING" });
    default: {
      const reason = res.status === 401 ? "the cluster token was refused: pass this cluster's token (LUX_TOKEN, or { token })" : (body.message ?? (text.slice(0, 500) || res.statusText));
      return new JobApiError({ url, status: res.status, reason });
    }
  }
}
