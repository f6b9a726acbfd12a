/**
 * The head's HTTP server as its process runs it (main.ts): the state and log routes over a
 * `lux.state` client, the jobs API over a JobManager, the limits and names from the config.
 * Kept apart from the process entry so a test can build the very same server and check its
 * routes (test/integration/security-routes.test.ts).
 */
import { config, systemClock } from "@lux/common";
import type { FastifyInstance } from "fastify";
import { init, state } from "lux";
import { allowedHostNames, parseHostList } from "./host-guard.js";
import { JOBS_NAMESPACE } from "./jobs/job-keys.js";
import { JobManager } from "./jobs/job-manager.js";
import { jobsKv } from "./jobs/jobs-kv.js";
import type { DashboardTls } from "./https-server.js";
import { createDashboardServer } from "./server.js";

export interface HeadServerOptions {
  token: string;
  /** The control service. */
  gcsAddress: string;
  /** The address the server binds: with config dashboardAllowedHosts, the names its `Host` may carry. */
  bindHost: string;
  /** The server listens on TLS: the session cookie is `Secure` and pages' Origin is https. */
  secure?: boolean;
  /** Serve HTTPS with the cluster's TLS (client certificates required); implies `secure`. */
  tls?: DashboardTls | undefined;
  log: { warn(message: string): void };
}

export interface HeadServer {
  app: FastifyInstance;
  /** Closes the server and its cluster clients (the jobs' supervisors go on). */
  close(): Promise<void>;
}

export async function createHeadServer(options: HeadServerOptions): Promise<HeadServer> {
  const { token, gcsAddress } = options;
  const client = await state.connect({ address: gcsAddress, token });
  // The jobs API makes this process a driver (its supervisors are actors) at its first call.
  const jobs = new JobManager({
    gcsAddress,
    kv: jobsKv,
    clock: systemClock,
    stopGraceMs: config("jobStopGraceMs"),
    logFlushMs: config("jobLogFlushMs"),
    logMaxBytes: config("jobLogMaxBytes"),
    connect: async () => {
      await init({ address: gcsAddress, namespace: JOBS_NAMESPACE });
    },
    log: options.log,
  });
  const app = createDashboardServer({
    token,
    state: client,
    jobs,
    logs: client,
    allowedHosts: allowedHostNames(options.bindHost, parseHostList(config("dashboardAllowedHosts"))),
    bodyMaxBytes: config("httpBodyMaxBytes"),
    authFailures: { max: config("httpAuthFailuresMax"), windowMs: config("httpAuthFailuresWindowMs") },
    sessionTtlMs: config("dashboardSessionTtlMs"),
    maxSessions: config("dashboardMaxSessions"),
    secure: options.secure === true,
    tls: options.tls,
  });
  return {
    app,
    close: async () => {
      jobs.close();
      await app.close();
      client.close();
    },
  };
}
