/**
 * Reading a job's output from the KV (written by the supervisor's LogSink): all of what is
 * kept, or a tail that follows it until the job ends.
 */
import { sleep, type Clock } from "@lux/common";
import { EMPTY_LOG_META, logChunkKey, logMetaKey, parseJson, type JobsKv, type LogMeta } from "./job-keys.js";

function droppedNote(bytes: number): string {
  return `[… ${bytes} bytes of earlier output were dropped: a job keeps its last jobLogMaxBytes]\n`;
}

async function meta(kv: JobsKv, id: string): Promise<LogMeta> {
  return parseJson<LogMeta>(await kv.get(logMetaKey(id))) ?? EMPTY_LOG_META;
}

async function chunks(kv: JobsKv, id: string, from: number, to: number): Promise<Uint8Array[]> {
  const keys = [];
  for (let seq = from; seq < to; seq++) keys.push(logChunkKey(id, seq));
  // A chunk dropped meanwhile (past jobLogMaxBytes) is missing: the output goes on after it.
  return (await Promise.all(keys.map((k) => kv.get(k)))).filter((c): c is Uint8Array => c !== undefined);
}

/** Everything kept of the job's output. */
export async function readLogs(kv: JobsKv, id: string): Promise<string> {
  const m = await meta(kv, id);
  const text = Buffer.concat(await chunks(kv, id, m.first, m.next)).toString("utf8");
  return m.droppedBytes > 0 ? droppedNote(m.droppedBytes) + text : text;
}

export interface TailOptions {
  /** Whether the job has ended (or is gone): asked before each look at the output, so nothing written before the end is missed. */
  ended: () => Promise<boolean>;
  pollMs: number;
  clock: Clock;
  signal: AbortSignal;
}

/** The job's output from its start, piece by piece as it comes, until the job has ended and all of it was given. */
export async function* tailLogs(kv: JobsKv, id: string, options: TailOptions): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let next = 0;
  while (!options.signal.aborted) {
    const ended = await options.ended();
    const m = await meta(kv, id);
    if (next < m.first) {
      yield droppedNote(m.droppedBytes);
      next = m.first;
    }
    for (const chunk of await chunks(kv, id, next, m.next)) {
      const text = decoder.decode(chunk, { stream: true });
      if (text !== "") yield text;
    }
    next = Math.max(next, m.next);
    if (ended) break;
    await sleep(options.clock, options.pollMs, options.signal).catch(() => undefined);
  }
  const rest = decoder.decode();
  if (rest !== "") yield rest;
}
