/**
 * An actor created without maxConcurrency runs 1,000 calls at once if its class has an async
 * method (an async actor, as in Ray), else one: which classes count as async.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ASYNC_ACTOR_MAX_CONCURRENCY, defaultMaxConcurrency, hasAsyncMethod } from "../src/actor-class.js";

test("a class with an async method, async generator method or an inherited one is async; 1,000 calls at once", () => {
  class WithAsync {
    sync(): number {
      return 1;
    }
    async wait(): Promise<void> {}
  }
  class WithAsyncGenerator {
    async *stream(): AsyncGenerator<number> {
      yield 1;
    }
  }
  class Inheriting extends WithAsync {
    other(): number {
      return 2;
    }
  }
  for (const cls of [WithAsync, WithAsyncGenerator, Inheriting]) {
    assert.equal(hasAsyncMethod(cls), true, cls.name);
    assert.equal(defaultMaxConcurrency(cls), ASYNC_ACTOR_MAX_CONCURRENCY);
  }
  assert.equal(ASYNC_ACTOR_MAX_CONCURRENCY, 1000);
});

test("a class of sync methods (even ones returning promises), static async methods or async fields is not; one call at a time", () => {
  let getterCalls = 0;
  class Plain {
    n = 0;
    asyncField = async (): Promise<void> => {};
    static async make(): Promise<Plain> {
      return new Plain();
    }
    get value(): number {
      getterCalls++;
      return this.n;
    }
    later(): Promise<number> {
      return Promise.resolve(this.n);
    }
    *generate(): Generator<number> {
      yield this.n;
    }
  }
  assert.equal(hasAsyncMethod(Plain), false);
  assert.equal(defaultMaxConcurrency(Plain), 1);
  assert.equal(getterCalls, 0, "getters are not called");
  assert.equal(hasAsyncMethod(class {}), false);
});
