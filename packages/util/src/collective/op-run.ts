/**
 * One operation running on this rank: the Comm its algorithm uses, and how it fails. It
 * fails at most once, for the first of: its deadline, a peer's abort, a peer lost, or its
 * algorithm's own error; every send waiting then rejects at once, and every receive as soon
 * as the operation ends (its mailbox entries go).
 */
import type { CollectiveError } from "@lux/core";
import type { GroupComm } from "./comm.js";
import type { Mailbox, OpName } from "./mailbox.js";
import type { Network } from "./network.js";
import type { Topology } from "./topology.js";

type Failure = InstanceType<typeof CollectiveError>;

export class OpRun implements GroupComm {
  private failure: Failure | undefined;
  private rejectFailed: (error: Failure) => void = () => undefined;
  /** Rejects when the operation fails (never resolves). */
  readonly failed: Promise<never>;
  /** Set before the algorithm runs, for operations of the whole group. */
  private where: Topology | undefined;
  /** Errors every rank reached by itself (a disagreement): no abort needs to tell the others. */
  private readonly verdicts = new WeakSet<Error>();
  /** Whether the failure came from a peer (its abort): then it needs no abort from here either. */
  private fromPeer = false;

  constructor(
    /** What the user called ("allreduce", …): errors name it. */
    readonly operation: string,
    readonly rank: number,
    readonly chunkBytes: number,
    readonly op: OpName,
    readonly deadline: number,
    private readonly network: Network,
    private readonly mailbox: Mailbox,
  ) {
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => undefined); // raced by guard(); may fail when nothing races it
  }

  get topology(): Topology {
    if (this.where === undefined) throw new RangeError("this operation does not know the group's topology");
    return this.where;
  }

  set topology(topology: Topology) {
    this.where = topology;
  }

  /** Fails the operation with `error` (the first failure wins); `fromPeer`: a peer's abort told us. */
  fail(error: Failure, fromPeer = false): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.fromPeer = fromPeer;
    this.rejectFailed(error);
  }

  get failedWith(): Failure | undefined {
    return this.failure;
  }

  /** Marks `error` as reached by every rank alone (see verdicts) and returns it. */
  verdict(error: Failure): Failure {
    this.verdicts.add(error);
    return error;
  }

  /** Whether the peers must be told that the operation failed here with `error`. */
  mustAbort(error: Error): boolean {
    return !this.fromPeer && !this.verdicts.has(error);
  }

  /** `promise`, unless the operation fails first. */
  guard<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failed]);
  }

  send(to: number, step: string, bytes: Uint8Array): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return this.guard(this.network.send(to, this.op, step, bytes, this.deadline, () => this.failure !== undefined));
  }

  async recv(from: number, step: string): Promise<Uint8Array> {
    if (this.failure !== undefined) throw this.failure;
    const payload = await this.mailbox.take(from, this.op, step);
    try {
      return await payload.read(new Uint8Array(payload.byteLength));
    } finally {
      payload.release();
    }
  }

  async recvWith(from: number, step: string, use: (pieces: readonly Uint8Array[]) => void): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const payload = await this.mailbox.take(from, this.op, step);
    try {
      use(await payload.pieces());
    } finally {
      payload.release();
    }
  }

  async recvInto(from: number, step: string, into: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const payload = await this.mailbox.take(from, this.op, step);
    try {
      if (payload.byteLength !== into.byteLength) {
        throw new RangeError(`rank ${from} sent ${payload.byteLength} bytes for step ${step}, where ${into.byteLength} were expected`);
      }
      await payload.read(into);
    } finally {
      payload.release();
    }
  }
}
