/**
 * Send and recv between two ranks. The sender announces the array's type and length; the
 * receiver answers whether its own array matches, so a mismatch rejects on both sides before
 * any data moves; then the data goes in chunks.
 */
import type { CollectiveError } from "@lux/core";
import { describeCall, decodeCall, encodeCall, type Call } from "./agreement.js";
import { recvRangeInto, sendRange, type Comm } from "./comm.js";
import { dtypeOf, type CollectiveArray } from "./typed-arrays.js";

type Fail = (reason: string) => InstanceType<typeof CollectiveError>;

const shapeOf = (arr: CollectiveArray): Call => ({ operation: "send", dtype: dtypeOf(arr) as string, length: arr.length });

function mismatch(sent: Call, receiving: Call): string | undefined {
  if (sent.dtype === receiving.dtype && sent.length === receiving.length) return undefined;
  const into = describeCall(receiving).replace(/^send/, "recv");
  return `the ranks disagree: the sender called ${describeCall(sent)}, the receiver ${into}. Send and receive arrays of one type and length`;
}

/** Sends `arr` to `dst`. */
export async function sendArray(comm: Comm, arr: CollectiveArray, dst: number, fail: Fail): Promise<void> {
  await comm.send(dst, "h", encodeCall(shapeOf(arr)));
  const answer = decodeCall(await comm.recv(dst, "ok"));
  const reason = mismatch(shapeOf(arr), answer);
  if (reason !== undefined) throw fail(reason);
  await sendRange(comm, dst, "d", arr, 0, arr.length);
}

/** Receives into `arr` what `src` sends. */
export async function recvArray(comm: Comm, arr: CollectiveArray, src: number, fail: Fail): Promise<void> {
  const sent = decodeCall(await comm.recv(src, "h"));
  const mine = shapeOf(arr);
  await comm.send(src, "ok", encodeCall(mine));
  const reason = mismatch(sent, mine);
  if (reason !== undefined) throw fail(reason);
  await recvRangeInto(comm, src, "d", arr, 0, arr.length);
}
