/**
 * The browser-facing guards of the head's HTTP server, checked before anything else:
 *
 * - `Host` must name this server: the address it binds, `localhost` when that is loopback,
 *   the machine's addresses and hostname when it binds every address, and the names
 *   config dashboardAllowedHosts adds. A page of another site whose DNS name was re-pointed
 *   at this address (DNS rebinding) sends its own name, and is refused.
 * - On POST, PUT, PATCH and DELETE, an `Origin` (browsers send one with every such request)
 *   must be this server's own: a page of another origin cannot change anything, even with
 *   a request the browser sends without asking (a form post).
 */
import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";

/** Methods that change something: their `Origin` must be ours. */
const CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/**
 * The names and addresses a request's `Host` may carry, lower-case, IPv6 without brackets,
 * for a server bound to `bindHost`, plus `extra` (config dashboardAllowedHosts).
 */
export function allowedHostNames(bindHost: string, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>();
  const add = (name: string): void => {
    const n = bare(name.trim());
    if (n !== "") names.add(n);
  };
  add(bindHost);
  if (isLoopback(bindHost)) add("localhost");
  if (WILDCARDS.has(bare(bindHost))) {
    add("localhost");
    add(hostname());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) add(a.address);
  }
  for (const name of extra) add(name);
  return names;
}

/** Config dashboardAllowedHosts (comma-separated) as a list. */
export function parseHostList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The name part of a `Host` header ("127.0.0.1:8265" → "127.0.0.1", "[::1]:80" → "::1"); undefined when malformed. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (header === undefined || header === "") return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/.exec(header);
  return m === null ? undefined : bare(m[1] as string);
}

export function hostAllowed(allowed: ReadonlySet<string>, header: string | undefined): boolean {
  const name = hostNameOf(header);
  return name !== undefined && allowed.has(name);
}

/**
 * Whether a request of `method` with this `Origin` may go on: any request without an Origin
 * (not a browser's, or a same-origin GET); a changing one only from `scheme://<its Host>`.
 * `Origin: null` (a browser hiding the origin under a strict referrer policy) passes only when
 * the browser says the request came from this same origin (`Sec-Fetch-Site`, which pages
 * cannot set); a sandboxed frame's or a file's null origin is cross-site there.
 */
export function originAllowed(method: string, origin: string | undefined, host: string | undefined, secure: boolean, fetchSite?: string): boolean {
  if (origin === undefined || !CHANGING.has(method)) return true;
  if (origin === "null") return fetchSite === "same-origin";
  if (host === undefined) return false;
  let own: string;
  let given: URL;
  try {
    own = new URL(`${secure ? "https" : "http"}://${host}`).origin;
    given = new URL(origin);
  } catch {
    return false; // not a URL
  }
  return given.origin === own;
}

function bare(name: string): string {
  const n = name.toLowerCase();
  return n.startsWith("[") && n.endsWith("]") ? n.slice(1, -1) : n.replace(/\.$/, "");
}

function isLoopback(host: string): boolean {
  const h = bare(host);
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}
