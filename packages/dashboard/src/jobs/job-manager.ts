/**
 * The jobs API's logic, in the head's HTTP server process: it submits each job as a detached,
 * named supervisor actor (JobSupervisor) holding the entrypoint's resources, follows it to
 * record the job's states in the control service's KV, stops and deletes jobs. It acts on the
 * cluster only through `lux`'s public API, as a driver of its own namespace (`_lux_jobs`),
 * connected at the first jobs call; then it adopts the supervisors of jobs that had not ended
 * (after a restart of this process) and fails those whose supervisor is gone.
 */
import { randomBytes } from "node:crypto";
import { InvalidJobRequestError, JobExistsError, JobNotFinishedError, sleep, type Clock } from "@lux/common";
import { ActorDiedError, ActorNotFoundError, InvalidOptionError, TaskError, get, getActor, kill, type ActorHandle } from "lux";
import { isTerminalStatus, type JobDetails } from "lux/job";
import { JOBS_NAMESPACE, supervisorName, type JobsKv } from "./job-keys.js";
import { readLogs, tailLogs } from "./job-logs.js";
import { JobRecords } from "./job-records.js";
import { checkSubmission, type CheckedSubmission } from "./job-request.js";
import { JobSupervisorActor, type JobSupervisor, type SupervisorSpec } from "./job-supervisor.js";
import { endedJob, failedJob, pendingJob, runningJob, stoppedBeforeStart } from "./job-transitions.js";

export interface JobManagerOptions {
  /** The control service: the entrypoints' LUX_ADDRESS. */
  gcsAddress: string;
  /** `lux.util.kv` in the jobs' namespace. */
  kv: JobsKv;
  clock: Clock;
  /** Config jobStopGraceMs, jobLogFlushMs, jobLogMaxBytes. */
  stopGraceMs: number;
  logFlushMs: number;
  logMaxBytes: number;
  /** Makes this process a driver of the cluster in JOBS_NAMESPACE (`lux.init`); called once, at the first jobs call. */
  connect: () => Promise<void>;
  log: { warn(message: string): void };
}

type Supervisor = ActorHandle<JobSupervisor>;

/** Lux's option names of the supervisor actor, as the fields of a submission. */
const FIELD_OF_OPTION: Record<string, string> = { numCpus: "entrypointNumCpus", numGpus: "entrypointNumGpus", resources: "entrypointResources" };

export class JobManager {
  private readonly records: JobRecords;
  private readonly supervisors = new Map<string, Supervisor>();
  private ready: Promise<void> | undefined;
  private closing = false;

  constructor(private readonly options: JobManagerOptions) {
    this.records = new JobRecords(options.kv);
  }

  /** Submits a job; resolves with its submission id once it is recorded PENDING. */
  async submit(body: unknown): Promise<string> {
    const submission = checkSubmission(body);
    await this.connected();
    const id = submission.submissionId ?? `luxsubmit_${randomBytes(8).toString("hex")}`;
    const actorClass = this.supervisorClass(id, submission);
    if (!(await this.records.create(pendingJob(id, submission, Date.now())))) throw new JobExistsError({ submissionId: id });
    let handle: Supervisor;
    try {
      handle = actorClass.remote(this.spec(id, submission));
    } catch (e) {
      await this.records.update(id, (j) => failedJob(j, "SUPERVISOR_START_FAILED", `The job's supervisor actor could not be created: ${(e as Error).message}`, Date.now()));
      return id;
    }
    this.supervisors.set(id, handle);
    this.follow(id, handle);
    return id;
  }

  async info(id: string): Promise<JobDetails> {
    await this.connected();
    return this.records.get(id);
  }

  async list(): Promise<JobDetails[]> {
    await this.connected();
    return this.records.list();
  }

  async logs(id: string): Promise<string> {
    await this.info(id);
    return readLogs(this.options.kv, id);
  }

  /** The job's output as it comes, until it ends (after `info(id)` found the job). */
  tail(id: string, signal: AbortSignal): AsyncGenerator<string> {
    const ended = async (): Promise<boolean> => {
      const job = await this.records.find(id);
      return job === undefined || isTerminalStatus(job.status);
    };
    return tailLogs(this.options.kv, id, { ended, pollMs: this.options.logFlushMs, clock: this.options.clock, signal });
  }

  /** Stops a job that has not ended; false when it had. */
  async stop(id: string): Promise<boolean> {
    const job = await this.info(id);
    if (isTerminalStatus(job.status)) return false;
    const handle = this.supervisors.get(id) ?? (await this.findSupervisor(id));
    if (job.status === "PENDING") {
      const after = await this.records.update(id, (j) => stoppedBeforeStart(j, Date.now()));
      if (after?.status === "STOPPED") {
        if (handle !== undefined) await this.release(id, handle);
        return true;
      }
      // Its entrypoint started meanwhile: stop that.
    }
    if (handle === undefined) {
      await this.records.update(id, (j) => failedJob(j, "SUPERVISOR_DIED", "The job's supervisor actor is gone.", Date.now()));
      return false;
    }
    try {
      return await get(handle.stop.remote(), { timeoutMs: 30_000 });
    } catch (e) {
      if (e instanceof ActorDiedError) return false; // its follower records the failure
      throw e;
    }
  }

  /** Deletes an ended job and its output. */
  async delete(id: string): Promise<boolean> {
    const job = await this.info(id);
    if (!isTerminalStatus(job.status)) throw new JobNotFinishedError({ submissionId: id, status: job.status });
    await this.records.remove(id);
    const handle = this.supervisors.get(id);
    if (handle !== undefined) await this.release(id, handle);
    return true;
  }

  /** Stops following supervisors (before this process disconnects); they and their jobs go on. */
  close(): void {
    this.closing = true;
  }

  private connected(): Promise<void> {
    if (this.ready === undefined) {
      const ready = this.options.connect().then(() => this.adopt());
      // A failed connection is tried again by the next call.
      ready.catch(() => {
        if (this.ready === ready) this.ready = undefined;
      });
      this.ready = ready;
    }
    return this.ready;
  }

  /** Follows the supervisors of the jobs that have not ended; fails those whose supervisor is gone. */
  private async adopt(): Promise<void> {
    for (const job of await this.records.list()) {
      if (isTerminalStatus(job.status)) continue;
      const id = job.submissionId;
      const handle = await this.findSupervisor(id);
      if (handle === undefined) {
        await this.records.update(id, (j) => failedJob(j, "SUPERVISOR_DIED", "The job's supervisor actor is gone (found when the jobs API started again).", Date.now()));
      } else {
        this.supervisors.set(id, handle);
        this.follow(id, handle);
      }
    }
  }

  private supervisorClass(id: string, s: CheckedSubmission): { remote(spec: SupervisorSpec): Supervisor } {
    try {
      return JobSupervisorActor.options({
        name: supervisorName(id),
        namespace: JOBS_NAMESPACE,
        lifetime: "detached",
        maxConcurrency: 8,
        maxRestarts: 0,
        numCpus: s.entrypointNumCpus,
        numGpus: s.entrypointNumGpus,
        resources: s.entrypointResources,
        ...(Object.keys(s.runtimeEnv).length > 0 ? { runtimeEnv: s.runtimeEnv } : {}),
      });
    } catch (e) {
      if (!(e instanceof InvalidOptionError)) throw e;
      const [head, ...rest] = e.option.split(".");
      const field = [FIELD_OF_OPTION[head as string] ?? head, ...rest].join(".");
      throw new InvalidJobRequestError({ field, reason: e.expected, cause: e });
    }
  }

  private spec(id: string, s: CheckedSubmission): SupervisorSpec {
    const { gcsAddress, stopGraceMs, logFlushMs, logMaxBytes } = this.options;
    return { submissionId: id, entrypoint: s.entrypoint, gcsAddress, stopGraceMs, logFlushMs, logMaxBytes };
  }

  private follow(id: string, handle: Supervisor): void {
    this.followSupervisor(id, handle).catch((e: unknown) => this.options.log.warn(`job ${id}: following its supervisor failed: ${(e as Error).message}`));
  }

  /** Records RUNNING when the entrypoint starts and its end when it exits; a dead supervisor fails the job. */
  private async followSupervisor(id: string, handle: Supervisor): Promise<void> {
    try {
      const started = await get(handle.start.remote());
      await this.records.update(id, (j) => runningJob(j, started));
      const report = await get(handle.wait.remote());
      await this.records.update(id, (j) => endedJob(j, report, Date.now()));
      await this.release(id, handle);
    } catch (e) {
      await this.supervisorFailed(id, handle, e);
    }
  }

  private async supervisorFailed(id: string, handle: Supervisor, e: unknown): Promise<void> {
    if (this.closing) return;
    const now = Date.now();
    if (e instanceof ActorDiedError) {
      this.supervisors.delete(id);
      await this.records.update(id, (j) =>
        j.status === "PENDING"
          ? failedJob(j, "SUPERVISOR_START_FAILED", `The job's supervisor actor could not start: ${e.message}`, now)
          : failedJob(j, "SUPERVISOR_DIED", `The job's supervisor actor died while the entrypoint ran: ${e.message}`, now),
      );
      return;
    }
    if (e instanceof TaskError) {
      await this.records.update(id, (j) => failedJob(j, "ENTRYPOINT_START_FAILED", e.message, now));
      await this.release(id, handle);
      return;
    }
    // The cluster connection failed (a control service restart?): look for the supervisor again.
    this.options.log.warn(`job ${id}: lost track of its supervisor (${(e as Error).message}); looking for it again`);
    await sleep(this.options.clock, 1000);
    if (this.closing) return;
    const again = await this.findSupervisor(id).catch(() => undefined);
    if (again === undefined) {
      await this.records.update(id, (j) => failedJob(j, "SUPERVISOR_DIED", "The job's supervisor actor is gone.", Date.now()));
      return;
    }
    this.supervisors.set(id, again);
    this.follow(id, again);
  }

  private async findSupervisor(id: string): Promise<Supervisor | undefined> {
    try {
      return await getActor<JobSupervisor>(supervisorName(id), { namespace: JOBS_NAMESPACE });
    } catch (e) {
      if (e instanceof ActorNotFoundError) return undefined;
      throw e;
    }
  }

  private async release(id: string, handle: Supervisor): Promise<void> {
    this.supervisors.delete(id);
    await kill(handle).catch(() => undefined);
  }
}

