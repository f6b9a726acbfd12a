/** Helper thread of SyncObjectCreator: talks to the raylet while the main thread waits. */
import { parentPort, workerData } from "node:worker_threads";
import type { RayletService } from "@lux/protocol";
import { connectRpc } from "@lux/protocol";
import { rpcPeerOptions, toWireError, type TlsFiles } from "@lux/common";

const { shared, rayletAddress, token, tls } = workerData as { shared: SharedArrayBuffer; rayletAddress: string; token: string; tls: TlsFiles | undefined };
const ints = new Int32Array(shared, 0, 2);
const offset = new Float64Array(shared, 8, 1);
const text = new Uint8Array(shared, 16);
const raylet = connectRpc<RayletService>(rayletAddress, rpcPeerOptions(token, undefined, tls));

function answer(code: number, value: number, message = ""): void {
  offset[0] = value;
  const bytes = new TextEncoder().encode(message).subarray(0, text.length - 1);
  text.fill(0);
  text.set(bytes);
  Atomics.store(ints, 1, code);
  Atomics.store(ints, 0, 1);
  Atomics.notify(ints, 0);
}

type Message = { objectId: string; size: number; ownerAddress: string } | { seal: string };

parentPort?.on("message", (req: Message) => {
  if ("seal" in req) {
    // The raylet is this node's: when it is gone the owner hears it on its own connection.
    raylet.then((r) => r.notify("sealObject", { objectId: req.seal })).catch(() => undefined);
    return;
  }
  raylet
    .then((r) => r.call("createObject", { ...req, wait: false }))
    .then(
      (reply) => answer(0, reply.offset),
      (e: unknown) => {
        const wire = toWireError(e);
        // The answer must fit its slot whole (it is parsed as JSON).
        const text = JSON.stringify(wire);
        answer(1, -1, text.length < 60_000 ? text : JSON.stringify({ ...wire, stack: undefined, props: {} }));
      },
    );
});
