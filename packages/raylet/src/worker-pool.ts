import { spawn, type ChildProcess } from "node:child_process";
import type { Clock, JobInfo, RuntimeEnvSpec, TimerHandle } from "@lux/protocol";
import { LeaseFailedError, LuxError, createLogger, newWorkerId, runtimeEnvKey } from "@lux/common";
import type { PreparedEnv } from "./runtime-env-manager.js";
import { StartGate } from "./start-gate.js";
import type { WorkerOutputs } from "./worker-output.js";

const log = createLogger("raylet");

/**
 * "stopping": killed but not exited yet; it must not be leased again. "spent": it ran its
 * last call (a function's maxCalls): never leased again, stopped once it may be (canRetire).
 */
export type WorkerState = "starting" | "idle" | "leased" | "spent" | "stopping" | "dead";

export interface WorkerHandle {
  readonly workerId: string;
  readonly jobId: string;
  /** runtimeEnvKey of the runtime env it was started in ("" for none): it serves only that one. */
  readonly envKey: string;
  readonly process: ChildProcess;
  state: WorkerState;
  address: string | undefined;
  /** Its Unix socket (same-node callers use it). */
  socketPath: string | undefined;
  idleSince: number;
  /** Leased (or starting) for a detached actor: the job's end does not kill it. */
  outlivesJob: boolean;
  /** Being asked whether it may stop (see WorkerPoolOptions.canRetire). */
  retiring: boolean;
  /** It made no progress for workerLivenessTimeoutMs (see WorkerLiveness): it is leased to no one. */
  unresponsive: boolean;
}

export interface WorkerPoolOptions {
  nodeId: string;
  workerMain: string;
  rayletAddress: string;
  gcsAddress: string;
  token: string;
  /** Where each worker's output goes: its log file and its job's driver. */
  outputs: WorkerOutputs;
  /** Where workers put their Unix sockets (short: a socket path is limited to ~100 bytes). */
  socketDir: string | undefined;
  /** Idle workers kept per job. */
  maxIdlePerJob: number;
  /**
   * A job's actors created in this window (ms) are how many started idle workers the pool
   * keeps ready for it, at most maxIdlePerJob and startConcurrency (config workerReserveWindowMs; 0: none).
   */
  reserveWindowMs: number;
  /** How long an idle worker stays before it is stopped (config idleWorkerKeepMs). */
  idleKeepMs: number;
  /** Worker processes booting at once at most; further starts wait (config maxConcurrentWorkerStarts, resolved). */
  startConcurrency: number;
  /** How long a started worker may take to register before it is killed (config workerStartTimeoutMs). */
  startTimeoutMs: number;
  /** How often idle workers are looked at for retirement (config workerReapIntervalMs). */
  reapIntervalMs: number;
  onWorkerExit(worker: WorkerHandle, reason: string): void;
  /**
   * Whether an idle worker may be stopped. A worker that owns objects still in use must
   * live on, or their readers would get OwnerDiedError.
   */
  canRetire(worker: WorkerHandle): Promise<boolean>;
  /** Makes a runtime env ready on this node (unpacks its workingDir); rejects with RuntimeEnvSetupError. */
  prepareEnv(spec: RuntimeEnvSpec): Promise<PreparedEnv>;
  /** Times start timeouts and the retirement of idle workers. */
  clock: Clock;
}

/**
 * Worker processes of the node, started per job with the job's Node flags (its module
 * loader), cwd and environment, and reused between leases of the same job.
 */
export class WorkerPool {
  private readonly workers = new Map<string, WorkerHandle>();
  /** Workers started ahead of their job's first lease, not claimed by a lease yet. */
  private readonly prestarting = new Set<AheadStart>();
  private readonly starting = new Map<string, { resolve(w: WorkerHandle): void; reject(e: Error): void }>();
  /** Starts beyond startConcurrency wait here, by job (a job that ends drops its own). */
  private readonly gate: StartGate<string>;
  private idleTimer: TimerHandle | undefined;
  private closed = false;
  /**
   * When the latest actors of each job took their worker (within reserveWindowMs, at most
   * maxIdlePerJob of them): the job's demand, which sizes its reserve (see refillReserve).
   */
  private readonly actorTakes = new Map<string, number[]>();
  /** How recently ended workers ended, for owners that ask why (bounded, oldest dropped first). */
  private readonly exits = new Map<string, { exitCode?: number; signal?: string }>();

  constructor(private readonly options: WorkerPoolOptions) {
    this.gate = new StartGate(options.startConcurrency);
    this.scheduleReap();
  }

  private scheduleReap(): void {
    if (this.closed) return;
    this.idleTimer = this.options.clock
      .setTimeout(() => {
        this.reapIdle();
        this.scheduleReap();
      }, this.options.reapIntervalMs)
      .unref();
  }

  get(workerId: string): WorkerHandle | undefined {
    return this.workers.get(workerId);
  }

  all(): WorkerHandle[] {
    return [...this.workers.values()];
  }

  /**
   * Starts `count` workers for a job before its first lease (a private cluster's raylet does
   * this while its driver connects): the first task then finds a worker booting or booted.
   */
  prestart(job: PrestartJob, count: number, early?: EarlyWorker): void {
    const envKey = DEFAULT_ENV;
    for (let i = 0; i < count; i++) {
      const entry: AheadStart = { jobId: job.jobId, workerId: undefined, started: undefined };
      const spawned = (workerId: string): void => void (entry.workerId = workerId);
      const started = i === 0 && early !== undefined ? this.adopt(early, envKey, spawned) : this.start(job, false, envKey, undefined, spawned);
      entry.started = started;
      this.prestarting.add(entry);
      const done = (): void => void this.prestarting.delete(entry);
      started.then(done, (e: unknown) => {
        done();
        log.warn(`a worker started ahead for job ${job.jobId} failed: ${(e as Error).message}`);
      });
    }
  }

  /**
   * An idle worker of the job, or a newly started one. `outlivesJob`: it will host a detached
   * actor. `forActor`: it will host an actor, and so never come back to the pool: the job's
   * reserve of started workers is topped up (refillReserve).
   */
  async acquire(job: JobInfo, outlivesJob = false, runtimeEnv?: RuntimeEnvSpec, forActor = false): Promise<WorkerHandle> {
    const envKey = runtimeEnvKey(runtimeEnv);
    // Refilled once the worker taken is no longer idle nor waiting to be claimed (the reserve counts it out).
    const reserve = forActor && envKey === DEFAULT_ENV;
    for (const w of this.workers.values()) {
      if (w.jobId === job.jobId && w.envKey === envKey && w.state === "idle" && !w.unresponsive) {
        leased(w, outlivesJob);
        if (reserve) this.refillReserve(job);
        return w;
      }
    }
    const ahead = envKey === DEFAULT_ENV ? [...this.prestarting].find((p) => p.jobId === job.jobId) : undefined;
    if (ahead !== undefined) {
      this.prestarting.delete(ahead); // claimed: the next lease starts its own
      if (reserve) this.refillReserve(job);
      const w = await ahead.started?.catch(() => undefined);
      if (w !== undefined && w.state === "idle") return leased(w, outlivesJob);
    }
    const prepared = runtimeEnv !== undefined ? await this.options.prepareEnv(runtimeEnv) : undefined;
    try {
      const started = this.start(job, outlivesJob, envKey, prepared);
      if (reserve && ahead === undefined) this.refillReserve(job);
      return leased(await started, outlivesJob);
    } finally {
      prepared?.release?.(); // its worker pinned the env when it was spawned
    }
  }

  /**
   * An actor of the job took a worker (which will not come back): keeps as many started or
   * starting idle workers ready for the job as actors it created in the last reserveWindowMs,
   * at most maxIdlePerJob, so the next actor takes a ready worker instead of waiting for a
   * process to boot (Ray keeps idle workers ready the same way). Called after the taken worker
   * left the idle and prestarting ones. Workers it starts are claimed like those started when
   * the job registered; unclaimed, they are stopped once idle for idleKeepMs, or with their job.
   */
  private refillReserve(job: PrestartJob): void {
    const windowMs = this.options.reserveWindowMs;
    // No more than the node boots at once (its cores, by default): a burst of actors on a
    // node that declares more CPUs than it has would otherwise leave as many extra processes.
    const cap = Math.min(this.options.maxIdlePerJob, this.options.startConcurrency);
    if (windowMs <= 0 || cap <= 0 || this.closed) return;
    const now = this.options.clock.now();
    const takes = (this.actorTakes.get(job.jobId) ?? []).filter((t) => now - t < windowMs);
    takes.push(now);
    if (takes.length > cap) takes.splice(0, takes.length - cap); // only the newest `cap` can count
    this.actorTakes.set(job.jobId, takes);
    let ready = 0;
    // An entry whose worker registered is counted among the idle (or was just taken).
    for (const p of this.prestarting) {
      if (p.jobId === job.jobId && (p.workerId === undefined || this.workers.get(p.workerId)?.state === "starting")) ready++;
    }
    for (const w of this.workers.values()) {
      if (w.jobId === job.jobId && w.envKey === DEFAULT_ENV && w.state === "idle" && !w.unresponsive) ready++;
    }
    if (ready < takes.length) this.prestart(job, takes.length - ready);
  }

  /**
   * A lease ended: its worker goes back to the idle workers of its job, or is killed (`kill`),
   * or (`spent`: it ran a function's maxCalls) is never leased again and stops as soon as it
   * owns no objects in use (asked now, then at each reap).
   */
  release(worker: WorkerHandle, kill: boolean, spent = false): void {
    if (worker.state === "dead" || worker.state === "stopping") return;
    if (kill) {
      this.kill(worker, "its lease ended with disconnect");
      return;
    }
    if (spent) {
      worker.state = "spent";
      this.retireLater(worker, "it ran its maxCalls");
      return;
    }
    worker.state = "idle";
    worker.idleSince = this.options.clock.now();
    const idle = [...this.workers.values()].filter((w) => w.jobId === worker.jobId && w.envKey === worker.envKey && w.state === "idle");
    if (idle.length > this.options.maxIdlePerJob) this.retireLater(worker, "too many idle workers");
  }

  private retireLater(worker: WorkerHandle, reason: string): void {
    this.retire(worker, reason).catch((e: unknown) => log.error(`retiring worker ${worker.workerId.slice(0, 8)} failed: ${(e as Error).message}`));
  }

  /** Stops an idle (or spent) worker unless it still owns objects in use. */
  private async retire(worker: WorkerHandle, reason: string): Promise<void> {
    const state = worker.state;
    if ((state !== "idle" && state !== "spent") || worker.retiring) return;
    worker.retiring = true;
    let ok: boolean;
    try {
      ok = await this.options.canRetire(worker);
    } catch {
      ok = true; // it does not answer: nothing to keep it for
    }
    worker.retiring = false;
    if (worker.state !== state) return;
    if (ok) this.kill(worker, reason);
    else worker.idleSince = this.options.clock.now();
  }

  /** Called when a started worker connects back and registers its RPC address. */
  registered(workerId: string, address: string, socketPath?: string): boolean {
    const w = this.workers.get(workerId);
    const waiter = this.starting.get(workerId);
    if (w === undefined || waiter === undefined || w.state !== "starting") return false;
    this.starting.delete(workerId);
    // Started ahead: from now on it is one of the idle workers, no longer a start to claim.
    for (const p of this.prestarting) if (p.workerId === workerId) this.prestarting.delete(p);
    w.address = address;
    w.socketPath = socketPath;
    w.state = "idle";
    w.idleSince = this.options.clock.now(); // idle from now (a worker started ahead waits here for its first lease)
    waiter.resolve(w);
    return true;
  }

  kill(worker: WorkerHandle, reason: string): void {
    if (worker.state === "dead" || worker.state === "stopping") return;
    // Until its exit event arrives the process may still look usable: make sure no lease picks it.
    worker.state = "stopping";
    log.info(`killing worker ${worker.workerId.slice(0, 8)} (pid ${worker.process.pid}): ${reason}`);
    worker.process.kill("SIGKILL");
  }

  /**
   * How a worker ended: its exit code or signal once its exit is seen (waits up to `waitMs`
   * for a worker still running, e.g. one whose connection just closed); undefined if unknown.
   */
  async exitOf(workerId: string, waitMs: number): Promise<{ exitCode?: number; signal?: string } | undefined> {
    const w = this.workers.get(workerId);
    if (w !== undefined && w.state !== "dead") {
      await new Promise<void>((resolve) => {
        const timer = this.options.clock.setTimeout(resolve, waitMs);
        w.process.once("exit", () => {
          timer.cancel();
          setImmediate(resolve); // after the pool's own exit listener recorded it
        });
      });
    }
    return this.exits.get(workerId);
  }

  /** Kills the workers of a job, except those of detached actors (which outlive it until lux.kill). */
  killJob(jobId: string): void {
    this.actorTakes.delete(jobId);
    this.gate.drop((id) => id === jobId, new LuxError(`job ${jobId} ended before its worker started`));
    for (const w of this.workers.values()) if (w.jobId === jobId && !w.outlivesJob) this.kill(w, `job ${jobId} ended`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idleTimer?.cancel();
    this.gate.drop(() => true, new LuxError("the raylet is shutting down"));
    const exits = [...this.workers.values()]
      .filter((w) => w.state !== "dead")
      .map((w) => new Promise<void>((resolve) => {
        w.process.once("exit", () => resolve());
        w.process.kill("SIGKILL");
      }));
    await Promise.all(exits);
  }

  /** Spawns a worker when the gate lets it (at most startConcurrency booting at once). */
  private start(
    job: PrestartJob,
    outlivesJob: boolean,
    envKey: string,
    runtimeEnv: PreparedEnv | undefined,
    spawned?: (workerId: string) => void,
  ): Promise<WorkerHandle> {
    return this.gate.run(job.jobId, () => this.spawn(job, outlivesJob, envKey, runtimeEnv, spawned));
  }

  private spawn(
    job: PrestartJob,
    outlivesJob: boolean,
    envKey: string,
    runtimeEnv: PreparedEnv | undefined,
    spawned?: (workerId: string) => void,
  ): Promise<WorkerHandle> {
    const workerId = newWorkerId();
    spawned?.(workerId);
    let child: ChildProcess;
    try {
      child = spawnWorker(this.options, job, workerId, runtimeEnv, this.addresses());
    } catch (e) {
      return Promise.reject(spawnFailed(job.jobId, e as Error));
    }
    if (child.pid !== undefined) runtimeEnv?.pin?.(child.pid);
    this.options.outputs.watch(child, { workerId, jobId: job.jobId });
    return this.track(child, workerId, job.jobId, outlivesJob, envKey);
  }

  /**
   * Takes in a worker started before this raylet was up (`startEarlyWorker`): it gets the
   * raylet's addresses on stdin and registers like any other. One that has already exited
   * is replaced by a new one.
   */
  private adopt(early: EarlyWorker, envKey: string, spawned: (workerId: string) => void): Promise<WorkerHandle> {
    const child = early.process;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      const how = child.pid === undefined ? "could not be spawned" : `exited before the raylet was up (${child.signalCode ?? `code ${child.exitCode}`})`;
      log.warn(`the worker started with this raylet ${how}; starting another`);
      return this.start(early.job, false, envKey, undefined, spawned);
    }
    spawned(early.workerId);
    const started = this.track(child, early.workerId, early.job.jobId, false, envKey);
    // Not ended: the worker watches its stdin to exit with this raylet (exitWithParent). If it
    // dies meanwhile, the write fails (EPIPE, ignored: see spawnWorker) and its exit is handled like any other.
    child.stdin?.write(`${JSON.stringify(this.addresses())}\n`);
    return started;
  }

  /** What a worker learns of its raylet: in its environment, or on stdin if it started first. */
  private addresses(): WorkerAddresses {
    return { LUX_NODE_ID: this.options.nodeId, LUX_RAYLET_ADDRESS: this.options.rayletAddress, LUX_GCS_ADDRESS: this.options.gcsAddress };
  }

  /** Keeps a started worker process until it registers, dies or overstays its start timeout. */
  private track(child: ChildProcess, workerId: string, jobId: string, outlivesJob: boolean, envKey: string): Promise<WorkerHandle> {
    const worker: WorkerHandle = {
      workerId,
      jobId,
      envKey,
      process: child,
      state: "starting",
      address: undefined,
      socketPath: undefined,
      idleSince: 0,
      outlivesJob,
      retiring: false,
      unresponsive: false,
    };
    this.workers.set(workerId, worker);
    return new Promise((resolve, reject) => {
      this.starting.set(workerId, { resolve, reject });
      const timer = this.options.clock
        .setTimeout(() => {
          if (this.starting.has(workerId)) this.kill(worker, "it did not register in time");
        }, this.options.startTimeoutMs)
        .unref();
      child.on("error", (err) => {
        // The process could not be spawned (EMFILE, EAGAIN: the node is out of descriptors
        // or processes): no exit follows. Other errors (a failed kill) change nothing.
        if (child.pid !== undefined || worker.state === "dead") {
          log.warn(`worker ${workerId.slice(0, 8)} (pid ${child.pid}): ${err.message}`);
          return;
        }
        timer.cancel();
        worker.state = "dead";
        this.workers.delete(workerId);
        const waiter = this.starting.get(workerId);
        this.starting.delete(workerId);
        waiter?.reject(spawnFailed(jobId, err));
      });
      child.once("exit", (code, signal) => {
        timer.cancel();
        if (worker.state === "dead") return;
        worker.state = "dead";
        this.workers.delete(workerId);
        const reason = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
        this.exits.set(workerId, signal !== null ? { signal } : code !== null ? { exitCode: code } : {});
        if (this.exits.size > 1000) this.exits.delete(this.exits.keys().next().value as string);
        const waiter = this.starting.get(workerId);
        if (waiter !== undefined) {
          this.starting.delete(workerId);
          waiter.reject(new LuxError(`worker process ${reason} before it registered (see the raylet log)`));
        } else {
          this.options.onWorkerExit(worker, reason); // only a worker that registered can have had work
        }
      });
    });
  }

  private reapIdle(): void {
    const now = this.options.clock.now();
    const keep = this.options.idleKeepMs;
    for (const w of this.workers.values()) {
      if (w.state === "idle" && now - w.idleSince > keep) this.retireLater(w, "idle");
      else if (w.state === "spent") this.retireLater(w, "it ran its maxCalls");
    }
  }
}

/** A worker started ahead of the lease that will claim it; `workerId` once its process is spawned. */
interface AheadStart {
  readonly jobId: string;
  workerId: string | undefined;
  started: Promise<WorkerHandle> | undefined;
}

/** The envKey of workers without a runtime env: the only ones started ahead. */
const DEFAULT_ENV = runtimeEnvKey(undefined);

function leased(w: WorkerHandle, outlivesJob: boolean): WorkerHandle {
  w.state = "leased";
  w.outlivesJob = outlivesJob;
  return w;
}

/** What a raylet needs to start workers for a job that has not registered yet. */
export type PrestartJob = Pick<JobInfo, "jobId" | "namespace" | "execArgv" | "cwd" | "env">;

/** Where a worker finds its raylet, known once the raylet is up (environment variables). */
interface WorkerAddresses {
  LUX_NODE_ID: string;
  LUX_RAYLET_ADDRESS: string;
  LUX_GCS_ADDRESS: string;
}

/** A worker process started before its raylet was up, waiting for the raylet's addresses on stdin. */
export interface EarlyWorker {
  readonly workerId: string;
  readonly job: PrestartJob;
  readonly process: ChildProcess;
}

/**
 * Starts a job's first worker as soon as the raylet process runs, before its object store,
 * control-service connection and server are ready: most of a worker's start is loading
 * modules, which then overlaps the raylet's own start. WorkerPool.prestart takes it in.
 */
export function startEarlyWorker(
  options: Pick<WorkerPoolOptions, "workerMain" | "token" | "socketDir" | "outputs">,
  job: PrestartJob,
): EarlyWorker {
  const workerId = newWorkerId();
  const child = spawnWorker(options, job, workerId, undefined, { LUX_ADDRESSES_ON_STDIN: "1" });
  // Until the pool adopts it (which replaces one that failed to spawn).
  child.on("error", (err) => log.warn(`the worker started with this raylet failed: ${err.message}`));
  options.outputs.watch(child, { workerId, jobId: job.jobId });
  return { workerId, job, process: child };
}

/** What a lease fails with when its worker process could not be spawned. */
function spawnFailed(jobId: string, err: Error): LeaseFailedError {
  return new LeaseFailedError({
    what: `job ${jobId}`,
    reason: `the raylet could not start a worker process (${err.message}); the node may be out of file descriptors (EMFILE, ENFILE) or processes (EAGAIN)`,
    cause: err,
  });
}

function spawnWorker(
  options: Pick<WorkerPoolOptions, "workerMain" | "token" | "socketDir">,
  job: PrestartJob,
  workerId: string,
  runtimeEnv: PreparedEnv | undefined,
  addresses: WorkerAddresses | { LUX_ADDRESSES_ON_STDIN: "1" },
): ChildProcess {
  const { flags, preloads } = splitPreloads(job.execArgv);
  const child = spawn(process.execPath, [...flags, options.workerMain], {
    cwd: runtimeEnv?.dir ?? job.cwd,
    env: {
      ...process.env,
      ...job.env,
      ...runtimeEnv?.env,
      // No GPUs until a task or actor holding some runs here (the executor then names them).
      CUDA_VISIBLE_DEVICES: "",
      LUX_WORKER_ID: workerId,
      ...(preloads.length > 0 ? { LUX_WORKER_PRELOADS: JSON.stringify(preloads) } : {}),
      LUX_JOB_ID: job.jobId,
      LUX_NAMESPACE: job.namespace,
      ...addresses,
      LUX_TOKEN: options.token,
      ...(options.socketDir !== undefined ? { LUX_SOCKET_DIR: options.socketDir } : {}),
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  // A pipe to a worker that is gone fails (EPIPE, ECONNRESET): its exit is what counts.
  for (const pipe of [child.stdin, child.stdout, child.stderr]) pipe?.on("error", () => undefined);
  return child;
}

/**
 * The job's `--import`/`--require` preloads (e.g. tsx) are run by the worker itself once
 * Lux's own modules are loaded, instead of as Node flags: loaded through a loader's hooks,
 * Lux's modules cost each worker ~0.1 s of CPU under tsx. The worker runs them, in order,
 * before any code of the job (worker-main.ts). Other flags stay flags.
 */
export function splitPreloads(execArgv: readonly string[]): { flags: string[]; preloads: [kind: "import" | "require", specifier: string][] } {
  const flags: string[] = [];
  const preloads: ["import" | "require", string][] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i] as string;
    const m = /^(--import|--require|-r)(?:=(.*))?$/.exec(a);
    if (m === null) {
      flags.push(a);
      continue;
    }
    const value = m[2] ?? execArgv[++i];
    if (value === undefined) break;
    preloads.push([m[1] === "--import" ? "import" : "require", value]);
  }
  return { flags, preloads };
}
