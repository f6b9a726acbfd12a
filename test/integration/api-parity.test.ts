/**
 * Issue 13, points 7 and 14 (Ray's test_basic, test_actor, test_namespace): a taken actor name
 * is refused at `.remote()`, a method the class does not have at the call; `wait([])`;
 * `availableResources()` without exhausted resources; init and option quantities; `lux.free`;
 * `numReturns` per actor call, 0 included.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as lux from "lux";
import { LocalCluster } from "lux/testing";
import { GateActor } from "./fixtures/actors-defs.js";
import { TallyActor, callMissing, createNamed, createTaken, gated, holdingSlot, putInWorker, type Tally } from "./fixtures/api-parity-defs.js";
import { waitFor } from "./helpers.js";

let cluster: LocalCluster;

before(async () => {
  cluster = await LocalCluster.start({ head: { numCpus: 2, resources: { slot: 1 } } });
});

after(async () => {
  await lux.shutdown();
  await cluster.shutdown();
});

function refuses(fn: () => unknown, option: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof lux.InvalidOptionError, `${option}: expected InvalidOptionError, got ${String(e)}`);
    assert.equal(e.option, option);
    return true;
  });
}

test("test_basic: init refuses a namespace that is not a string and amounts above 1 that are not whole", async () => {
  const refusesInit = async (options: lux.InitOptions, option: string): Promise<void> => {
    try {
      await assert.rejects(lux.init(options), (e: unknown) => {
        assert.ok(e instanceof lux.InvalidOptionError, `${option}: expected InvalidOptionError, got ${String(e)}`);
        assert.equal(e.option, option);
        return true;
      });
    } finally {
      // Accepted by mistake: the private cluster it started goes before the next test connects.
      if (lux.isInitialized()) await lux.shutdown();
    }
  };
  await refusesInit({ namespace: 123 as never }, "namespace");
  await refusesInit({ numCpus: 1.5 }, "numCpus");
  await refusesInit({ numGpus: 2.5 }, "numGpus");
  await refusesInit({ resources: { accel: 1.5 } }, "resources.accel");
  // The same rule for tasks and actors; a fraction of one unit, and whole amounts, pass.
  refuses(() => gated.options({ numCpus: 1.5 }), "numCpus");
  refuses(() => gated.options({ resources: { slot: 2.5 } }), "resources.slot");
  refuses(() => TallyActor.options({ numCpus: 3.25 }), "numCpus");
  assert.doesNotThrow(() => gated.options({ numCpus: 0.5, numGpus: 1, resources: { slot: 0.25 } }));
  assert.doesNotThrow(() => TallyActor.options({ numCpus: 2 }));
});

describe("connected", () => {
  before(async () => {
    await lux.init({ address: cluster.address });
  });

  test("test_basic: wait([]) returns [[], []]", async () => {
    assert.deepEqual(await lux.wait([]), [[], []]);
    assert.deepEqual(await lux.wait([], { timeoutMs: 0 }), [[], []]);
    await assert.rejects(lux.wait([], { numReturns: 0 }), lux.InvalidOptionError);
  });

  test("test_basic: availableResources() leaves out a resource none of which is free", async () => {
    const gate = GateActor.remote();
    const ref = holdingSlot.remote(gate, "held");
    await waitFor(async () => !("slot" in (await lux.availableResources())), "the slot to be taken (and left out, not 0)");
    assert.equal((await lux.clusterResources())["slot"], 1);
    for (const [name, amount] of Object.entries(await lux.availableResources())) assert.ok(amount > 0, `${name}: ${amount}`);
    await lux.get(gate.open.remote());
    assert.equal(await lux.get(ref), "held");
    await waitFor(async () => (await lux.availableResources())["slot"] === 1, "the slot to be free again");
  });

  test("test_actor: .remote() with a name this process knows is taken throws ActorNameTakenError at once", async () => {
    const first = TallyActor.options({ name: "taken" }).remote();
    const takenError = (e: unknown): boolean => {
      assert.ok(e instanceof lux.ActorNameTakenError, `expected ActorNameTakenError, got ${String(e)}`);
      assert.match(e.message, /"taken" already exists/);
      return true;
    };
    // Refused before the first one is even registered, and after.
    assert.throws(() => TallyActor.options({ name: "taken" }).remote(), takenError);
    assert.equal(await lux.get(first.add.remote(1)), 1);
    assert.throws(() => TallyActor.options({ name: "taken" }).remote(), takenError);
    // getIfExists and other namespaces are not refused.
    const same = TallyActor.options({ name: "taken", getIfExists: true }).remote();
    assert.equal(await lux.get(same.value.remote()), 1);
    const elsewhere = TallyActor.options({ name: "taken", namespace: "other" }).remote();
    assert.equal(await lux.get(elsewhere.value.remote()), 0);
    // Freed by a kill: the name is usable again.
    await lux.kill(first);
    const again = TallyActor.options({ name: "taken" }).remote();
    assert.equal(await lux.get(again.value.remote()), 0);
    await lux.kill(again);
    await lux.kill(elsewhere);
  });

  test("test_namespace: a name taken by another process is refused at .remote() too, or at first use", async () => {
    assert.equal(await lux.get(createNamed.remote("from-task")), "from-task");
    const theirs = await lux.getActor<Tally>("from-task");
    assert.throws(() => TallyActor.options({ name: "from-task" }).remote(), lux.ActorNameTakenError);
    // A worker that has not heard of the name yet: the control service refuses it, with the same class.
    const mine = TallyActor.options({ name: "driver-held" }).remote();
    assert.equal(await lux.get(mine.value.remote()), 0);
    assert.match(await lux.get(createTaken.remote("driver-held")), /^(sync|call):ActorNameTakenError$/);
    await lux.kill(theirs);
    await lux.kill(mine);
  });

  test("test_actor: calling a method the class does not have throws at the call", async () => {
    const tally = TallyActor.remote();
    const missing = (): unknown => (tally as unknown as Record<string, { remote(): unknown }>)["missing"]?.remote();
    assert.throws(missing, (e: unknown) => e instanceof TypeError && /Tally has no method "missing"; its methods: add, double, pair, value/.test(e.message));
    assert.throws(() => (tally as unknown as Record<string, { options(o: object): unknown }>)["missing"]?.options({}), TypeError);
    // Methods, a method given as a field, and handles from getActor or over the wire.
    assert.equal(await lux.get(tally.add.remote(3)), 3);
    assert.equal(await lux.get(tally.double.remote()), 6);
    assert.match(await lux.get(callMissing.remote(tally)), /^TypeError: Tally has no method "missing"/);
    const named = TallyActor.options({ name: "methods" }).remote();
    const found = await lux.getActor<Tally>("methods");
    assert.throws(() => (found as unknown as Record<string, { remote(): unknown }>)["missing"]?.remote(), TypeError);
    assert.equal(await lux.get(found.value.remote()), 0);
    await lux.kill(named);
  });

  test("test_actor: numReturns per call, 0 included", async () => {
    const tally = TallyActor.remote();
    const none = tally.add.options({ numReturns: 0 }).remote(5);
    assert.deepEqual(none, []);
    // Calls run in order: the call without refs ran before this one.
    assert.equal(await lux.get(tally.value.remote()), 5);
    const [n, text] = tally.pair.options({ numReturns: 2 }).remote();
    assert.deepEqual(await lux.get([n, text]), [5, "n=5"]);
    const [whole] = tally.pair.options({ numReturns: 1 }).remote();
    assert.deepEqual(await lux.get(whole), [5, "n=5"]);
    assert.equal(await lux.get(tally.add.remote(1)), 6, "the next call without options has one ref again");
  });

  test("test_basic: lux.free(refs) frees objects now; later gets reject with ObjectFreedError", async () => {
    const freed = (e: unknown): boolean => {
      assert.ok(e instanceof lux.ObjectFreedError, `expected ObjectFreedError, got ${String(e)}`);
      assert.ok(e instanceof lux.ObjectLostError, "an ObjectFreedError is an ObjectLostError");
      return true;
    };
    const small = lux.put("small");
    const large = lux.put(new Float64Array(1 << 18)); // 2 MiB: in the node's object store
    const gate = GateActor.remote();
    const pending = gated.remote(gate, "later");
    const [theirs] = await lux.get(putInWorker.remote("owned by a worker"));
    assert.ok(theirs instanceof lux.ObjectRef);
    assert.equal(await lux.get(theirs), "owned by a worker");
    assert.equal((await lux.get(large)).length, 1 << 18);
    const refs: lux.ObjectRef<unknown>[] = [small, large, pending, theirs];
    await lux.free(refs);
    for (const ref of refs) await assert.rejects(lux.get(ref), freed);
    await lux.get(gate.open.remote());
    await assert.rejects(lux.get(pending), freed, "a result that arrives after free stays freed");
    await lux.free(small); // again: nothing left to free
  });
});
