/**
 * A driver's dedup of worker output: a line of text printed by one worker is printed at
 * once; the same text from other workers within `windowMs` is not printed but counted, and
 * when the window ends the line is printed once more with `[repeated N× across cluster]`
 * (N: the lines left out). A worker repeating its own line is printed each time (it is not
 * many workers saying the same). Only the text counts, not its `(f pid=…)` prefix.
 */
import type { Clock, OutputStream, TimerHandle } from "@lux/protocol";

export interface LogDedupOptions {
  /** config logDedupWindowMs. */
  windowMs: number;
  clock: Clock;
  /** Prints a line of its own (a `[repeated N× …]` one), with its newline. */
  emit(stream: OutputStream, line: string): void;
  /** Texts followed at most at once; past it the oldest is settled early. */
  maxTexts?: number;
}

interface Seen {
  /** The worker that printed it first ("nodeId:pid"). */
  source: string;
  stream: OutputStream;
  prefix: string;
  /** Lines of other workers left out. */
  repeats: number;
  until: number;
}

const DEFAULT_MAX_TEXTS = 10_000;

export class LogDedup {
  /** By text; insertion order is the order their windows end. */
  private readonly seen = new Map<string, Seen>();
  private timer: TimerHandle | undefined;
  private readonly maxTexts: number;

  constructor(private readonly options: LogDedupOptions) {
    this.maxTexts = options.maxTexts ?? DEFAULT_MAX_TEXTS;
  }

  /** Whether to print this line now (false: it is counted into its text's repeats). */
  accept(source: string, stream: OutputStream, prefix: string, text: string): boolean {
    const now = this.options.clock.now();
    const seen = this.seen.get(text);
    if (seen !== undefined && now < seen.until) {
      if (seen.source === source) return true;
      seen.repeats++;
      return false;
    }
    if (seen !== undefined) this.settle(text, seen);
    this.seen.set(text, { source, stream, prefix, repeats: 0, until: now + this.options.windowMs });
    if (this.seen.size > this.maxTexts) {
      const [oldest, entry] = this.seen.entries().next().value as [string, Seen];
      this.settle(oldest, entry);
    }
    this.schedule();
    return true;
  }

  /** Prints every pending `[repeated …]` line now (the driver is shutting down). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    for (const [text, seen] of this.seen) this.settle(text, seen);
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const first = this.seen.values().next().value;
    if (first === undefined) return;
    this.timer = this.options.clock
      .setTimeout(() => {
        this.timer = undefined;
        this.sweep();
        this.schedule();
      }, first.until - this.options.clock.now())
      .unref();
  }

  private sweep(): void {
    const now = this.options.clock.now();
    for (const [text, seen] of this.seen) {
      if (seen.until > now) break;
      this.settle(text, seen);
    }
  }

  private settle(text: string, seen: Seen): void {
    this.seen.delete(text);
    if (seen.repeats > 0) this.options.emit(seen.stream, `${seen.prefix} ${text} [repeated ${seen.repeats}× across cluster]\n`);
  }
}
