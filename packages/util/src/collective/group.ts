/**
 * A process's membership in a collective group: its rank, the operations it runs with the
 * other ranks, and their failures. Operations of the whole group are numbered in call order
 * (every rank calls them in the same order, so the numbers match); sends and receives are
 * numbered per pair of ranks and direction. Each runs under a deadline; when it fails here
 * for a reason the others cannot see (a peer lost, its deadline), the others are told at once.
 */
import { CollectiveError } from "@lux/core";
import { describeError, type Clock } from "@lux/protocol";
import { agree, type Call } from "./agreement.js";
import { receivingAfter, type GroupComm } from "./comm.js";
import { allreduce, reduce } from "./allreduce.js";
import { allgather, broadcast } from "./broadcast.js";
import { Mailbox, type OpName, type Payload } from "./mailbox.js";
import type { Inbox, Network } from "./network.js";
import { OpRun } from "./op-run.js";
import { recvArray, sendArray } from "./p2p.js";
import { sharedAllreduce } from "./shared-allreduce.js";
import { PeerRegions, requeueFreed, sharedRefOf, takeFreed } from "./shared-arrays.js";
import { topologyOf, type Topology } from "./topology.js";
import { dtypeOf, type CollectiveArray, type ReduceOp } from "./typed-arrays.js";

type Failure = InstanceType<typeof CollectiveError>;

export interface GroupSettings {
  name: string;
  rank: number;
  worldSize: number;
  clock: Clock;
  /** Most bytes of one message. */
  chunkBytes: number;
}

export class CollectiveGroup implements Inbox {
  readonly name: string;
  readonly rank: number;
  readonly worldSize: number;
  readonly mailbox = new Mailbox();
  private network: Network | undefined;
  private topology: Topology | undefined;
  private seq = 0;
  private readonly sent = new Map<number, number>();
  private readonly received = new Map<number, number>();
  private readonly running = new Map<OpRun, readonly number[]>();
  /** Ranks gone, and why. */
  private readonly lost = new Map<number, string>();
  private destroyed = false;
  private readonly others: readonly number[];
  /** The other ranks' shared arrays mapped here (allreduce in place on one node). */
  private readonly peerRegions = new PeerRegions();

  constructor(private readonly settings: GroupSettings) {
    this.name = settings.name;
    this.rank = settings.rank;
    this.worldSize = settings.worldSize;
    this.others = Array.from({ length: settings.worldSize }, (_, r) => r).filter((r) => r !== settings.rank);
  }

  /** How this group reaches its peers (set once, right after construction: the network delivers to the group). */
  connect(network: Network): void {
    this.network = network;
  }

  /**
   * Allreduce: in place in the arrays themselves when every rank runs on this node and passed
   * a shared array of this group's (shared-allreduce.ts), else through messages. A rank whose
   * array is not shared knows at once that it is the message path; one whose array is, waits
   * for the others' calls to know.
   */
  async allreduce(arr: CollectiveArray, op: ReduceOp, timeoutMs: number): Promise<void> {
    const shm = sharedRefOf(arr, this.name);
    const freed = takeFreed(this.name);
    const extra: Partial<Call> = { op, ...(shm !== undefined ? { shm } : {}), ...(freed.length > 0 ? { freed } : {}) };
    try {
      await this.collective("allreduce", extra, arr, timeoutMs, async (comm, agreed, run) => {
        agreed.then((calls) => this.forgetFreed(calls)).catch(() => undefined);
        if (shm === undefined || this.worldSize === 1 || comm.topology.nodes.length !== 1) return allreduce(comm, arr, op);
        const calls = await agreed;
        if (!calls.every((c) => c.shm !== undefined)) return allreduce(comm, arr, op);
        const held: (() => void)[] = [];
        try {
          const arrays = calls.map((c, r) => {
            if (r === this.rank) return arr;
            const mapped = this.peerRegions.acquire(r, c.shm as NonNullable<Call["shm"]>, arr);
            held.push(mapped.release);
            return mapped.array;
          });
          await sharedAllreduce(comm, arrays, op, () => run.failedWith !== undefined);
        } finally {
          for (const release of held) release();
        }
      });
    } catch (e) {
      // The others may not have heard: told again at the next allreduce (forgetting twice is harmless).
      requeueFreed(this.name, freed);
      throw e;
    }
  }

  /** How many of the other ranks' shared arrays are mapped here (tests: mapped once, let go when collected). */
  get mappedPeerArrays(): number {
    return this.peerRegions.size;
  }

  reduce(arr: CollectiveArray, op: ReduceOp, dstRank: number, timeoutMs: number): Promise<void> {
    return this.collective("reduce", { op, root: dstRank }, arr, timeoutMs, (run) => reduce(run, arr, op, dstRank));
  }

  broadcast(arr: CollectiveArray, srcRank: number, timeoutMs: number): Promise<void> {
    return this.collective("broadcast", { root: srcRank }, arr, timeoutMs, (run) => broadcast(run, arr, srcRank));
  }

  allgather(outs: readonly CollectiveArray[], arr: CollectiveArray, timeoutMs: number): Promise<void> {
    return this.collective("allgather", {}, arr, timeoutMs, (run) => allgather(run, outs, arr));
  }

  barrier(timeoutMs: number): Promise<void> {
    return this.collective("barrier", {}, undefined, timeoutMs, async () => undefined);
  }

  send(arr: CollectiveArray, dstRank: number, timeoutMs: number): Promise<void> {
    const op = { channel: `p${this.rank}>${dstRank}`, seq: next(this.sent, dstRank) };
    return this.run("send", op, [dstRank], timeoutMs, (run) => sendArray(run, arr, dstRank, (reason) => run.verdict(this.error("send", reason))));
  }

  recv(arr: CollectiveArray, srcRank: number, timeoutMs: number): Promise<void> {
    const op = { channel: `p${srcRank}>${this.rank}`, seq: next(this.received, srcRank) };
    return this.run("recv", op, [srcRank], timeoutMs, (run) => recvArray(run, arr, srcRank, (reason) => run.verdict(this.error("recv", reason))));
  }

  /**
   * A call of a group operation refused here before it started (`error`, e.g. a bad
   * argument): it takes its number all the same, so later calls still match the other
   * ranks', and the others' call fails at once instead of at its deadline.
   */
  refuse(operation: string, error: Error, peer?: number): never {
    let op: OpName;
    if (peer === undefined) op = { channel: "c", seq: this.seq++ };
    else if (operation === "send") op = { channel: `p${this.rank}>${peer}`, seq: next(this.sent, peer) };
    else op = { channel: `p${peer}>${this.rank}`, seq: next(this.received, peer) };
    const reason = `rank ${this.rank} refused the call: ${describeError(error)}`;
    for (const r of peer === undefined ? this.others : [peer]) this.network?.abort(r, op, reason);
    this.mailbox.end(op, this.error(operation, reason));
    throw error;
  }

  deliver(from: number, op: OpName, step: string, payload: Payload): void {
    if (this.destroyed) payload.release();
    else this.mailbox.deliver(from, op, step, payload);
  }

  abort(from: number, op: OpName, reason: string): void {
    this.mailbox.abort(from, op, reason);
  }

  peerLost(rank: number, reason: string): void {
    if (this.lost.has(rank) || this.destroyed) return;
    this.lost.set(rank, reason);
    this.peerRegions.forget(rank);
    for (const [run, peers] of this.running) {
      if (peers.includes(rank)) run.fail(this.error(run.operation, `rank ${rank} left the group: ${reason}`));
    }
  }

  /** Ends this membership: running operations fail, links close. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const run of this.running.keys()) run.fail(this.error(run.operation, "the group was destroyed in this process"));
    this.mailbox.clear(this.error("destroy", "the group was destroyed in this process"));
    this.peerRegions.close();
    await this.network?.close();
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  error(operation: string, reason: string, cause?: unknown): Failure {
    return new CollectiveError({ groupName: this.name, operation, rank: this.rank, reason, ...(cause !== undefined ? { cause } : {}) });
  }

  /**
   * Runs a group operation: the ranks check that they all made the same call while the data
   * already moves (a round trip less per operation); no rank uses what it receives before
   * the check passed, and when it fails every rank rejects alike and drops what came.
   */
  private collective(
    operation: string,
    extra: Partial<Call>,
    arr: CollectiveArray | undefined,
    timeoutMs: number,
    body: (comm: GroupComm, agreed: Promise<readonly Call[]>, run: OpRun) => Promise<void>,
  ): Promise<void> {
    const call: Call = { operation, ...(arr !== undefined ? { dtype: dtypeOf(arr) as string, length: arr.length } : {}), ...extra };
    const op = { channel: "c", seq: this.seq++ };
    return this.run(operation, op, this.others, timeoutMs, async (run) => {
      run.topology = await run.guard(this.topologyOf(() => run.failedWith !== undefined));
      const agreed = agree(run, this.worldSize, call, (reason) => run.verdict(this.error(operation, reason)));
      agreed.catch(() => undefined); // awaited below, maybe after it rejects
      const checked = agreed.then(() => undefined);
      checked.catch(() => undefined); // awaited by receives, maybe after it rejects
      const work = body(receivingAfter(checked, run), agreed, run);
      work.catch(() => undefined); // likewise
      await agreed;
      await work;
    });
  }

  /**
   * Shared arrays collected in their processes: unmapped here. Looked up under every rank
   * (nonces are unique), as a process may hold several ranks' arrays (ranks of a test).
   */
  private forgetFreed(calls: readonly Call[]): void {
    const freed = calls.flatMap((call) => call.freed ?? []);
    if (freed.length > 0) this.peerRegions.forgetEverywhere(freed);
  }

  private async topologyOf(cancelled: () => boolean): Promise<Topology> {
    this.topology ??= topologyOf(await this.requireNetwork().nodeIds(cancelled));
    return this.topology;
  }

  private async run(operation: string, op: OpName, peers: readonly number[], timeoutMs: number, body: (run: OpRun) => Promise<void>): Promise<void> {
    const network = this.requireNetwork();
    const clock = this.settings.clock;
    const run = new OpRun(operation, this.rank, this.settings.chunkBytes, op, clock.now() + timeoutMs, network, this.mailbox);
    this.running.set(run, peers);
    const timer = clock.setTimeout(() => run.fail(this.timedOut(operation, op, timeoutMs)), timeoutMs);
    const early = this.mailbox.start(op, (reason, from) => run.fail(this.error(operation, `rank ${from} gave up: ${reason}`), true));
    if (early !== undefined) run.fail(this.error(operation, `rank ${early.from} gave up: ${early.reason}`), true);
    const gone = peers.find((r) => this.lost.has(r));
    if (gone !== undefined) run.fail(this.error(operation, `rank ${gone} left the group: ${this.lost.get(gone) ?? ""}`));
    if (this.destroyed) run.fail(this.error(operation, "the group was destroyed in this process"));
    let failure: Failure | undefined;
    try {
      const work = body(run);
      work.catch(() => undefined); // raced below; it may fail after the race is lost
      await run.guard(work);
    } catch (e) {
      failure = this.asFailure(operation, e);
      if (run.mustAbort(e as Error)) for (const r of peers) network.abort(r, op, `rank ${this.rank}: ${failure.reason}`);
      run.fail(failure);
      throw failure;
    } finally {
      timer.cancel();
      this.running.delete(run);
      this.mailbox.end(op, failure ?? this.error(operation, "the operation has ended"));
    }
  }

  private timedOut(operation: string, op: OpName, timeoutMs: number): Failure {
    const waiting = this.mailbox.waitingOn(op);
    const waits = [...(waiting.length > 0 ? [`waiting for rank ${waiting.join(", ")}`] : []), ...(this.network?.describeWaits() ?? [])];
    const on = waits.length > 0 ? ` (${waits.join("; ")})` : "";
    return this.error(
      operation,
      `it did not complete within timeoutMs ${timeoutMs} ms${on}. Every rank must make the same calls in the same order; a rank that never calls, is stuck or is dead keeps the others waiting`,
    );
  }

  /** `error` as this operation's CollectiveError (one from a link, e.g. a refused hello, is restated for it). */
  private asFailure(operation: string, error: unknown): Failure {
    if (error instanceof CollectiveError && error.operation === operation && error.groupName === this.name) return error;
    const reason = error instanceof CollectiveError ? String(error.reason) : describeError(error);
    return this.error(operation, reason, error);
  }

  private requireNetwork(): Network {
    if (this.network === undefined) throw new RangeError(`collective group "${this.name}" has no network`);
    return this.network;
  }
}

function next(counters: Map<number, number>, rank: number): number {
  const n = counters.get(rank) ?? 0;
  counters.set(rank, n + 1);
  return n;
}
