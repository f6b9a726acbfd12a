/**
 * Inputs for the head's HTTP server: valid requests of its routes (unauthenticated, with
 * the token, with a broken cookie), mutated in their bytes, headers, paths, query strings
 * and JSON bodies. `{{TOKEN}}` stands for the cluster's token (recorded inputs do not hold
 * it, and a mutation that breaks the placeholder sends a wrong token), `{{HOST}}` for the
 * server's address.
 *
 * A job submission with a command runs that command: the fuzzer never sends a body with a
 * string `entrypoint` (its seeds have none, and each mutated request is checked).
 */
import { mutateBytes, mutateValue } from "./mutate.js";
import type { Random } from "./random.js";

export const TOKEN_PLACEHOLDER = "{{TOKEN}}";
/** Stands for the server's HOST:PORT, which its Host check wants. */
export const HOST_PLACEHOLDER = "{{HOST}}";

interface HttpSeed {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

export interface HttpSession {
  auth: "bearer" | "none" | "cookie";
  writes: Buffer[];
  inputs: number;
  /** The loopback address it is sent from (see sourceAddress in http-target.ts). */
  from?: string;
}

function seeds(nodeId: string): HttpSeed[] {
  const json = "application/json";
  return [
    { method: "GET", path: "/healthz" },
    { method: "GET", path: "/login" },
    { method: "POST", path: "/login", body: `token=${TOKEN_PLACEHOLDER}`, contentType: "application/x-www-form-urlencoded" },
    { method: "POST", path: "/login", body: "token=not-the-token", contentType: "application/x-www-form-urlencoded" },
    { method: "POST", path: "/logout" },
    { method: "GET", path: "/" },
    { method: "GET", path: "/tasks/abc" },
    { method: "GET", path: "/assets/index.js" },
    { method: "GET", path: "/assets/..%2f..%2fpackage.json" },
    { method: "GET", path: "/api/state/tasks?limit=10&filter=state%3DFAILED&detail=true" },
    { method: "GET", path: "/api/state/nodes" },
    { method: "GET", path: `/api/state/nodes/${nodeId}` },
    { method: "GET", path: "/api/summary/tasks?filter=name%3Dx" },
    { method: "GET", path: "/api/timeline?jobId=01000000" },
    { method: "GET", path: "/api/jobs" },
    { method: "GET", path: "/api/jobs/fuzz-job" },
    { method: "GET", path: "/api/jobs/fuzz-job/logs" },
    { method: "POST", path: "/api/jobs/fuzz-job/stop" },
    { method: "DELETE", path: "/api/jobs/fuzz-job" },
    { method: "POST", path: "/api/jobs", body: JSON.stringify({ entrypoint: 12, runtimeEnv: { envVars: { A: "1" } }, metadata: { k: "v" } }), contentType: json },
    { method: "POST", path: "/api/jobs", body: JSON.stringify({ submissionId: "fuzz", runtimeEnv: { workingDir: "/tmp" } }), contentType: json },
    { method: "GET", path: `/api/logs?nodeId=${nodeId}` },
    { method: "GET", path: `/api/logs/tail?nodeId=${nodeId}&file=raylet-0.log&tail=3` },
    { method: "GET", path: "/api/stream/cluster" },
  ];
}

const ODD_PATHS = [
  "/../../../../etc/passwd",
  "/assets/%2e%2e/%2e%2e/etc/passwd",
  "/assets//etc/passwd",
  "/assets/\u0000",
  `/${"a".repeat(20_000)}`,
  "/api/state/tasks?__proto__[polluted]=1&constructor[prototype][polluted]=1",
  "/api/state/tasks?limit=-1&limit=1e309&filter=",
  "/api/state/%",
  "/api/logs/tail?file=../../../../etc/passwd&tail=1",
  "/api/logs?nodeId=http://169.254.169.254/",
  "*",
  "http://evil.example/api/jobs",
];

function render(seed: HttpSeed, auth: HttpSession["auth"], extraHeaders: string[]): string {
  const headers = [`Host: ${HOST_PLACEHOLDER}`, ...extraHeaders];
  if (auth === "bearer") headers.push(`Authorization: Bearer ${TOKEN_PLACEHOLDER}`);
  if (auth === "cookie") headers.push("Cookie: lux_session=00000000000000000000000000000000");
  if (seed.body !== undefined) {
    headers.push(`Content-Type: ${seed.contentType ?? "text/plain"}`, `Content-Length: ${Buffer.byteLength(seed.body)}`);
  }
  return `${seed.method} ${seed.path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n${seed.body ?? ""}`;
}

/** Values JSON cannot hold become strings; the rest is what mutateValue made. */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" || x instanceof Map || x instanceof Set || x instanceof RegExp ? String(x) : x)) ?? "null";
}

function oddHeaders(r: Random): string[] {
  const choices: (() => string[])[] = [
    () => [],
    () => ["Host: evil.example"],
    () => ["Host: 127.0.0.1"],
    () => ["Origin: http://evil.example"],
    () => [`X-Big: ${"x".repeat(1 + r.int(100_000))}`],
    () => Array.from({ length: 200 + r.int(2000) }, (_, i) => `X-H${i}: ${i}`),
    () => ["Transfer-Encoding: chunked"],
    () => ["Content-Length: 99999999999999999999"],
    () => ["Content-Length: -1"],
    () => ["Connection: close"],
    () => ["Expect: 100-continue"],
  ];
  return r.pick(choices)();
}

function mutatedSeed(r: Random, seed: HttpSeed): HttpSeed {
  const roll = r.int(10);
  if (roll < 3 && seed.body?.startsWith("{") === true) {
    return { ...seed, body: r.chance(0.1) ? `${"[".repeat(1 + r.int(100_000))}1` : toJson(mutateValue(r, JSON.parse(seed.body))) };
  }
  if (roll < 5) return { ...seed, path: r.pick(ODD_PATHS) };
  if (roll < 6) return { ...seed, method: r.pick(["PUT", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT", "GET", "POST", "DELETE", "BREW"]) };
  if (roll < 7) return { ...seed, body: seed.body ?? toJson(mutateValue(r, { a: 1 })), contentType: r.pick(["application/json", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]) };
  return seed;
}

/** A submission that would run a command: a string `entrypoint` in a JSON body. */
function wouldRunCommand(request: Buffer): boolean {
  const text = request.toString("latin1");
  const bodyAt = text.indexOf("\r\n\r\n");
  if (bodyAt < 0 || !/ntrypoint|\\u/i.test(text)) return false;
  const body = text.slice(bodyAt + 4);
  if (/\\u/i.test(body)) return true;
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === "object" && parsed !== null && typeof (parsed as Record<string, unknown>)["entrypoint"] === "string";
  } catch {
    return /"entrypoint"\s*:\s*"/i.test(body);
  }
}

function oneRequest(r: Random, all: HttpSeed[], auth: HttpSession["auth"]): Buffer {
  for (;;) {
    const seed = mutatedSeed(r, r.pick(all));
    let bytes: Buffer = Buffer.from(render(seed, auth, oddHeaders(r)), "latin1");
    if (r.chance(0.4)) bytes = mutateBytes(r, bytes);
    if (r.chance(0.05)) bytes = r.bytes(1 + r.int(2000));
    if (!wouldRunCommand(bytes)) return bytes;
  }
}

/** One session: one to three requests on one connection, as one write or cut into several. */
export function httpSession(r: Random, nodeId: string): HttpSession {
  const all = seeds(nodeId);
  const auth = r.pick(["bearer", "bearer", "none", "cookie"] as const);
  const n = 1 + (r.chance(0.2) ? r.int(3) : 0);
  const requests = Array.from({ length: n }, () => oneRequest(r, all, auth));
  const bytes = Buffer.concat(requests);
  const cut = r.chance(0.3) ? r.int(bytes.length + 1) : bytes.length;
  return { auth, writes: [bytes.subarray(0, cut), bytes.subarray(cut)].filter((w) => w.length > 0), inputs: n };
}
