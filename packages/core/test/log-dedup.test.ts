/**
 * The driver's dedup of worker output (issue 16, point 4) on a FakeClock: the same text from
 * other workers within the window is counted, not printed, and printed once more with
 * `[repeated N× across cluster]` when the window ends (or at flush); a worker repeating itself
 * and lines after the window print as usual.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock, type OutputStream } from "@lux/protocol";
import { LogDedup } from "../src/log-dedup.js";

function dedup(windowMs = 5000, maxTexts?: number): { d: LogDedup; clock: FakeClock; emitted: [OutputStream, string][] } {
  const clock = new FakeClock(1_000_000);
  const emitted: [OutputStream, string][] = [];
  const d = new LogDedup({ windowMs, clock, emit: (s, l) => emitted.push([s, l]), ...(maxTexts !== undefined ? { maxTexts } : {}) });
  return { d, clock, emitted };
}

describe("LogDedup", () => {
  test("the same text from 4 workers prints once, then `[repeated 3× across cluster]` when the window ends", () => {
    const { d, clock, emitted } = dedup();
    assert.equal(d.accept("n:1", 1, "(f pid=1 node=n)", "hello"), true);
    assert.equal(d.accept("n:2", 1, "(f pid=2 node=n)", "hello"), false);
    clock.advance(1000);
    assert.equal(d.accept("n:3", 1, "(f pid=3 node=n)", "hello"), false);
    assert.equal(d.accept("m:1", 1, "(f pid=1 node=m)", "hello"), false, "the same pid on another node is another worker");
    assert.equal(d.accept("n:2", 1, "(f pid=2 node=n)", "other"), true, "another text prints");
    clock.advance(3999);
    assert.deepEqual(emitted, [], "nothing before the window ends");
    clock.advance(1);
    assert.deepEqual(emitted, [[1, "(f pid=1 node=n) hello [repeated 3× across cluster]\n"]]);
    clock.advance(60_000);
    assert.equal(emitted.length, 1, "a text nobody repeated ends quietly");
  });

  test("a worker repeating its own line prints every time; after the window the text prints again", () => {
    const { d, clock, emitted } = dedup();
    assert.equal(d.accept("n:1", 2, "(A pid=1)", "tick"), true);
    assert.equal(d.accept("n:1", 2, "(A pid=1)", "tick"), true);
    assert.equal(d.accept("n:2", 2, "(A pid=2)", "tick"), false);
    clock.advance(5000);
    assert.deepEqual(emitted, [[2, "(A pid=1) tick [repeated 1× across cluster]\n"]], "stderr lines are summed up on stderr");
    assert.equal(d.accept("n:2", 2, "(A pid=2)", "tick"), true, "a new window: printed");
  });

  test("flush prints every pending count at once (the driver is ending); too many texts settle the oldest early", () => {
    const { d, emitted } = dedup(5000, 2);
    d.accept("n:1", 1, "(f pid=1)", "a");
    d.accept("n:2", 1, "(f pid=2)", "a");
    d.accept("n:1", 1, "(f pid=1)", "b");
    d.accept("n:1", 1, "(f pid=1)", "c"); // a third text: "a" settles now
    assert.deepEqual(emitted, [[1, "(f pid=1) a [repeated 1× across cluster]\n"]]);
    d.accept("n:2", 1, "(f pid=2)", "c");
    d.accept("n:3", 1, "(f pid=3)", "c");
    d.flush();
    assert.deepEqual(emitted.slice(1), [[1, "(f pid=1) c [repeated 2× across cluster]\n"]]);
  });
});
