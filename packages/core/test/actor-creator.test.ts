/**
 * ActorCreator's end of actor lifetimes: the creator owns the object its handles' refs
 * count (id: the actor id). When that object is freed (no handle left here, no borrower
 * elsewhere) it tells the control service the actor is out of scope, once the actor's
 * registration is answered. Not for detached actors, and not for a getIfExists handle whose
 * registration found another process's actor.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CoreWorkerService, GcsService, RpcConnection } from "@lux/protocol";
import { newActorId } from "@lux/common";
import { eventually, settle } from "@lux/testing";
import { ActorCreator, type ActorOptionsCompiled } from "../src/actor-creator.js";
import type { DefinitionExporter } from "../src/definition-exporter.js";
import type { DependencyResolver } from "../src/dependency-resolver.js";
import type { Definition } from "../src/function-registry.js";
import type { RuntimeEnvResolver } from "../src/runtime-env.js";
import { type FakeOwner, ownersClosedAfterEach } from "./fake-owner.js";

const owner = ownersClosedAfterEach();

const COUNTER: Definition = {
  name: "Counter",
  kind: "class",
  target: class Counter {},
  moduleUrl: undefined,
  position: undefined,
  siteUrl: undefined,
  pace: { handsBack: false },
};

const OPTIONS: ActorOptionsCompiled = {
  resources: {},
  name: undefined,
  namespace: "ns",
  getIfExists: false,
  detached: false,
  maxConcurrency: 1,
  maxRestarts: 0,
  maxTaskRetries: 0,
};

/** A creator wired as CoreWorker wires it: freed objects of the owner reach it. */
async function creatorOf(o: FakeOwner): Promise<ActorCreator> {
  const gcs: RpcConnection<GcsService, CoreWorkerService> = await o.net.connect(o.gcs.address);
  const creator = new ActorCreator({
    jobId: "job-1",
    ownerAddress: o.address,
    ownerWorkerId: "caller-1",
    ownerNodeId: o.raylet.nodeId,
    gcs,
    names: { claim: () => undefined, settled: () => undefined },
    actors: o.actors,
    definitions: { export: () => undefined } as unknown as DefinitionExporter,
    runtimeEnvs: { resolve: () => Promise.resolve(undefined) } as unknown as RuntimeEnvResolver,
    dependencies: { resolveArgs: () => Promise.resolve([]) } as unknown as DependencyResolver,
    largeArgs: { limit: Infinity, through: () => assert.fail("no large arguments here") },
    config: o.config,
  });
  o.objects.onFree((id) => creator.freed(id));
  return creator;
}

const reported = (o: FakeOwner): string[] => o.gcs.received("reportActorOutOfScope").map((r) => r.actorId);

describe("ActorCreator: actors out of scope", () => {
  test("when the last handle here and the last borrower elsewhere are gone, the actor is reported out of scope", async () => {
    const o = await owner();
    const creator = await creatorOf(o);
    const actorId = creator.create(COUNTER, [], OPTIONS);
    const refs = o.objects.refs;
    refs.addLocal(actorId, o.address); // the creator's handle, as ActorHandleState counts it
    assert.equal(refs.addBorrower(actorId), true, "a task got the handle");
    refs.removeLocal(actorId);
    await settle();
    assert.deepEqual(reported(o), [], "borrowed elsewhere: alive");
    refs.removeBorrower(actorId);
    await eventually(() => reported(o).length === 1, "the actor reported out of scope");
    assert.deepEqual(reported(o), [actorId]);
    assert.equal(o.gcs.received("createActor")[0]?.actorId, actorId, "after its registration");
  });

  test("the report waits for the registration; a detached actor and a getIfExists handle that found another actor are never reported", async () => {
    const o = await owner();
    const creator = await creatorOf(o);
    const existing = newActorId();
    let answer: (() => void) | undefined;
    o.gcs.handle("createActor", (spec) => {
      if (spec.name === "taken") return new Promise<{ actorId: string }>((resolve) => (answer = () => resolve({ actorId: existing })));
      return { actorId: spec.actorId };
    });
    const refs = o.objects.refs;
    const found = creator.create(COUNTER, [], { ...OPTIONS, name: "taken", getIfExists: true });
    const detached = creator.create(COUNTER, [], { ...OPTIONS, name: "kept", detached: true });
    for (const id of [found, detached]) {
      refs.addLocal(id, o.address);
      refs.removeLocal(id);
    }
    await eventually(() => answer !== undefined, "the registration sent");
    answer?.();
    await settle();
    assert.deepEqual(reported(o), []);
  });
});
