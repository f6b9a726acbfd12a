/**
 * Which cluster a command talks to: `--address`, else LUX_ADDRESS, else the cluster `lux
 * start` started on this machine, else the newest cluster a driver's `lux.init()` started
 * here that still answers (found by its token file). The token is LUX_TOKEN, else the token
 * file written for that address.
 */
import { readTokenFile, tokenFileAddresses } from "@lux/common";
import { autoAddress } from "@lux/launcher";
import { CliError } from "./errors.js";

/** Connects to the control service at `address` with `token` (rejects if it does not answer). */
export type Connect<T> = (address: string, token: string) => Promise<T>;

export async function findCluster<T>(given: string | undefined, connect: Connect<T>): Promise<{ address: string; client: T }> {
  const env = process.env["LUX_ADDRESS"];
  const address = given ?? (env !== undefined && env !== "" ? env : "auto");
  if (address !== "auto") return { address, client: await connectTo(address, connect) };
  const started = autoAddress();
  if (started !== undefined) return { address: started, client: await connectTo(started, connect) };
  for (const candidate of tokenFileAddresses()) {
    const token = readTokenFile(candidate);
    if (token === undefined) continue;
    try {
      return { address: candidate, client: await connect(candidate, token) };
    } catch {
      // a token file left by a control service that was killed: try the next
    }
  }
  throw new CliError(
    "no cluster runs on this machine: none started by `lux start`, and no driver's `lux.init()` cluster answers (pass --address HOST:PORT for another machine's)",
  );
}

async function connectTo<T>(address: string, connect: Connect<T>): Promise<T> {
  const token = process.env["LUX_TOKEN"] || readTokenFile(address);
  if (token === undefined) throw new CliError(`no token for the cluster at ${address}: set LUX_TOKEN`);
  try {
    return await connect(address, token);
  } catch (e) {
    throw new CliError(`no cluster answers at ${address}: ${(e as Error).message}`);
  }
}
