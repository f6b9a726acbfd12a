/**
 * Where the jobs API is and which token it takes. The address is the head's HTTP server
 * (`http://HOST:PORT`, what `lux start` prints as "Dashboard and jobs API"), or a cluster's
 * control service (`HOST:PORT`, `auto`), whose dashboard URL is asked of it. Default:
 * LUX_ADDRESS (what a job's entrypoint is given), else the cluster started on this machine.
 */
import { JobApiError, readTokenFile, tokenFileAddresses } from "@lux/common";
import { autoAddress, connectControlService } from "@lux/launcher";

export interface JobTarget {
  /** `http://HOST:PORT`, without a trailing slash. */
  url: string;
  token: string;
}

const HTTP_URL = /^https?:\/\//i;

export async function resolveTarget(address: string | undefined, token: string | undefined): Promise<JobTarget> {
  const env = process.env["LUX_ADDRESS"];
  const given = address ?? (env !== undefined && env !== "" ? env : "auto");
  const envToken = process.env["LUX_TOKEN"];
  const knownToken = token ?? (envToken !== undefined && envToken !== "" ? envToken : undefined);
  if (HTTP_URL.test(given)) {
    const url = given.replace(/\/+$/, "");
    return { url, token: knownToken ?? (await localTokenOf(url)) };
  }
  if (given === "auto") return localCluster(knownToken);
  const gcsToken = knownToken ?? readTokenFile(given);
  if (gcsToken === undefined) throw new JobApiError({ url: given, reason: "no token for this cluster: set LUX_TOKEN, or pass { token }" });
  return { url: await dashboardUrlOf(given, gcsToken), token: gcsToken };
}

/** Clusters on this machine: the one `lux start` started, then those with a token file (newest first). */
function localClusters(): string[] {
  return [...new Set([autoAddress(), ...tokenFileAddresses()].filter((a): a is string => a !== undefined))];
}

/** The jobs API of the cluster `lux start` started here, else of the newest other one that answers and has one. */
async function localCluster(token: string | undefined): Promise<JobTarget> {
  const started = autoAddress();
  if (started !== undefined) {
    const startedToken = token ?? readTokenFile(started);
    if (startedToken === undefined) throw new JobApiError({ url: started, reason: "no token for this cluster: set LUX_TOKEN, or pass { token }" });
    return { url: await dashboardUrlOf(started, startedToken), token: startedToken };
  }
  for (const gcs of localClusters()) {
    const gcsToken = token ?? readTokenFile(gcs);
    if (gcsToken === undefined) continue;
    try {
      return { url: await dashboardUrlOf(gcs, gcsToken), token: gcsToken };
    } catch {
      // a token file left by a cluster that is gone, or one without a dashboard: try the next
    }
  }
  throw new JobApiError({
    url: "auto",
    reason: "no cluster with a dashboard runs on this machine: pass its address (http://HOST:PORT), or start one with `lux start --head`",
  });
}

async function dashboardUrlOf(gcs: string, token: string): Promise<string> {
  let client;
  try {
    client = await connectControlService(gcs, token);
  } catch (e) {
    throw new JobApiError({ url: gcs, reason: `no cluster answers there (${(e as Error).message})` });
  }
  try {
    const url = await client.dashboardUrl();
    if (url === undefined) {
      throw new JobApiError({ url: gcs, reason: "this cluster runs no dashboard: its head was started without one (lux start --head --dashboard-port N)" });
    }
    return url;
  } finally {
    client.close();
  }
}

/** The token of the cluster on this machine whose dashboard is at `url` (no token given). */
async function localTokenOf(url: string): Promise<string> {
  for (const gcs of localClusters()) {
    const token = readTokenFile(gcs);
    if (token === undefined) continue;
    try {
      if ((await dashboardUrlOf(gcs, token)) === url) return token;
    } catch {
      // not this cluster, or gone: try the next
    }
  }
  throw new JobApiError({ url, reason: "no token for this cluster: set LUX_TOKEN to the token `lux start` printed, or pass { token }" });
}
