import { defineConfig } from "../config-define.js";

/** The head's HTTP server: dashboard, state and log routes, jobs API (docs/security.md). */
export const HTTP_ENTRIES = [
  defineConfig({
    name: "httpBodyMaxBytes",
    type: "number",
    default: 1024 * 1024,
    integer: true,
    min: 1024,
    doc: "Largest request body the head's HTTP server reads (a job submission, a login form); a larger one is refused with 413 before it is buffered. A job's code travels through `runtimeEnv.workingDir`, not in the body.",
  }),
  defineConfig({
    name: "httpAuthFailuresMax",
    type: "number",
    default: 10,
    integer: true,
    min: 1,
    doc: "Failed authentications (a request without a valid token or session, a login with a wrong token) the head's HTTP server takes from one IP address within httpAuthFailuresWindowMs; each one past it gets 429 until the window ends. Requests with a valid token or session are not counted nor refused.",
  }),
  defineConfig({
    name: "httpAuthFailuresWindowMs",
    type: "number",
    default: 60_000,
    integer: true,
    min: 1000,
    doc: "The window of httpAuthFailuresMax: failures are counted per IP address from the first one until this much time later.",
  }),
  defineConfig({
    name: "dashboardSessionTtlMs",
    type: "number",
    default: 24 * 3600_000,
    integer: true,
    min: 60_000,
    doc: "How long a dashboard login lasts (the session cookie's Max-Age). Sessions are kept in the HTTP server's memory: restarting it logs every browser out.",
  }),
  defineConfig({
    name: "dashboardMaxSessions",
    type: "number",
    default: 1000,
    integer: true,
    min: 1,
    doc: "Dashboard sessions kept at once; a login past it ends the oldest session.",
  }),
  defineConfig({
    name: "dashboardAllowedHosts",
    type: "string",
    default: "",
    doc: "Extra names (comma-separated, e.g. `lux.example.com,head-1`) a request's `Host` may carry, besides the address the head's HTTP server binds (and `localhost` when that is a loopback address; every address of the machine and its hostname when it is 0.0.0.0 or ::). Any other `Host` is refused with 421, which defeats DNS rebinding: add the name a proxy or a DNS record gives the dashboard.",
  }),
] as const;
