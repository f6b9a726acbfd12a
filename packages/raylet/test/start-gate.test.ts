/** StartGate: at most `limit` starts at once, the rest in order; dropped starts never run. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { settle } from "@lux/testing";
import { StartGate } from "../src/start-gate.js";

/** A start that settles when the test says. */
function startable(): { start: () => Promise<string>; started: boolean; finish(ok: boolean): void } {
  let settleIt: (ok: boolean) => void = () => undefined;
  const s = {
    started: false,
    start: () => {
      s.started = true;
      return new Promise<string>((resolve, reject) => (settleIt = (ok) => (ok ? resolve("up") : reject(new Error("died")))));
    },
    finish: (ok: boolean) => settleIt(ok),
  };
  return s;
}

test("at most `limit` starts run at once; each that settles, registered or failed, lets the next in, in order", async () => {
  const gate = new StartGate<string>(2);
  const s = [startable(), startable(), startable(), startable()];
  const results = s.map((x, i) => gate.run(`job${i}`, x.start));
  assert.deepEqual(s.map((x) => x.started), [true, true, false, false]);
  assert.equal(gate.queued, 2);
  s[1]?.finish(false);
  await assert.rejects(results[1] as Promise<string>, /died/);
  await settle();
  assert.deepEqual(s.map((x) => x.started), [true, true, true, false], "the first waiting start took the freed slot");
  s[0]?.finish(true);
  assert.equal(await results[0], "up");
  await settle();
  assert.deepEqual(s.map((x) => x.started), [true, true, true, true]);
  assert.equal(gate.queued, 0);
});

test("dropped waiting starts reject with the error given and never run; the others keep their turn", async () => {
  const gate = new StartGate<string>(1);
  const s = [startable(), startable(), startable()];
  const results = [gate.run("a", s[0]!.start), gate.run("b", s[1]!.start), gate.run("c", s[2]!.start)];
  gate.drop((tag) => tag === "b", new Error("job b ended"));
  await assert.rejects(results[1] as Promise<string>, /job b ended/);
  s[0]?.finish(true);
  await settle();
  assert.deepEqual(s.map((x) => x.started), [true, false, true]);
});

test("a start that throws frees its slot", async () => {
  const gate = new StartGate<string>(1);
  const thrown = gate.run("a", () => {
    throw new Error("spawn failed");
  });
  const next = startable();
  const after = gate.run("b", next.start);
  await assert.rejects(thrown, /spawn failed/);
  await settle();
  assert.ok(next.started);
  next.finish(true);
  assert.equal(await after, "up");
});
