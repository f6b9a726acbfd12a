/**
 * HTTP in the replica: the proxy's request data as a WHATWG `Request`, and what the
 * deployment returned as the response data the proxy writes: a `Response` as it is, a
 * string as text, a `Uint8Array` as bytes, an AsyncIterable as a stream, anything else as JSON.
 */
import type { HttpRequestData, HttpResponseData } from "./specs.js";

export function toRequest(data: HttpRequestData): Request {
  const hasBody = data.body !== undefined && data.body.byteLength > 0 && data.method !== "GET" && data.method !== "HEAD";
  const headers = new Headers();
  for (const [k, v] of Object.entries(data.headers)) {
    // Hop-by-hop headers and those Request computes itself are not the handler's business.
    if (k === "connection" || k === "keep-alive" || k === "transfer-encoding" || k === "upgrade") continue;
    headers.set(k, v);
  }
  return new Request(`http://${data.host}${data.url}`, {
    method: data.method,
    headers,
    ...(hasBody ? { body: data.body as Uint8Array, duplex: "half" } : {}),
  } as RequestInit);
}

function headersOf(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => (out[k] = v));
  return out;
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
}

/** A whole response, or `undefined` when `value` streams (an AsyncIterable). */
export async function toResponseData(value: unknown): Promise<HttpResponseData | undefined> {
  if (value instanceof Response) {
    const body = new Uint8Array(await value.arrayBuffer());
    return { kind: "full", status: value.status, headers: headersOf(value.headers), body };
  }
  if (typeof value === "string") return { kind: "full", status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: value };
  if (value instanceof Uint8Array) return { kind: "full", status: 200, headers: { "content-type": "application/octet-stream" }, body: value };
  if (isAsyncIterable(value)) return undefined;
  return { kind: "full", status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(value ?? null) };
}

const encoder = new TextEncoder();

/** One streamed item as bytes: text as is, bytes as they are, anything else as a JSON line. */
export function chunkBytes(item: unknown, sse: boolean): Uint8Array {
  if (sse) {
    const text = typeof item === "string" ? item : item instanceof Uint8Array ? Buffer.from(item).toString("utf8") : JSON.stringify(item);
    return encoder.encode(`${text.split("\n").map((line) => `data: ${line}`).join("\n")}\n\n`);
  }
  if (typeof item === "string") return encoder.encode(item);
  if (item instanceof Uint8Array) return item;
  return encoder.encode(`${JSON.stringify(item)}\n`);
}

/** Whether the client asked for Server-Sent Events. */
export function wantsEventStream(headers: Record<string, string>): boolean {
  return (headers["accept"] ?? "").includes("text/event-stream");
}
