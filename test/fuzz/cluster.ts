/**
 * The cluster a fuzz run attacks: the one at LUX_ADDRESS (its token from LUX_TOKEN or the
 * token file `lux start` wrote), else a LocalCluster of its own with the head's HTTP server.
 * The fuzzer joins it as a driver to make what the worker and transfer targets need: an
 * actor (its worker is the target) and an object in the store (the one chunks are read of).
 * It never stops a cluster it was given; it ends only its own driver (and so its actor).
 */
import { randomBytes } from "node:crypto";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { readTokenFile, rpcPeerOptions } from "@lux/common";
import { connectControlService } from "@lux/launcher";
import { connectRpc, type ActorInfo, type GcsService } from "@lux/protocol";
import { FuzzTarget } from "./fuzz-actor.js";

/** What the targets need to know about the cluster. */
export interface FuzzEnv {
  gcsAddress: string;
  token: string;
  /** The session folder when the fuzzer started the cluster (its logs are read from there); else the logs are read through the raylets. */
  sessionDir: string | undefined;
  dashboardUrl: string | undefined;
  /** The driver's node: its raylet holds the object. */
  nodeId: string;
  rayletAddress: string;
  object: { id: string; bytes: Buffer };
  actor: { info: ActorInfo; ping(): Promise<string> };
  close(): Promise<void>;
}

const OBJECT_BYTES = 1024 * 1024;

async function clusterToAttack(log: (line: string) => void): Promise<{ address: string; token: string; local: LocalCluster | undefined }> {
  const address = process.env["LUX_ADDRESS"];
  if (process.env["LUX_TLS_CERT"] !== undefined) {
    throw new Error("the fuzzer's sessions speak plaintext TCP: run it against a cluster without TLS (unset LUX_TLS_*), where its inputs reach the RPC layer");
  }
  if (address !== undefined && address !== "") {
    const token = process.env["LUX_TOKEN"] || readTokenFile(address);
    if (token === undefined) throw new Error(`no token for the cluster at ${address}: set LUX_TOKEN`);
    log(`fuzz: attacking the cluster at ${address}`);
    return { address, token, local: undefined };
  }
  const local = await LocalCluster.start({ head: { numCpus: 2 }, dashboard: true });
  log(`fuzz: started a cluster of its own at ${local.address} (session ${local.sessionDir})`);
  return { address: local.address, token: local.token, local };
}

export async function openEnv(log: (line: string) => void): Promise<FuzzEnv> {
  const { address, token, local } = await clusterToAttack(log);
  try {
    return await joinAsDriver(address, token, local);
  } catch (e) {
    await local?.shutdown();
    throw e;
  }
}

async function joinAsDriver(address: string, token: string, local: LocalCluster | undefined): Promise<FuzzEnv> {
  const previousToken = process.env["LUX_TOKEN"];
  process.env["LUX_TOKEN"] = token;
  await lux.init({ address, namespace: "lux-fuzz", logToDriver: false });
  if (previousToken === undefined) delete process.env["LUX_TOKEN"];
  else process.env["LUX_TOKEN"] = previousToken;
  const { nodeId } = lux.getRuntimeContext();
  const gcs = await connectRpc<GcsService>(address, rpcPeerOptions(token));
  try {
    const node = (await gcs.call("getNodes", {})).find((n) => n.nodeId === nodeId);
    if (node === undefined) throw new Error(`the driver's node ${nodeId} is not in the cluster's list`);
    const bytes = randomBytes(OBJECT_BYTES);
    const ref = lux.put(bytes);
    const name = `fuzz-target-${randomBytes(4).toString("hex")}`;
    const actor = FuzzTarget.options({ name, numCpus: 0 }).remote();
    await lux.get(actor.ping.remote());
    const info = await gcs.call("getNamedActor", { name, namespace: "lux-fuzz" });
    const client = await connectControlService(address, token);
    const dashboardUrl = local?.dashboardUrl ?? (await client.dashboardUrl().finally(() => client.close()));
    return {
      gcsAddress: address,
      token,
      sessionDir: local?.sessionDir,
      dashboardUrl,
      nodeId,
      rayletAddress: node.address,
      object: { id: ref.id, bytes },
      actor: { info, ping: () => lux.get(actor.ping.remote()) },
      close: async () => {
        void ref;
        await lux.shutdown();
        await local?.shutdown();
      },
    };
  } finally {
    gcs.close();
  }
}
