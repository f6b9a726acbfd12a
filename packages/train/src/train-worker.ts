/**
 * The training worker: an actor per rank, in the trainer's placement group. Its `run` is a
 * streaming call: it runs the user's loop in a session and yields the reports as they are made;
 * the driver answers each report with `acknowledge` (the actor takes calls while `run` runs).
 */
import * as lux from "lux";
import type { SessionState, ReportAck, ReportItem } from "./session.js";
import { TrainSession, runInSession } from "./session.js";

/**
 * What each worker runs before the loop, every time the group starts (a trainer's own setup,
 * e.g. TfjsTrainer's backend): the named export of a module (by URL), called with `arg`.
 */
export interface WorkerSetup {
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly arg: unknown;
}

/** What `run` gets. */
export interface WorkerRunSpec extends SessionState {
  readonly loop: lux.Shipped<(config: unknown) => unknown>;
  readonly config: unknown;
  readonly setup: WorkerSetup | undefined;
}

export class TrainWorker {
  private session: TrainSession | undefined;

  /** The node this worker runs on (for ranks by node). */
  nodeId(): string {
    return lux.getRuntimeContext().nodeId;
  }

  async *run(spec: WorkerRunSpec): AsyncGenerator<ReportItem, void> {
    const loop = await lux.loadShipped(spec.loop);
    const setup = spec.setup === undefined ? undefined : await setupOf(spec.setup);
    const session = new TrainSession(spec);
    this.session = session;
    const done = runInSession(session, async () => {
      await setup?.(spec.setup?.arg);
      await loop(spec.config);
    });
    yield* session.items(done);
  }

  acknowledge(index: number, ack: ReportAck): void {
    this.session?.acknowledge(index, ack);
  }
}

async function setupOf(setup: WorkerSetup): Promise<(arg: unknown) => unknown> {
  const mod = (await import(setup.moduleUrl)) as Record<string, unknown>;
  const fn = mod[setup.exportName];
  if (typeof fn !== "function") throw new TypeError(`${setup.moduleUrl} has no function ${setup.exportName} to set up a training worker`);
  return fn as (arg: unknown) => unknown;
}

export const TrainWorkerActor = lux.remote(TrainWorker);
