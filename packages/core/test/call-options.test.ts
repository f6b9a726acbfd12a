/**
 * The options of issue 15's call limits, checked at the call site: maxCalls (tasks),
 * maxPendingCalls, concurrencyGroups and methods (actors), concurrencyGroup (a call). Bad
 * values throw InvalidOptionError naming the option; unknown groups and methods are named,
 * with what exists.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidOptionError } from "@lux/common";
import { compileActorOptions, compileMethodOptions, compileTaskOptions, type ActorOptions, type TaskOptions } from "../src/options.js";

/** Throws InvalidOptionError naming `option`, with a message matching `message` if given. */
function refused(run: () => unknown, option: string, message?: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof InvalidOptionError, String(e));
    assert.equal(e.option, option);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

const METHODS = ["fetch", "compute", "*stream"];
const actor = (opts: Record<string, unknown>) => compileActorOptions(opts as ActorOptions, "ns", METHODS);

describe("maxCalls", () => {
  test("an integer >= 0; 0 and no option mean no limit (left out of the compiled options)", () => {
    assert.equal(compileTaskOptions({}).maxCalls, undefined);
    assert.equal(compileTaskOptions({ maxCalls: 0 }).maxCalls, undefined);
    assert.equal(compileTaskOptions({ maxCalls: 3 }).maxCalls, 3);
    assert.equal(compileTaskOptions({ maxCalls: 1 }, true).maxCalls, 1, "generator functions too");
  });

  test("negative, fractional or not a number: InvalidOptionError naming maxCalls", () => {
    for (const bad of [-1, 1.5, "2", Number.NaN, null]) refused(() => compileTaskOptions({ maxCalls: bad } as unknown as TaskOptions), "maxCalls", /expected an integer >= 0/);
  });

  test("not an actor option", () => {
    refused(() => actor({ maxCalls: 1 }), "maxCalls", /one of the actor options/);
  });
});

describe("maxPendingCalls", () => {
  test("an integer >= 1; -1 and no option mean no limit", () => {
    assert.equal(actor({}).maxPendingCalls, undefined);
    assert.equal(actor({ maxPendingCalls: -1 }).maxPendingCalls, undefined);
    assert.equal(actor({ maxPendingCalls: 2 }).maxPendingCalls, 2);
  });

  test("0, other negatives, fractions and non-numbers: InvalidOptionError naming maxPendingCalls", () => {
    for (const bad of [0, -2, 1.5, "3", true]) refused(() => actor({ maxPendingCalls: bad }), "maxPendingCalls", /an integer >= 1, or -1 for no limit/);
  });

  test("not a task option", () => {
    refused(() => compileTaskOptions({ maxPendingCalls: 1 } as unknown as TaskOptions), "maxPendingCalls", /one of the task options/);
  });
});

describe("concurrencyGroups and methods", () => {
  test("groups of positive limits, and methods put in them, are carried as given", () => {
    const o = actor({ concurrencyGroups: { io: 2, compute: 1 }, methods: { fetch: { concurrencyGroup: "io" }, stream: { concurrencyGroup: "default" } } });
    assert.deepEqual(o.concurrencyGroups, { io: 2, compute: 1 });
    assert.deepEqual(o.methodConcurrencyGroups, { fetch: "io", stream: "default" }, "a generator method by its name");
    assert.equal(actor({}).concurrencyGroups, undefined);
    assert.equal(actor({ concurrencyGroups: {} }).concurrencyGroups, undefined, "no group: as without the option");
    assert.equal(actor({ methods: { fetch: {} } }).methodConcurrencyGroups, undefined);
  });

  test("a limit that is not a positive integer, or a group named default or nothing, names the group", () => {
    for (const bad of [0, -1, 1.5, "2"]) refused(() => actor({ concurrencyGroups: { io: bad } }), "concurrencyGroups.io", /an integer >= 1/);
    refused(() => actor({ concurrencyGroups: { default: 2 } }), "concurrencyGroups.default", /the default group's limit is maxConcurrency/);
    refused(() => actor({ concurrencyGroups: { "": 2 } }), "concurrencyGroups.");
    for (const bad of [[1], 3, "io", null]) refused(() => actor({ concurrencyGroups: bad }), "concurrencyGroups", /an object of group name/);
  });

  test("methods naming a method the class lacks, or a group it does not declare, throw naming both and what exists", () => {
    refused(() => actor({ methods: { fecth: { concurrencyGroup: "io" } }, concurrencyGroups: { io: 1 } }), "methods.fecth", /a method of the class \(fetch, compute, stream\)/);
    refused(
      () => actor({ concurrencyGroups: { io: 2, compute: 1 }, methods: { fetch: { concurrencyGroup: "oi" } } }),
      "methods.fetch.concurrencyGroup",
      /the actor's groups are io, compute; "default" is the default group\), got 'oi'/,
    );
    refused(() => actor({ methods: { fetch: { concurrencyGroup: "io" } } }), "methods.fetch.concurrencyGroup", /the actor declares none/);
    refused(() => actor({ methods: { fetch: { group: "io" } } }), "methods.fetch", /the only method option/);
    refused(() => actor({ methods: { fetch: "io" } }), "methods.fetch");
    refused(() => actor({ methods: ["fetch"] }), "methods");
  });
});

describe("a call's concurrencyGroup", () => {
  test("one of the actor's groups, or default", () => {
    assert.equal(compileMethodOptions({ concurrencyGroup: "io" }, false, ["io"]).concurrencyGroup, "io");
    assert.equal(compileMethodOptions({ concurrencyGroup: "default" }).concurrencyGroup, "default");
    assert.equal(compileMethodOptions({}).concurrencyGroup, undefined);
    assert.equal(compileMethodOptions({ concurrencyGroup: "io" }, true, ["io"]).concurrencyGroup, "io", "generator methods too");
  });

  test("another throws InvalidOptionError naming the group and listing the declared ones", () => {
    refused(() => compileMethodOptions({ concurrencyGroup: "gpu" }, false, ["io", "compute"]), "concurrencyGroup", /the actor's groups are io, compute.*got 'gpu'/);
    refused(() => compileMethodOptions({ concurrencyGroup: "io" }), "concurrencyGroup", /the actor declares none.*got 'io'/);
    refused(() => compileMethodOptions({ concurrencyGroup: 1 } as unknown as { concurrencyGroup: string }, false, ["io"]), "concurrencyGroup");
  });
});
