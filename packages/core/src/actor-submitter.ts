import type { ActorInfo, GcsService, RpcCaller, RpcConnection, TaskReplyWire } from "@lux/protocol";
import { UNTIL_PEER_LOST, encodeTaskSpec } from "@lux/protocol";
import {
  ActorDiedError,
  ActorNameTakenError,
  ActorUnavailableError,
  OutOfMemoryError,
  PendingCallsLimitExceededError,
  fromWireError,
  type ConfigValues,
} from "@lux/common";
import { waitActorSettled } from "./actor-info.js";
import { Fifo } from "./fifo.js";
import type { PeerConnection, PeerPool } from "./connections.js";
import type { RunningOn, TaskRecord } from "./task-record.js";
import type { TaskResults } from "./task-results.js";

interface ActorCall {
  record: TaskRecord;
  ready: boolean;
  /**
   * Times it was sent (re-sent after a restart with maxTaskRetries). At the first send its
   * record's retriesLeft becomes the actor's maxTaskRetries: re-sends after a restart and
   * re-runs to rebuild its lost results (lineage) both spend them.
   */
  attempts: number;
  /**
   * The handle the call was made through: referenced until the call is done (its reply's
   * handlers reference the call), so a handle dropped meanwhile does not end the actor.
   */
  handle: object | undefined;
}

interface ActorChannel {
  actorId: string;
  /**
   * The id the actor's worker knows it by: differs from `actorId` for a handle made with
   * getIfExists that found an existing actor (the control service aliases the new id).
   */
  targetId: string;
  /** Set by the creator while the control service registers the actor. */
  registration: Promise<unknown> | undefined;
  queue: Fifo<ActorCall>;
  connection: PeerConnection | undefined;
  /** The actor's address behind `connection`. */
  address: string | undefined;
  /** The node of the actor's worker behind `connection`. */
  nodeId: string | undefined;
  /** The actor's worker behind `connection`, as a record running there names it (cancel reaches it so). */
  worker: RunningOn | undefined;
  /** An address the actor was found dead at: the next lookup waits for a restart or its death. */
  staleAddress: string | undefined;
  /** The actor's maxTaskRetries, from the control service (0 until known). */
  maxTaskRetries: number;
  connecting: boolean;
  dead: Error | undefined;
  /** Set while the actor's worker makes no progress (stopped): calls fail with it instead of queueing. */
  unavailable: Error | undefined;
  name: string | undefined;
  nextSeq: number;
  /** Called once when the actor is known dead (see whenDead). */
  onDead: (() => void) | undefined;
  /**
   * Calls made through handles with maxPendingCalls, some perhaps finished since (they are
   * dropped when the list is full; see admit). Undefined for actors without the limit.
   */
  pending: TaskRecord[] | undefined;
}

/** The config entries an ActorSubmitter uses. */
export type ActorSubmitterConfig = Pick<ConfigValues, "rpcLongPollMs" | "rpcTimeoutMs" | "rpcBestEffortTimeoutMs">;

export interface ActorSubmitterDeps {
  /** This process's worker id: the actor orders calls per caller. */
  callerId: string;
  gcs: RpcCaller<GcsService>;
  peers: PeerPool;
  results: TaskResults;
  /** This process's node: an actor on it is reached through its Unix socket. */
  nodeId: string;
  config: ActorSubmitterConfig;
}

/**
 * Sends actor method calls straight to the actor's worker, in submission order per
 * caller: a call whose arguments resolve early still waits for the calls before it. A
 * call runs as long as the method does: its deadline is the actor worker's liveness (its
 * connection closes when the process ends, and nodeDied closes it when its node is
 * declared dead).
 */
export class ActorSubmitter {
  private readonly channels = new Map<string, ActorChannel>();
  /** Registrations of named actors not yet answered, by namespace and name: getActor waits for them. */
  private readonly namedRegistrations = new Map<string, Set<Promise<unknown>>>();
  /** Set once this process lost its cluster: channels made from then on are dead with it. */
  private clusterLost: Error | undefined;

  private readonly callerId: string;
  private readonly gcs: RpcCaller<GcsService>;
  private readonly peers: PeerPool;
  private readonly results: TaskResults;
  private readonly nodeId: string;
  private readonly config: ActorSubmitterConfig;

  constructor(deps: ActorSubmitterDeps) {
    this.callerId = deps.callerId;
    this.gcs = deps.gcs;
    this.peers = deps.peers;
    this.results = deps.results;
    this.nodeId = deps.nodeId;
    this.config = deps.config;
  }

  /** The creator records the pending registration so calls wait for it. */
  registering(actorId: string, registration: Promise<unknown>, name: string | undefined, namespace: string): void {
    const ch = this.channel(actorId);
    ch.registration = registration;
    ch.name = name;
    if (name !== undefined) {
      const key = `${namespace}\u0000${name}`;
      const pending = this.namedRegistrations.get(key) ?? new Set();
      this.namedRegistrations.set(key, pending);
      pending.add(registration);
      const done = (): void => {
        pending.delete(registration);
        if (pending.size === 0 && this.namedRegistrations.get(key) === pending) this.namedRegistrations.delete(key);
      };
      registration.then(done, done);
    }
  }

  /** The pending registration of an actor this process created, if any. */
  registration(actorId: string): Promise<unknown> | undefined {
    return this.channels.get(actorId)?.registration;
  }

  /**
   * Settles once every actor this process created so far with this name is registered
   * (or refused), so a `getActor` right after creating the actor finds it.
   */
  async namedRegistered(name: string, namespace: string): Promise<void> {
    await Promise.allSettled([...(this.namedRegistrations.get(`${namespace}\u0000${name}`) ?? [])]);
  }

  /** Adds a call in order; it is sent once it and every earlier call are ready. `handle`: see ActorCall. */
  submit(actorId: string, record: TaskRecord, handle?: object): ActorCall {
    const ch = this.channel(actorId);
    record.spec.callerId = this.callerId;
    record.spec.seq = ch.nextSeq++;
    const call: ActorCall = { record, ready: false, attempts: 0, handle };
    ch.queue.push(call);
    if (ch.dead !== undefined || ch.unavailable !== undefined) this.flush(ch);
    return call;
  }

  /**
   * maxPendingCalls: throws PendingCallsLimitExceededError if this process has `limit` calls to
   * the actor unfinished, so the call is not made. Finished calls are found only here, when the
   * list is full: a call costs nothing more when it finishes.
   */
  admit(actorId: string, limit: number): void {
    const ch = this.channel(actorId);
    if (ch.pending === undefined || ch.pending.length < limit) return;
    ch.pending = ch.pending.filter((r) => r.state !== "finished");
    if (ch.pending.length < limit) return;
    throw new PendingCallsLimitExceededError({ actorId, ...(ch.name !== undefined ? { actorName: ch.name } : {}), maxPendingCalls: limit });
  }

  /** A call admitted under maxPendingCalls was made: it counts until it finishes. */
  pending(actorId: string, record: TaskRecord): void {
    (this.channel(actorId).pending ??= []).push(record);
  }

  markReady(actorId: string, call: ActorCall): void {
    // Right after its submission this says nothing new and is not sent.
    this.results.events?.queued(call.record);
    call.ready = true;
    this.flush(this.channel(actorId));
  }

  /** Drops a call that has not been sent yet. */
  remove(actorId: string, record: TaskRecord): boolean {
    const ch = this.channels.get(actorId);
    if (ch === undefined) return false;
    const i = ch.queue.findIndex((c) => c.record === record);
    if (i < 0) return false;
    ch.queue.removeAt(i);
    this.flush(ch);
    return true;
  }

  /** The error every call fails with once this process lost its cluster. */
  get lostError(): Error | undefined {
    return this.clusterLost;
  }

  /** Every actor channel, and every one made later, fails with `error` (this process lost its cluster). */
  failAll(error: Error): void {
    this.clusterLost = error;
    for (const ch of this.channels.values()) {
      ch.dead = error;
      this.flush(ch);
    }
  }

  markDead(actorId: string, error: Error): void {
    const ch = this.channel(actorId);
    ch.dead = error;
    this.flush(ch);
  }

  /**
   * A node was declared dead: connections to actors there are closed, so calls running on
   * them end as if the worker died (a hung or partitioned machine never closes them). Calls
   * sent from now on (re-runs of calls whose results were lost with the node among them) wait
   * for the actor's restart instead of going to the closing connection.
   */
  nodeDied(nodeId: string): void {
    for (const ch of this.channels.values()) {
      if (ch.nodeId !== nodeId || ch.connection === undefined) continue;
      ch.connection.close(true);
      ch.staleAddress = ch.address;
      ch.connection = undefined;
    }
  }

  /**
   * The control service says the actor's worker stopped making progress (`available` false):
   * calls queued and made from now on fail with ActorUnavailableError instead of piling up
   * behind it; calls already sent wait for it. When it makes progress again, calls go through.
   */
  availability(actorId: string, available: boolean): void {
    for (const ch of this.channels.values()) {
      if (ch.actorId !== actorId && ch.targetId !== actorId) continue;
      ch.unavailable = available ? undefined : this.unavailableError(ch);
      this.flush(ch);
    }
  }

  private unavailableError(ch: ActorChannel): Error {
    return new ActorUnavailableError({ actorId: ch.actorId, ...(ch.name ? { actorName: ch.name } : {}) });
  }

  /**
   * The actor is restarting (killed with noRestart: false): calls made from now on wait for
   * its new worker instead of reaching the old one.
   */
  restarting(actorId: string): void {
    const ch = this.channels.get(actorId);
    if (ch === undefined || ch.connection === undefined) return;
    ch.staleAddress = ch.address;
    ch.connection = undefined;
  }

  /** Calls `listener` once this process learns the actor is dead (never if it does not; at once if it knows). */
  whenDead(actorId: string, listener: () => void): void {
    const ch = this.channel(actorId);
    if (ch.dead !== undefined) listener();
    else ch.onDead = listener;
  }

  /**
   * The error calls to a DEAD actor reject with. For a call that was running when the actor's
   * node ran out of memory (`running`), the OutOfMemoryError it died of names that method.
   */
  deathError(actorId: string, info: ActorInfo, running?: TaskRecord): ActorDiedError {
    const name = this.channels.get(actorId)?.name ?? info.name;
    let cause = info.deathCause !== undefined ? fromWireError(info.deathCause) : undefined;
    if (running !== undefined && cause instanceof OutOfMemoryError && cause.actorClass !== undefined) {
      cause = new OutOfMemoryError({ ...cause, task: `${cause.actorClass}.${running.spec.name}` });
    }
    return new ActorDiedError({ actorId, ...(name ? { actorName: name } : {}), ...(cause ? { cause } : {}) });
  }

  private channel(actorId: string): ActorChannel {
    let ch = this.channels.get(actorId);
    if (ch === undefined) {
      ch = {
        actorId,
        targetId: actorId,
        registration: undefined,
        queue: new Fifo<ActorCall>(),
        connection: undefined,
        address: undefined,
        nodeId: undefined,
        worker: undefined,
        staleAddress: undefined,
        maxTaskRetries: 0,
        connecting: false,
        dead: this.clusterLost,
        unavailable: undefined,
        name: undefined,
        nextSeq: 0,
        onDead: undefined,
        pending: undefined,
      };
      this.channels.set(actorId, ch);
    }
    return ch;
  }

  private flush(ch: ActorChannel): void {
    if (ch.dead !== undefined && ch.onDead !== undefined) {
      const onDead = ch.onDead;
      ch.onDead = undefined;
      onDead();
    }
    const refusal = ch.dead ?? ch.unavailable;
    if (refusal !== undefined) {
      for (const call of ch.queue.drain()) this.results.fail(call.record, refusal);
      return;
    }
    if (ch.connection !== undefined && ch.connection.state === "closed") {
      ch.staleAddress = ch.address;
      ch.connection = undefined;
    }
    if (ch.connection === undefined) {
      if (ch.queue.length > 0 && ch.queue.peek()?.ready === true) void this.connect(ch);
      return;
    }
    const connection = ch.connection;
    while (ch.queue.length > 0 && ch.queue.peek()?.ready === true) {
      const call = ch.queue.shift() as ActorCall;
      const { record } = call;
      if (record.cancelled) continue;
      record.state = "running";
      record.worker = ch.worker;
      record.spec.actorId = ch.targetId;
      if (call.attempts++ === 0) record.retriesLeft = ch.maxTaskRetries;
      connection.call("pushTask", encodeTaskSpec(connection, record.spec), UNTIL_PEER_LOST).then(
        (reply: TaskReplyWire) => this.results.complete(record, reply, connection),
        (e: unknown) => {
          if (ch.connection === connection) {
            ch.staleAddress = ch.address;
            ch.connection = undefined;
          }
          this.lost(ch, call, e as Error);
          this.flush(ch);
        },
      );
    }
  }

  /**
   * A call was in flight when the connection to the actor dropped. With maxTaskRetries left it
   * goes back to the queue in submission order, to be re-sent after the restart (at-least-once);
   * otherwise it rejects with ActorDiedError (at-most-once), with the death's cause when the
   * control service already knows it.
   */
  private lost(ch: ActorChannel, call: ActorCall, cause: Error): void {
    const { record } = call;
    if (record.cancelled || record.state === "finished") return;
    if (ch.dead === undefined && record.retriesLeft !== 0) {
      if (record.retriesLeft > 0) record.retriesLeft--;
      record.state = "queued";
      this.requeue(ch, call);
      return;
    }
    void this.gcs.call("getActorInfo", { actorId: ch.actorId, waitAlive: false }, this.config.rpcBestEffortTimeoutMs).then(
      (info) => this.results.fail(record, info.state === "DEAD" ? this.deathError(ch.actorId, info, record) : this.diedError(ch, cause)),
      () => this.results.fail(record, this.diedError(ch, cause)),
    );
  }

  /** Puts a call back in the queue in its submission place (its sequence number). */
  private requeue(ch: ActorChannel, call: ActorCall): void {
    const seq = call.record.spec.seq ?? 0;
    const at = ch.queue.findIndex((c) => (c.record.spec.seq ?? 0) > seq);
    ch.queue.insert(at < 0 ? ch.queue.length : at, call);
  }

  /**
   * Sends a finished call again to re-create its results lost with a node (lineage
   * reconstruction; its record's retriesLeft was spent on it): it goes to the actor's current
   * (restarted) worker in its submission place, once `ready` says its arguments are resolved
   * (false: they failed, and so did the call). Fails at once if the actor is dead.
   */
  resend(record: TaskRecord, ready: Promise<boolean>): void {
    const target = record.spec.actorId;
    let ch = target === undefined ? undefined : this.channels.get(target);
    // A handle made with getIfExists sends under the id of the actor it found.
    if (ch === undefined) for (const c of this.channels.values()) if (c.targetId === target) ch = c;
    if (ch === undefined) {
      this.results.fail(record, new ActorDiedError({ actorId: target ?? "", cause: new Error("this process has no handle to the actor") }));
      return;
    }
    const channel = ch;
    const call: ActorCall = { record, ready: false, attempts: 1, handle: undefined };
    record.state = "queued";
    this.requeue(channel, call);
    if (channel.dead !== undefined) this.flush(channel);
    void ready.then((ok) => {
      if (ok) this.markReady(channel.actorId, call);
      else this.remove(channel.actorId, record);
    });
  }

  private async connect(ch: ActorChannel): Promise<void> {
    if (ch.connecting) return;
    ch.connecting = true;
    try {
      if (ch.registration !== undefined) await ch.registration;
      for (;;) {
        // After a failure, the lookup waits until the actor restarted elsewhere or is dead.
        const info: ActorInfo = await waitActorSettled(this.gcs, ch.actorId, ch.staleAddress, this.config);
        ch.name ??= info.name;
        ch.maxTaskRetries = info.maxTaskRetries ?? 0;
        ch.unavailable = info.unavailable === true ? this.unavailableError(ch) : undefined;
        if (info.state === "DEAD" || info.address === undefined) {
          ch.dead = this.deathError(ch.actorId, info);
          break;
        }
        ch.targetId = info.actorId;
        const address = info.address;
        const sameNode = info.nodeId === this.nodeId && info.socketPath !== undefined;
        const connection = await this.peers.get(sameNode ? (info.socketPath as string) : address).catch(() => undefined);
        if (connection === undefined || connection.state === "closed") {
          ch.staleAddress = address; // its worker is gone; the control service hears it soon
          continue;
        }
        ch.connection = connection;
        ch.address = address;
        ch.nodeId = info.nodeId;
        ch.worker = { workerId: info.workerId ?? "", address, connection };
        ch.staleAddress = undefined;
        break;
      }
    } catch (e) {
      // A name taken elsewhere first surfaces here: calls reject with ActorNameTakenError itself.
      ch.dead = e instanceof ActorDiedError || e instanceof ActorNameTakenError ? e : this.diedError(ch, e as Error);
    } finally {
      ch.connecting = false;
    }
    this.flush(ch);
  }

  private diedError(ch: ActorChannel, cause: Error): Error {
    if (cause instanceof ActorDiedError) return cause;
    return new ActorDiedError({ actorId: ch.actorId, ...(ch.name ? { actorName: ch.name } : {}), cause });
  }
}
