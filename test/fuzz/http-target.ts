/**
 * Plays HTTP sessions against the head's HTTP server over a raw socket (so malformed
 * requests reach it as sent), and the valid requests that show it still serves.
 */
import { HOST_PLACEHOLDER, TOKEN_PLACEHOLDER, type HttpSession } from "./http-inputs.js";
import type { Random } from "./random.js";
import { RawPeer, hostPort } from "./wire.js";

export interface HttpOutcome {
  closedByServer: boolean;
  /** Status codes of the responses it sent. */
  statuses: number[];
  /** Each 5xx response's start, with the request line that got it. */
  samples: [string, string][];
}

/** How long a session waits for its answers (streams, e.g. a log tail, never end by themselves). */
const RESPONSE_WAIT_MS = 400;

/** The request with the placeholders filled in: the cluster's token, the server's HOST:PORT. */
export function filledIn(bytes: Buffer, token: string, address: string): Buffer {
  const text = bytes.toString("latin1");
  if (!text.includes(TOKEN_PLACEHOLDER) && !text.includes(HOST_PLACEHOLDER)) return bytes;
  return Buffer.from(text.split(TOKEN_PLACEHOLDER).join(token).split(HOST_PLACEHOLDER).join(address), "latin1");
}

/**
 * A loopback address to send a session from, other than 127.0.0.1 (the probe's): the server
 * limits failed authentications per address (and then refuses even the right token from it
 * for a while), so the sessions spread over many and the probe is never among them.
 */
export function sourceAddress(r: Random, serverAddress: string): string | undefined {
  if (!hostPort(serverAddress).host.startsWith("127.")) return undefined;
  return `127.${1 + r.int(254)}.${r.int(256)}.${1 + r.int(254)}`;
}

function statusesIn(received: Buffer): number[] {
  return [...received.toString("latin1").matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

export async function playHttpSession(address: string, token: string, session: HttpSession): Promise<HttpOutcome> {
  const peer = await RawPeer.connect(address, 5000, session.from);
  try {
    for (const w of session.writes) await peer.write(filledIn(w, token, address));
    await peer.until(() => statusesIn(peer.received).length >= session.inputs, RESPONSE_WAIT_MS);
    const statuses = statusesIn(peer.received);
    const failed = statuses.filter((s) => s >= 500);
    const request = (session.writes[0] ?? Buffer.alloc(0)).toString("latin1").split("\r\n")[0] ?? "";
    const samples: [string, string][] = failed.map((s) => [`HTTP ${s}`, `${request.slice(0, 200)} -> ${peer.received.toString("latin1").slice(0, 600)}`]);
    return { closedByServer: !peer.isOpen, statuses, samples };
  } finally {
    peer.destroy();
  }
}

/** The server still serves: `/healthz` without the token, a state route with it. */
export async function probeHttp(url: string, token: string): Promise<void> {
  const signal = AbortSignal.timeout(10_000);
  const health = await fetch(`${url}/healthz`, { signal });
  if (health.status !== 200) throw new Error(`GET /healthz answered ${health.status}`);
  const nodes = await fetch(`${url}/api/state/nodes`, { headers: { authorization: `Bearer ${token}` }, signal });
  if (nodes.status !== 200) throw new Error(`GET /api/state/nodes with the token answered ${nodes.status}`);
  const page = (await nodes.json()) as { items?: unknown[] };
  if (!Array.isArray(page.items) || page.items.length === 0) throw new Error(`GET /api/state/nodes listed no node: ${JSON.stringify(page)}`);
}
