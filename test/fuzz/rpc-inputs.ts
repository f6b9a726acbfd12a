/**
 * Inputs for an RPC server (control service, raylet, worker, object transfer): sessions of
 * frames made from valid requests of its service, mutated. A session either never
 * authenticates (random bytes, broken hellos, requests before the hello, huge length
 * prefixes) or sends a valid hello and then a burst of mutated frames.
 *
 * Some valid requests start or stop processes (a lease starts a worker, `exit` ends the
 * worker that gets it) or add nodes to the cluster's view: the fuzzer never sends one of
 * those with a body its schema accepts, so it neither kills what it attacks nor forks the
 * machine to death. It checks that here, with the same codec and schemas as the server.
 */
import { DEFAULT_MESSAGE_DEPTH, PROTOCOL_VERSION, type ServiceSpec } from "@lux/protocol";
import { mutateBytes, mutateValue, nestedBytes, oddValue, splice } from "./mutate.js";
import type { Random } from "./random.js";
import { frame, header, packr } from "./wire.js";

/** A request as the fuzzer starts from: a method and a valid body. */
export type Seed = readonly [method: string, body: unknown];

/** What one session writes; "hello": the cluster's valid hello goes first (not recorded: the token differs per cluster). */
export interface RpcSession {
  auth: "hello" | "none";
  writes: Buffer[];
  /** Inputs in it: frames after the hello, or 1 for a session that never authenticates. */
  inputs: number;
  /** Seeds the replies it sends to calls the server makes on its connection (a peer that registered as a process of the node gets some). */
  replySeed?: number;
}

export interface RpcInputSpec {
  service: ServiceSpec;
  seeds: readonly Seed[];
  /** Methods whose valid requests must not be sent (they start or end processes, or change membership). */
  unsafe: ReadonlySet<string>;
  /**
   * Valid requests a session may start with, unmutated: e.g. registering as a process of the
   * node, after which the server makes calls of its own on the connection (answered with
   * replies of any shape, see replyFrame).
   */
  preludes?: readonly Seed[];
  maxFrameBytes: number;
}

const KIND = { request: 0, ok: 1, error: 2, notify: 3 } as const;
/** Ids the fuzzer uses for the probe that ends a session; mutated requests use others. */
export const PROBE_ID = 0x7ffffff0;

const encode = (message: unknown): Buffer => packr.pack(message);

function requestId(r: Random): unknown {
  return r.chance(0.9) ? 1 + r.int(1_000_000) : oddValue(r);
}

/** A message encoded with a nil body (its last byte), with `body`'s bytes in its place. */
function withBody(message: Buffer, body: Buffer): Buffer {
  return Buffer.concat([message.subarray(0, message.length - 1), body]);
}

/** Whether `bytes` decodes to a valid request of an unsafe method (which must not be sent). */
function isUnsafe(spec: RpcInputSpec, bytes: Buffer): boolean {
  let message: unknown;
  try {
    message = packr.unpack(bytes);
  } catch {
    return false;
  }
  if (!Array.isArray(message) || message.length !== 4 || (message[0] !== KIND.request && message[0] !== KIND.notify)) return false;
  const method = message[2];
  if (typeof method !== "string" || !spec.unsafe.has(method)) return false;
  return Object.hasOwn(spec.service, method) && (spec.service[method]?.request.test(message[3], DEFAULT_MESSAGE_DEPTH) ?? false);
}

/**
 * A frame body after the hello that a server answers and goes on from (a refused body,
 * a notification, a stray reply): a burst of these is processed whole.
 */
function softBody(r: Random, spec: RpcInputSpec): Buffer {
  const [method, body] = r.pick(spec.seeds);
  const kind = r.chance(0.85) ? KIND.request : KIND.notify;
  const roll = r.int(20);
  if (roll < 12) return encode([kind, requestId(r), method, mutateValue(r, body)]);
  if (roll < 15) return encode([kind, requestId(r), method, r.pick(spec.seeds)[1]]);
  if (roll < 16) return encode([r.pick([KIND.ok, KIND.error]), 1 + r.int(64), 0, mutateValue(r, body)]);
  return encode([kind, requestId(r), method, body]);
}

/** A frame body after which a server drops the connection (undecodable, a broken envelope, nested past the decoder's stack). */
function hardBody(r: Random, spec: RpcInputSpec): Buffer {
  const [method, body] = r.pick(spec.seeds);
  const roll = r.int(10);
  if (roll < 5) return mutateBytes(r, encode([KIND.request, requestId(r), method, body]));
  if (roll < 6) return splice(r, encode([KIND.request, 1, method, body]), encode([KIND.request, 2, ...r.pick(spec.seeds)]));
  if (roll < 7) return r.bytes(r.int(256));
  if (roll < 8) return withBody(encode([KIND.request, requestId(r), method, null]), nestedBytes(r, 100 + r.int(100_000)));
  return encode(envelope(r, method, body));
}

/** A message around `body` that is not a well-formed request, notification or reply. */
function envelope(r: Random, method: string, body: unknown): unknown {
  if (r.chance(0.3)) return [r.pick([-1, 4, 255, "0", null, 0.5]), requestId(r), method, body];
  if (r.chance(0.3)) return [KIND.request, requestId(r), r.pick([7, null, ["m"], { m: 1 }, "__proto__", "constructor", "toString", "hasOwnProperty", ""]), body];
  return r.pick([[KIND.request, requestId(r), method], [KIND.request, requestId(r), method, body, body], { 0: 0, 1: 1, 2: method, 3: body }, method, 12]);
}

/** A frame as sent: mostly well framed, sometimes with a length prefix that lies. */
function framed(r: Random, spec: RpcInputSpec, body: Buffer): Buffer {
  const roll = r.int(10);
  if (roll === 0) return header(r.pick([0xffffffff, spec.maxFrameBytes + 1, 2 ** 31]));
  if (roll === 1) return Buffer.concat([header(body.length + 1 + r.int(4096)), body]);
  if (roll === 2) return Buffer.concat([header(Math.max(0, body.length - 1 - r.int(8))), body]);
  if (roll === 3) return header(0);
  return frame(body);
}

/** Soft frames, then sometimes one hard frame (or a lying length prefix) last. */
function authenticatedSession(r: Random, spec: RpcInputSpec): RpcSession {
  const n = 1 + r.int(24);
  const frames: Buffer[] = [];
  if (spec.preludes !== undefined && spec.preludes.length > 0 && r.chance(0.2)) frames.push(frame(encode([KIND.request, requestId(r), ...r.pick(spec.preludes)])));
  for (let i = 0; i < n; i++) {
    let body = softBody(r, spec);
    while (isUnsafe(spec, body)) body = softBody(r, spec);
    frames.push(frame(body));
  }
  if (r.chance(0.3)) {
    let body = hardBody(r, spec);
    while (isUnsafe(spec, body)) body = hardBody(r, spec);
    frames.push(framed(r, spec, body));
  }
  return { auth: "hello", writes: splitWrites(r, Buffer.concat(frames)), inputs: frames.length, replySeed: r.int(2 ** 31) };
}

/** A reply to a call the server made: of any shape, as a buggy or hostile process would answer. */
export function replyFrame(r: Random, id: unknown): Buffer {
  const roll = r.int(4);
  const body = roll === 0 ? oddValue(r) : roll === 1 ? mutateValue(r, { ok: true }) : mutateValue(r, { stop: false, value: new Uint8Array(1), objects: [{ objectId: "o", size: 1 }] });
  return frame(encode([r.chance(0.8) ? KIND.ok : KIND.error, id, 0, body]));
}

/** The same bytes in one to four writes, cut anywhere (the server reassembles frames from any chunks). */
function splitWrites(r: Random, bytes: Buffer): Buffer[] {
  const cuts = [...new Set(Array.from({ length: r.int(4) }, () => r.int(bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > at) out.push(bytes.subarray(at, cut));
    at = cut;
  }
  return out;
}

/** A hello that is not quite right: wrong or missing fields, wrong types, poisoned keys. */
function brokenHello(r: Random): Buffer {
  const hello = { magic: "lux", version: PROTOCOL_VERSION, token: r.bytes(24).toString("hex") };
  return r.chance(0.5) ? encode(mutateValue(r, hello)) : mutateBytes(r, encode(hello));
}

function unauthenticatedSession(r: Random, spec: RpcInputSpec): RpcSession {
  const [method, body] = r.pick(spec.seeds);
  const choices: (() => Buffer)[] = [
    () => r.bytes(1 + r.int(600)),
    () => frame(brokenHello(r)),
    () => Buffer.concat([frame(brokenHello(r)), frame(encode([KIND.request, 1, method, body]))]),
    () => frame(encode([KIND.request, 1, method, body])),
    () => Buffer.concat([header(r.pick([0xffffffff, 4097, 65_536, spec.maxFrameBytes])), r.bytes(r.int(64))]),
    () => Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`),
    () => header(1 + r.int(4000)),
  ];
  return { auth: "none", writes: [r.pick(choices)()], inputs: 1 };
}

/** One session's input. */
export function rpcSession(r: Random, spec: RpcInputSpec): RpcSession {
  return r.chance(0.25) ? unauthenticatedSession(r, spec) : authenticatedSession(r, spec);
}
