/**
 * `fetch` for the head's HTTP server of a cluster that uses TLS: Node's fetch cannot present
 * a client certificate nor trust a private CA, so a request to an `https://` URL goes through
 * node:https with this process's TLS files (LUX_TLS_CERT, LUX_TLS_KEY, LUX_TLS_CA; docs/tls.md)
 * and the cluster's policy (TLS 1.3, the server's certificate checked, name included). Without
 * TLS files it is fetch as usual (a proxy with a public certificate, for example).
 */
import * as https from "node:https";
import { Readable } from "node:stream";
import { loadTlsMaterial, tlsClientOptions, tlsFilesFromConfig } from "@lux/common";

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** A fetch Response for `url`: over the cluster's TLS for https:// with TLS files, else global fetch. */
export function fetchWithClusterTls(url: string, init: FetchInit): Promise<Response> {
  const files = url.startsWith("https:") ? tlsFilesFromConfig() : undefined;
  if (files === undefined) return fetch(url, init);
  const material = loadTlsMaterial(files);
  return new Promise((resolve, reject) => {
    const request = https.request(url, {
      method: init.method,
      headers: init.body === undefined ? init.headers : { ...init.headers, "content-length": String(Buffer.byteLength(init.body)) },
      ...tlsClientOptions(material),
      agent: false,
      ...(init.signal !== undefined ? { signal: init.signal } : {}),
    });
    request.once("response", (res) => {
      const status = res.statusCode ?? 0;
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
      }
      const empty = status === 204 || status === 304 || init.method === "HEAD";
      if (empty) res.resume();
      const body = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status, statusText: res.statusMessage ?? "", headers }));
    });
    // An aborted request rejects as fetch does: with the signal's reason (a TimeoutError for AbortSignal.timeout).
    request.once("error", (e) => reject(init.signal?.aborted === true ? (init.signal.reason as Error) : e));
    request.end(init.body);
  });
}
