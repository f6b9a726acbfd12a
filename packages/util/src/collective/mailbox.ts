/**
 * The messages a rank received from its peers and not taken yet, by sender, operation and
 * step. An operation is named by a channel and a sequence number (`c`/12: the group's 13th
 * collective operation; `p0>1`/3: the 4th send from rank 0 to rank 1): messages for an
 * operation that has not started here wait for it; messages for one that ended here (done or
 * failed) are dropped as they come. Aborts from peers end a running operation, or one that
 * starts later.
 */

/** One message's data: in a socket frame, or in the sender's shared-memory file. */
export interface Payload {
  readonly byteLength: number;
  /** The bytes: copied into `into` (exactly byteLength long) when given, else where they lie (valid until release). */
  read(into?: Uint8Array): Promise<Uint8Array>;
  /** The bytes where they lie, in one piece or in the several chunks they came in (valid until release). */
  pieces(): Promise<readonly Uint8Array[]>;
  /** The receiver is done with the bytes (the sender may reuse where they lie). Called once. */
  release(): void;
}

/** An operation as messages name it. */
export interface OpName {
  readonly channel: string;
  readonly seq: number;
}

interface Waiter {
  readonly resolve: (payload: Payload) => void;
  readonly reject: (error: Error) => void;
}

/** The sequence numbers of a channel whose operations ended: every one below `floor`, and those in `above`. */
class Ended {
  floor = 0;
  readonly above = new Set<number>();

  has(seq: number): boolean {
    return seq < this.floor || this.above.has(seq);
  }

  add(seq: number): void {
    this.above.add(seq);
    while (this.above.delete(this.floor)) this.floor++;
  }
}

const keyOf = (from: number, op: OpName, step: string): string => `${op.channel}|${op.seq}|${from}|${step}`;
const opKeyOf = (op: OpName): string => `${op.channel}|${op.seq}|`;

export class Mailbox {
  private readonly entries = new Map<string, Payload>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly ended = new Map<string, Ended>();
  /** Running operations: what to call when a peer aborts one. */
  private readonly running = new Map<string, (reason: string, from: number) => void>();
  /** Aborts that came before their operation started here. */
  private readonly earlyAborts = new Map<string, { reason: string; from: number }>();

  /** A message `from` sent for step `step` of `op`. */
  deliver(from: number, op: OpName, step: string, payload: Payload): void {
    if (this.hasEnded(op)) {
      payload.release();
      return;
    }
    const key = keyOf(from, op, step);
    const waiter = this.waiters.get(key);
    if (waiter !== undefined) {
      this.waiters.delete(key);
      waiter.resolve(payload);
      return;
    }
    // A sender never repeats a step of an operation; a repeat replaces the first (released).
    this.entries.get(key)?.release();
    this.entries.set(key, payload);
  }

  /** The message `from` sends for step `step` of the running `op`, when it arrives. */
  take(from: number, op: OpName, step: string): Promise<Payload> {
    const key = keyOf(from, op, step);
    const payload = this.entries.get(key);
    if (payload !== undefined) {
      this.entries.delete(key);
      return Promise.resolve(payload);
    }
    return new Promise((resolve, reject) => this.waiters.set(key, { resolve, reject }));
  }

  /**
   * `op` starts here; `onAbort` is called if a peer aborts it while it runs. Returns the
   * abort that came before it started, if any.
   */
  start(op: OpName, onAbort: (reason: string, from: number) => void): { reason: string; from: number } | undefined {
    const key = opKeyOf(op);
    const early = this.earlyAborts.get(key);
    this.earlyAborts.delete(key);
    this.running.set(key, onAbort);
    return early;
  }

  /** `op` ended here: its waiting takes reject with `error`, its messages (and later ones) are dropped. */
  end(op: OpName, error: Error): void {
    const prefix = opKeyOf(op);
    this.running.delete(prefix);
    this.earlyAborts.delete(prefix);
    let ended = this.ended.get(op.channel);
    if (ended === undefined) this.ended.set(op.channel, (ended = new Ended()));
    ended.add(op.seq);
    for (const [key, payload] of this.entries) {
      if (!key.startsWith(prefix)) continue;
      this.entries.delete(key);
      payload.release();
    }
    for (const [key, waiter] of this.waiters) {
      if (!key.startsWith(prefix)) continue;
      this.waiters.delete(key);
      waiter.reject(error);
    }
  }

  /** Peer `from` gave up `op`. */
  abort(from: number, op: OpName, reason: string): void {
    if (this.hasEnded(op)) return;
    const key = opKeyOf(op);
    const running = this.running.get(key);
    if (running !== undefined) running(reason, from);
    else if (!this.earlyAborts.has(key)) this.earlyAborts.set(key, { reason, from });
  }

  /** The ranks the running `op` waits for a message from. */
  waitingOn(op: OpName): number[] {
    const prefix = opKeyOf(op);
    const ranks = new Set<number>();
    for (const key of this.waiters.keys()) if (key.startsWith(prefix)) ranks.add(Number(key.slice(prefix.length).split("|")[0]));
    return [...ranks].sort((a, b) => a - b);
  }

  /** Drops every message (the group is destroyed): their senders may reuse their memory. */
  clear(error: Error): void {
    for (const payload of this.entries.values()) payload.release();
    this.entries.clear();
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
    this.earlyAborts.clear();
  }

  /** Messages held (for tests: none may be left behind). */
  get size(): number {
    return this.entries.size;
  }

  private hasEnded(op: OpName): boolean {
    return this.ended.get(op.channel)?.has(op.seq) ?? false;
  }
}
