/**
 * Plays RPC sessions against a live server: the hello with the cluster's token when the
 * session authenticates, its writes, then (authenticated) a probe request whose reply says
 * the server got through the burst. Collects the names of the errors it replied with.
 */
import { PROTOCOL_VERSION } from "@lux/protocol";
import { PROBE_ID, replyFrame, type RpcSession } from "./rpc-inputs.js";
import { Random } from "./random.js";
import { RawPeer, frame, framesFrom, packr } from "./wire.js";

export interface SessionOutcome {
  /** The server closed the connection (a protocol error: the expected end of many inputs). */
  closedByServer: boolean;
  /** Names (and codes) of the errors it replied with, and "its call M" for each call M it made (answered with garbage). */
  errors: string[];
  /** The message of each error that is not the refusal of a bad request, by name: what to look at. */
  samples: [string, string][];
  /** The probe after an authenticated burst was answered. */
  probed: boolean;
}

/** How long a session waits for the server: the probe's reply, or the close of an unauthenticated peer. */
const PROBE_WAIT_MS = 1500;
const UNAUTHENTICATED_WAIT_MS = 100;

export async function playRpcSession(address: string, token: string, probeMethod: string, session: RpcSession): Promise<SessionOutcome> {
  const peer = await RawPeer.connect(address, 5000);
  try {
    if (session.auth === "hello") await peer.write(frame(packr.pack({ magic: "lux", version: PROTOCOL_VERSION, token })));
    for (const w of session.writes) await peer.write(w);
    if (session.auth === "none") {
      await peer.until(() => false, UNAUTHENTICATED_WAIT_MS);
      return { closedByServer: !peer.isOpen, errors: [], samples: [], probed: false };
    }
    await peer.write(frame(packr.pack([0, PROBE_ID, probeMethod, {}])));
    const replies: unknown[] = [];
    const calls: string[] = [];
    const answerer = new Random(session.replySeed ?? 1);
    let parsed = 0;
    // Reads what arrived: the server's replies, and its calls, each answered with a reply of any shape.
    const answered = (): boolean => {
      const { frames, next } = framesFrom(peer.received, parsed);
      parsed = next;
      for (const m of frames) {
        if (Array.isArray(m) && m[0] === 0) {
          calls.push(`its call ${String(m[2])}`);
          void peer.write(replyFrame(answerer, m[1]));
        } else replies.push(m);
      }
      return replies.some((m) => Array.isArray(m) && m[1] === PROBE_ID);
    };
    const probed = await peer.until(answered, PROBE_WAIT_MS);
    return { closedByServer: !peer.isOpen, errors: [...errorNames(replies), ...calls], samples: unexpected(replies), probed };
  } finally {
    peer.destroy();
  }
}

type WireError = { name?: unknown; code?: unknown; message?: unknown } | undefined;

const errorsIn = (messages: unknown[]): WireError[] => messages.filter((m): m is unknown[] => Array.isArray(m) && m[0] === 2).map((m) => m[3] as WireError);
const kindOf = (e: WireError): string => `${String(e?.name)}${typeof e?.code === "string" ? ` (${e.code})` : ""}`;

/** What kind of error each error reply carries: its name and code, as a Lux peer encodes it. */
function errorNames(messages: unknown[]): string[] {
  return errorsIn(messages).map(kindOf);
}

/** Errors that are no coded refusal of the request (a bug's LuxError, a TypeError, …), with their messages. */
function unexpected(messages: unknown[]): [string, string][] {
  return errorsIn(messages)
    .filter((e) => typeof e?.code !== "string" || e.code === "LUX_INTERNAL")
    .map((e) => [kindOf(e), String(e?.message)]);
}
