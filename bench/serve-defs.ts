/** Deployments and an actor for bench/serve.ts (a module workers can import). */
import * as lux from "lux";
import * as serve from "@lux/serve";

/** The handler every figure shares: a constant JSON body. */
export const NOOP_BODY = { ok: true };

export class Noop {
  call(): { ok: boolean } {
    return NOOP_BODY;
  }
  noop(): number {
    return 0;
  }
}
export const NoopDeployment = serve.deployment(Noop, { maxOngoingRequests: 100 });

export class NoopActor {
  async noop(): Promise<number> {
    return 0;
  }
}
export const NoopActorClass = lux.remote(NoopActor);
