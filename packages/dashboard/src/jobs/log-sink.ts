/**
 * The supervisor's side of a job's logs: the entrypoint's output, buffered and sent to the
 * control service's KV in chunks every `flushMs` (one write in flight at a time), keeping at
 * most `maxBytes` per job (the oldest chunks are dropped past it, and counted).
 */
import type { Clock, TimerHandle } from "@lux/common";
import { EMPTY_LOG_META, logChunkKey, logMetaKey, type JobsKv, type LogMeta } from "./job-keys.js";

export interface LogSinkOptions {
  flushMs: number;
  maxBytes: number;
  /** Largest chunk written at once. */
  chunkBytes?: number;
  /** Above this many bytes waiting, `write` returns false: the writer should pause until `onDrain`. */
  highWaterBytes?: number;
  /** Called when a write to the KV failed (the output stays buffered and is tried again). */
  onError?: (e: unknown) => void;
}

export class LogSink {
  private readonly buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly meta: LogMeta = { ...EMPTY_LOG_META };
  private readonly sizes: number[] = [];
  private timer: TimerHandle | undefined;
  private flushing: Promise<void> | undefined;
  private drainListeners: (() => void)[] = [];
  private readonly chunkBytes: number;
  private readonly highWaterBytes: number;

  constructor(
    private readonly id: string,
    private readonly kv: JobsKv,
    private readonly options: LogSinkOptions,
    private readonly clock: Clock,
  ) {
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
    this.highWaterBytes = options.highWaterBytes ?? 4 * 1024 * 1024;
  }

  /** Buffers output; false when the writer should pause until `onDrain` calls back. */
  write(bytes: Buffer): boolean {
    if (bytes.byteLength === 0) return true;
    this.buffered.push(bytes);
    this.bufferedBytes += bytes.byteLength;
    this.schedule();
    return this.bufferedBytes < this.highWaterBytes;
  }

  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  /** Sends everything buffered; resolves once it is in the KV (or after a few failed tries: the cluster is gone). */
  async close(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    for (let tries = 0; tries < 5 && (this.flushing !== undefined || this.bufferedBytes > 0); tries++) {
      await (this.flushing ?? this.flush());
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.flushing !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.flushMs);
  }

  private flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    const data = Buffer.concat(this.buffered);
    this.buffered.length = 0;
    this.bufferedBytes = 0;
    const progress = { sent: 0 };
    this.flushing = this.send(data, progress)
      .catch((e: unknown) => {
        // What was not sent is kept for the next flush, in order.
        const rest = data.subarray(progress.sent);
        if (rest.byteLength > 0) {
          this.buffered.unshift(rest);
          this.bufferedBytes += rest.byteLength;
        }
        this.options.onError?.(e);
      })
      .finally(() => {
        this.flushing = undefined;
        if (this.bufferedBytes < this.highWaterBytes) this.drained();
        if (this.bufferedBytes > 0) this.schedule();
      });
    return this.flushing;
  }

  private async send(data: Buffer, progress: { sent: number }): Promise<void> {
    if (data.byteLength === 0) return;
    for (let at = 0; at < data.byteLength; at += this.chunkBytes) {
      const chunk = data.subarray(at, at + this.chunkBytes);
      await this.kv.put(logChunkKey(this.id, this.meta.next), chunk);
      this.meta.next++;
      this.sizes.push(chunk.byteLength);
      this.meta.keptBytes += chunk.byteLength;
      progress.sent = at + chunk.byteLength;
    }
    while (this.meta.keptBytes > this.options.maxBytes && this.sizes.length > 1) {
      const size = this.sizes.shift() as number;
      await this.kv.del(logChunkKey(this.id, this.meta.first));
      this.meta.first++;
      this.meta.keptBytes -= size;
      this.meta.droppedBytes += size;
    }
    await this.kv.put(logMetaKey(this.id), JSON.stringify(this.meta));
  }

  private drained(): void {
    const listeners = this.drainListeners;
    this.drainListeners = [];
    for (const l of listeners) l();
  }
}
