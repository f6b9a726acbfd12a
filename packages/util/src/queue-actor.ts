import { remote } from "@lux/core";
import { systemClock } from "@lux/protocol";
import { QueueState, type Taken } from "./queue-state.js";

/**
 * The actor behind a `Queue`: holds the items. Its blocking calls are async methods that
 * wait inside the actor, so it is an async actor (up to `maxConcurrency` calls at once, 1,000
 * by default): a get waiting for an item does not keep a put from coming in. Items travel
 * wrapped in an array so an ObjectRef put in the queue comes out as that ObjectRef.
 */
export class QueueActor {
  private readonly state: QueueState<unknown>;

  constructor(maxsize: number) {
    this.state = new QueueState(maxsize, systemClock);
  }

  async put(wrapped: [unknown], timeoutMs?: number): Promise<boolean> {
    return this.state.put(wrapped[0], timeoutMs);
  }

  async get(timeoutMs?: number): Promise<Taken<unknown>> {
    return this.state.get(timeoutMs);
  }

  putNowait(wrapped: [unknown]): boolean {
    return this.state.putNowait(wrapped[0]);
  }

  putNowaitBatch(items: unknown[]): boolean {
    return this.state.putNowaitBatch(items);
  }

  getNowait(): Taken<unknown> {
    return this.state.getNowait();
  }

  getNowaitBatch(n: number): Taken<unknown[]> {
    return this.state.getNowaitBatch(n);
  }

  size(): number {
    return this.state.size();
  }

  empty(): boolean {
    return this.state.empty();
  }

  full(): boolean {
    return this.state.full();
  }
}

/** Made remote while this module is evaluated: workers find it by importing the module. */
export const QueueActorClass = remote(QueueActor);
