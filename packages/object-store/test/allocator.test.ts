import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ALIGNMENT, Allocator, alignUp } from "../src/allocator.js";
import { WarmRanges } from "../src/warm-ranges.js";

const PAGE = ALIGNMENT;

describe("alignUp", () => {
  test("rounds up to the page size, leaving multiples alone", () => {
    assert.equal(PAGE, 4096);
    assert.equal(alignUp(0), 0);
    assert.equal(alignUp(1), PAGE);
    assert.equal(alignUp(PAGE), PAGE);
    assert.equal(alignUp(PAGE + 1), 2 * PAGE);
    assert.equal(alignUp(10, 8), 16);
  });
});

describe("Allocator", () => {
  test("allocates first fit from offset 0, each block page aligned", () => {
    const a = new Allocator(16 * PAGE);
    assert.equal(a.allocate(100), 0);
    assert.equal(a.allocate(PAGE), PAGE);
    assert.equal(a.allocate(PAGE + 1), 2 * PAGE);
    assert.equal(a.allocate(1), 4 * PAGE);
    assert.equal(a.usedBytes, 5 * PAGE);
    assert.equal(a.largestFree, 11 * PAGE);
  });

  test("touchedEnd: the end of the highest block ever allocated, kept when blocks are released", () => {
    const a = new Allocator(16 * PAGE);
    assert.equal(a.touchedEnd, 0);
    const x = a.allocate(2 * PAGE);
    const y = a.allocate(PAGE);
    assert.equal(a.touchedEnd, 3 * PAGE);
    a.release(y, PAGE);
    a.release(x, 2 * PAGE);
    assert.equal(a.touchedEnd, 3 * PAGE, "released pages stay written");
    a.allocate(PAGE);
    assert.equal(a.touchedEnd, 3 * PAGE, "a block below it reuses written pages");
    a.allocate(4 * PAGE);
    assert.equal(a.touchedEnd, 5 * PAGE);
  });

  test("a zero-byte object still takes a page, so offsets stay distinct", () => {
    const a = new Allocator(4 * PAGE);
    assert.equal(a.allocate(0), 0);
    assert.equal(a.allocate(0), PAGE);
    assert.equal(a.usedBytes, 2 * PAGE);
    a.release(0, 0);
    assert.equal(a.usedBytes, PAGE);
    assert.equal(a.allocate(0), 0);
  });

  test("exhaustion returns -1 and changes nothing", () => {
    const a = new Allocator(4 * PAGE);
    assert.equal(a.allocate(4 * PAGE + 1), -1);
    assert.equal(a.usedBytes, 0);
    assert.equal(a.allocate(4 * PAGE), 0);
    assert.equal(a.usedBytes, 4 * PAGE);
    assert.equal(a.largestFree, 0);
    assert.equal(a.allocate(1), -1);
    assert.equal(a.usedBytes, 4 * PAGE);
  });

  test("a capacity that is not page aligned leaves an unusable tail", () => {
    const a = new Allocator(2 * PAGE + 100);
    assert.equal(a.allocate(PAGE), 0);
    assert.equal(a.allocate(PAGE), PAGE);
    assert.equal(a.largestFree, 100);
    assert.equal(a.allocate(1), -1);
  });

  test("a zero capacity allocator has nothing to give", () => {
    const a = new Allocator(0);
    assert.equal(a.largestFree, 0);
    assert.equal(a.allocate(1), -1);
  });

  test("reuses the lowest freed offset first", () => {
    const a = new Allocator(8 * PAGE);
    const offsets = [0, 1, 2, 3, 4, 5].map(() => a.allocate(PAGE));
    assert.deepEqual(offsets, [0, 1, 2, 3, 4, 5].map((i) => i * PAGE));
    a.release(4 * PAGE, PAGE);
    a.release(PAGE, PAGE);
    assert.equal(a.allocate(PAGE), PAGE);
    assert.equal(a.allocate(PAGE), 4 * PAGE);
    assert.equal(a.allocate(PAGE), 6 * PAGE);
  });

  test("first fit skips holes that are too small", () => {
    const a = new Allocator(8 * PAGE);
    for (let i = 0; i < 6; i++) a.allocate(PAGE);
    a.release(PAGE, PAGE); // 1-page hole at 1
    a.release(3 * PAGE, PAGE);
    a.release(4 * PAGE, PAGE); // 2-page hole at 3..4
    assert.equal(a.allocate(2 * PAGE), 3 * PAGE);
    assert.equal(a.allocate(PAGE), PAGE);
    assert.equal(a.allocate(3 * PAGE), -1); // only 6..7 (2 pages) is left
    assert.equal(a.allocate(2 * PAGE), 6 * PAGE);
  });

  test("an exact fit consumes the free block", () => {
    const a = new Allocator(3 * PAGE);
    a.allocate(PAGE);
    a.allocate(PAGE);
    a.allocate(PAGE);
    a.release(PAGE, PAGE);
    assert.equal(a.largestFree, PAGE);
    assert.equal(a.allocate(PAGE), PAGE);
    assert.equal(a.largestFree, 0);
    assert.equal(a.allocate(1), -1);
  });

  // Three neighbours a|b|c followed by a guard block; releasing them in every order
  // must leave one free block of three pages at offset 0 (plus the tail).
  const orders = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  for (const order of orders) {
    test(`coalesces neighbours released in order ${order.join(",")}`, () => {
      const a = new Allocator(5 * PAGE);
      const blocks = [a.allocate(PAGE), a.allocate(PAGE), a.allocate(PAGE)];
      const guard = a.allocate(PAGE);
      assert.equal(guard, 3 * PAGE);
      for (const i of order) a.release(blocks[i] as number, PAGE);
      assert.equal(a.usedBytes, PAGE);
      assert.equal(a.largestFree, 3 * PAGE);
      assert.equal(a.allocate(3 * PAGE), 0);
    });
  }

  test("coalesces with the free tail and with both sides at once", () => {
    const a = new Allocator(4 * PAGE);
    const x = a.allocate(PAGE);
    const y = a.allocate(PAGE);
    assert.equal(a.largestFree, 2 * PAGE);
    a.release(y, PAGE); // merges into the tail
    assert.equal(a.largestFree, 3 * PAGE);
    a.release(x, PAGE); // merges with the block after it
    assert.equal(a.largestFree, 4 * PAGE);
    assert.equal(a.usedBytes, 0);
    assert.equal(a.allocate(4 * PAGE), 0);
  });

  test("releases a multi-page block by its requested (unaligned) size", () => {
    const a = new Allocator(4 * PAGE);
    const x = a.allocate(PAGE + 1);
    const y = a.allocate(PAGE * 2);
    assert.equal(y, 2 * PAGE);
    a.release(x, PAGE + 1);
    assert.equal(a.usedBytes, 2 * PAGE);
    assert.equal(a.largestFree, 2 * PAGE);
    a.release(y, PAGE * 2);
    assert.equal(a.largestFree, 4 * PAGE);
  });

  test("many random allocate/release rounds end with everything free in one block", () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const cap = 64 * PAGE;
    const a = new Allocator(cap);
    const live: { offset: number; size: number }[] = [];
    for (let i = 0; i < 2000; i++) {
      if (live.length > 0 && rand(2) === 0) {
        const [b] = live.splice(rand(live.length), 1);
        if (b !== undefined) a.release(b.offset, b.size);
      } else {
        const size = 1 + rand(3 * PAGE);
        const offset = a.allocate(size);
        if (offset === -1) continue;
        assert.equal(offset % PAGE, 0);
        const end = offset + alignUp(size);
        assert.ok(end <= cap);
        for (const b of live) assert.ok(end <= b.offset || offset >= b.offset + alignUp(b.size), "blocks overlap");
        live.push({ offset, size });
      }
      assert.equal(a.usedBytes, live.reduce((s, b) => s + alignUp(b.size), 0));
    }
    for (const b of live) a.release(b.offset, b.size);
    assert.equal(a.usedBytes, 0);
    assert.equal(a.largestFree, cap);
  });
});

describe("WarmRanges", () => {
  test("keeps ranges sorted, merging overlapping and adjacent ones", () => {
    const w = new WarmRanges();
    w.add(10 * PAGE, 12 * PAGE);
    w.add(0, PAGE);
    w.add(4 * PAGE, 6 * PAGE);
    assert.deepEqual(w.list(), [[0, PAGE], [4 * PAGE, 6 * PAGE], [10 * PAGE, 12 * PAGE]]);
    w.add(PAGE, 2 * PAGE); // adjacent to the first
    w.add(5 * PAGE, 11 * PAGE); // overlaps the second and the third
    assert.deepEqual(w.list(), [[0, 2 * PAGE], [4 * PAGE, 12 * PAGE]]);
    w.add(3 * PAGE, 3 * PAGE); // empty: nothing
    w.add(0, 20 * PAGE);
    assert.deepEqual(w.list(), [[0, 20 * PAGE]]);
  });

  test("stops recording separate ranges past MAX_RANGES, still merging into those it has", () => {
    const w = new WarmRanges();
    for (let i = 0; i < WarmRanges.MAX_RANGES + 10; i++) w.add(2 * i * PAGE, (2 * i + 1) * PAGE);
    assert.equal(w.size, WarmRanges.MAX_RANGES);
    w.add(PAGE, 2 * PAGE);
    assert.equal(w.size, WarmRanges.MAX_RANGES - 1);
    assert.deepEqual(w.list()[0], [0, 3 * PAGE]);
  });
});

describe("Allocator with a client's warm ranges", () => {
  test("a block goes into the lowest free space inside the client's ranges, before lower free space; else first fit", () => {
    const a = new Allocator(32 * PAGE);
    const x = a.allocate(4 * PAGE); // at 0: another client's
    const y = a.allocate(4 * PAGE); // at 4 pages: this client's
    const z = a.allocate(4 * PAGE); // at 8 pages: another client's
    const w = a.allocate(4 * PAGE); // at 12 pages: another client's
    assert.deepEqual([x, y, z, w], [0, 4 * PAGE, 8 * PAGE, 12 * PAGE]);
    const warm = new WarmRanges();
    warm.add(y, y + 4 * PAGE);
    a.release(x, 4 * PAGE);
    a.release(y, 4 * PAGE);
    a.release(w, 4 * PAGE);
    // Free: [0, 8) pages, then [12, 32). First fit would give 0; its range gives 4, then 6.
    assert.equal(a.allocate(2 * PAGE, warm), y);
    assert.equal(a.allocate(2 * PAGE, warm), y + 2 * PAGE);
    assert.equal(a.allocate(2 * PAGE, warm), x, "its range is full: first fit");
    assert.equal(a.allocate(2 * PAGE), 2 * PAGE);
    assert.equal(a.allocate(2 * PAGE), w);
  });

  test("from the middle of a free block only where the free space left below would hold as much again", () => {
    const a = new Allocator(32 * PAGE);
    const warm = new WarmRanges();
    warm.add(4 * PAGE, 8 * PAGE);
    assert.equal(a.allocate(4 * PAGE, warm), 4 * PAGE, "4 pages left below: taken from the middle");
    assert.equal(a.allocate(4 * PAGE), 0, "the space below is free");
    assert.equal(a.allocate(24 * PAGE), 8 * PAGE, "the space above is free");
    a.release(0, 4 * PAGE);
    a.release(4 * PAGE, 4 * PAGE);
    a.release(8 * PAGE, 24 * PAGE);
    assert.equal(a.largestFree, 32 * PAGE, "all merged back");
    const narrow = new WarmRanges();
    narrow.add(2 * PAGE, 6 * PAGE);
    assert.equal(a.allocate(4 * PAGE, narrow), 0, "2 pages left below would be a fragment: first fit");
  });

  test("random rounds with warm ranges never overlap blocks and end all free", () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const cap = 64 * PAGE;
    const a = new Allocator(cap);
    const clients = [new WarmRanges(), new WarmRanges(), new WarmRanges()];
    const live: { offset: number; size: number }[] = [];
    for (let i = 0; i < 3000; i++) {
      if (live.length > 0 && rand(2) === 0) {
        const [b] = live.splice(rand(live.length), 1);
        if (b !== undefined) a.release(b.offset, b.size);
      } else {
        const size = 1 + rand(3 * PAGE);
        const warm = clients[rand(clients.length)] as WarmRanges;
        const offset = a.allocate(size, warm);
        if (offset === -1) continue;
        const end = offset + alignUp(size);
        assert.equal(offset % PAGE, 0);
        assert.ok(end <= cap);
        for (const b of live) assert.ok(end <= b.offset || offset >= b.offset + alignUp(b.size), "blocks overlap");
        warm.add(offset, end);
        live.push({ offset, size });
      }
      assert.equal(a.usedBytes, live.reduce((s, b) => s + alignUp(b.size), 0));
    }
    for (const b of live) a.release(b.offset, b.size);
    assert.equal(a.usedBytes, 0);
    assert.equal(a.largestFree, cap);
  });
});
