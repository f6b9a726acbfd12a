/**
 * The worker's side of streaming generators (issue 15, points 1 and 2): GeneratorRun calls
 * the user's generator and sends each item to a sink standing in for the owner, whose
 * answers the test gives: the generator is not run on past the backpressure limit until the
 * owner answers, a `stop` ends it through `return()` (its finally runs), skipped items are
 * not sent, a cancel stops it, a throw is the task's error.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { GeneratorItem, GeneratorSpec, ReturnValue, TaskSpec } from "@lux/protocol";
import { newTaskId } from "@lux/common";
import { settle } from "@lux/testing";
import { GeneratorRun, type GeneratorRunDeps } from "../src/generator-runner.js";

interface Sent {
  item: GeneratorItem;
  answer(stop?: boolean): void;
}

/** A sink whose answers the test gives (or, with `auto`, at once: go on). */
function sink(auto = false): { sent: Sent[]; send: (item: GeneratorItem) => Promise<{ stop: boolean }> } {
  const sent: Sent[] = [];
  return {
    sent,
    send: (item) =>
      new Promise((resolve) => {
        const answer = (stop = false): void => resolve({ stop });
        sent.push({ item, answer });
        if (auto) answer();
      }),
  };
}

function spec(generator: GeneratorSpec): TaskSpec & { generator: GeneratorSpec } {
  return { taskId: newTaskId(), jobId: "j", functionId: "f", name: "gen", args: new Uint8Array(), resolved: [], borrowed: [], numReturns: 0, ownerAddress: "o", gpuIds: [], generator };
}

function deps(over: Partial<GeneratorRunDeps> = {}): GeneratorRunDeps {
  return {
    item: (objectId, value): ReturnValue => ({ objectId, value: Uint8Array.of(Number(value)) }),
    borrowsPending: () => false,
    flushBorrows: () => Promise.resolve(),
    userError: (e) => new Error(`user: ${(e as Error).message}`),
    cancelled: () => false,
    inFlight: 4,
    ...over,
  };
}

/** A generator of 0, 1, 2, … that logs each step it runs and its finally. */
function* counting(log: string[], n = Infinity): Generator<number> {
  try {
    for (let i = 0; i < n; i++) {
      log.push(`make ${i}`);
      yield i;
    }
  } finally {
    log.push("finally");
  }
}

describe("GeneratorRun: the worker's side", () => {
  test("backpressure: after each item the generator waits for the owner's answer before making the next", async () => {
    const log: string[] = [];
    const s = sink();
    const done = new GeneratorRun(spec({ backpressure: 2, skip: 0 }), counting(log, 3), s.send, deps()).run();
    await settle();
    assert.deepEqual(log, ["make 0"], "not run on before the owner answers item 0");
    assert.deepEqual(s.sent.map((x) => x.item.index), [0]);
    s.sent[0]?.answer();
    await settle();
    assert.deepEqual(log, ["make 0", "make 1"]);
    s.sent[1]?.answer();
    await settle();
    s.sent[2]?.answer();
    await done;
    assert.deepEqual(log, ["make 0", "make 1", "make 2", "finally"]);
    assert.deepEqual(s.sent.map((x) => [x.item.index, x.item.value?.[0]]), [[0, 0], [1, 1], [2, 2]]);
  });

  test("without backpressure, at most inFlight items wait for answers; the run ends only once every item is answered", async () => {
    const log: string[] = [];
    const s = sink();
    let ended = false;
    const done = new GeneratorRun(spec({ backpressure: 0, skip: 0 }), counting(log, 6), s.send, deps({ inFlight: 4 })).run().then(() => (ended = true));
    await settle();
    assert.deepEqual(s.sent.map((x) => x.item.index), [0, 1, 2, 3], "four sent ahead of any answer");
    s.sent[0]?.answer();
    await settle();
    assert.equal(s.sent.length, 5);
    for (const x of s.sent.slice(1)) x.answer();
    await settle();
    assert.equal(s.sent.length, 6);
    assert.equal(ended, false, "the last item is not answered yet");
    s.sent[5]?.answer();
    await done;
    assert.deepEqual(log.at(-1), "finally");
  });

  test("an answer with stop ends the generator through return(): its finally runs and it is not run on", async () => {
    const log: string[] = [];
    const s = sink();
    const done = new GeneratorRun(spec({ backpressure: 1, skip: 0 }), counting(log), s.send, deps()).run();
    await settle();
    s.sent[0]?.answer(true);
    await done;
    assert.deepEqual(log, ["make 0", "finally"]);
  });

  test("an async generator stops the same way; its finally may await", async () => {
    const log: string[] = [];
    async function* slow(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) {
          await Promise.resolve();
          yield i;
        }
      } finally {
        await Promise.resolve();
        log.push("finally");
      }
    }
    const s = sink();
    const done = new GeneratorRun(spec({ backpressure: 1, skip: 0 }), slow(), s.send, deps()).run();
    await settle();
    s.sent[0]?.answer();
    await settle();
    s.sent[1]?.answer(true);
    await done;
    assert.deepEqual(s.sent.length, 2);
    assert.deepEqual(log, ["finally"]);
  });

  test("a retry skips the items the owner has: they are made again but neither serialized nor sent", async () => {
    const log: string[] = [];
    const serialized: number[] = [];
    const s = sink(true);
    const d = deps({ item: (objectId, value): ReturnValue => (serialized.push(Number(value)), { objectId, value: Uint8Array.of(Number(value)) }) });
    await new GeneratorRun(spec({ backpressure: 0, skip: 2 }), counting(log, 4), s.send, d).run();
    assert.deepEqual(log.filter((l) => l.startsWith("make")).length, 4);
    assert.deepEqual(serialized, [2, 3]);
    assert.deepEqual(s.sent.map((x) => x.item.index), [2, 3]);
  });

  test("a cancelled task stops at its next item and runs its finally", async () => {
    const log: string[] = [];
    let cancelled = false;
    const s = sink(true);
    const gen = counting(log);
    const done = new GeneratorRun(spec({ backpressure: 0, skip: 0 }), gen, (item) => {
      if (item.index === 2) cancelled = true;
      return s.send(item);
    }, deps({ cancelled: () => cancelled })).run();
    await done;
    assert.deepEqual(log, ["make 0", "make 1", "make 2", "finally"]);
  });

  test("what the generator throws is the run's error (through userError), after the items before it were answered", async () => {
    function* throws(): Generator<number> {
      yield 1;
      throw new RangeError("bad");
    }
    const s = sink();
    let settledAt = -1;
    const done = new GeneratorRun(spec({ backpressure: 0, skip: 0 }), throws(), s.send, deps()).run();
    done.catch(() => (settledAt = s.sent.length));
    await settle();
    assert.equal(settledAt, -1, "waits for the answer to item 0 first");
    s.sent[0]?.answer();
    await assert.rejects(done, /user: bad/);
  });

  test("an owner that is gone (its answer rejects) stops the generator", async () => {
    const log: string[] = [];
    const done = new GeneratorRun(spec({ backpressure: 1, skip: 0 }), counting(log), () => Promise.reject(new Error("connection closed")), deps()).run();
    await done;
    assert.deepEqual(log, ["make 0", "finally"]);
  });
});
