/**
 * What a process tells the state API about the objects it holds (`lux memory`): why each is
 * held, in order of precedence (argument of an unfinished task, a live ref it owns or
 * borrows, only inside another object), its size and where it is; and the call site of an
 * object's creation, the first frame outside Lux.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CallSites, callerSite } from "../src/call-sites.js";
import { MemoryStore } from "../src/memory-store.js";
import { objectRefsReport } from "../src/object-refs-report.js";
import { ReferenceCounter } from "../src/reference-counter.js";

const SELF = "127.0.0.1:1";
const OTHER = "127.0.0.1:2";

describe("objectRefsReport", () => {
  it("gives each held object its ref type, size, status and copies", () => {
    const memory = new MemoryStore();
    const refs = new ReferenceCounter(SELF, memory, { addBorrow: () => Promise.resolve(), removeBorrow: () => undefined }, () => undefined);
    const local = memory.put("local", { kind: "inline", bytes: new Uint8Array(10) });
    refs.addLocalOwned(local);
    const stored = memory.put("arg", { kind: "stored", nodeId: "n1", size: 4096, locations: ["n2", "n1"] });
    refs.addLocalOwned(stored);
    const captured = memory.createNew("captured");
    refs.pin("captured", SELF);
    const lent = memory.put("lent", { kind: "inline", bytes: new Uint8Array(1) });
    refs.addBorrower("lent");
    void [captured, lent];
    refs.addLocal("borrowed", OTHER);
    refs.addLocal("borrowed-arg", OTHER);
    const sites = new CallSites();
    sites.record(["local"]);
    const report = objectRefsReport(SELF, "w", { memory, refs }, new Set(["arg", "borrowed-arg"]), sites);
    assert.equal(report.address, SELF);
    assert.equal(report.pid, process.pid);
    const byId = new Map(report.refs.map((r) => [r.objectId, r]));
    assert.deepEqual([...byId.keys()].sort(), ["arg", "borrowed", "borrowed-arg", "captured", "local"], "an object only others hold is theirs to report");
    assert.deepEqual(byId.get("local"), { objectId: "local", ownerAddress: SELF, refType: "LOCAL", callSite: byId.get("local")?.callSite, size: 10, status: "INLINE", storedOn: [] });
    assert.match(byId.get("local")?.callSite ?? "", /object-refs-report\.test\.ts:\d+/, "the test's own line made it");
    assert.deepEqual([byId.get("arg")?.refType, byId.get("arg")?.size, byId.get("arg")?.status, byId.get("arg")?.storedOn], ["PENDING_TASK_ARG", 4096, "STORED", ["n1", "n2"]]);
    assert.deepEqual([byId.get("captured")?.refType, byId.get("captured")?.size, byId.get("captured")?.status], ["CAPTURED_IN_OBJECT", null, "PENDING"]);
    assert.deepEqual([byId.get("borrowed")?.refType, byId.get("borrowed")?.ownerAddress], ["BORROWED", OTHER]);
    assert.equal(byId.get("borrowed-arg")?.refType, "PENDING_TASK_ARG");
  });

  it("callerSite skips Lux's frames and Node's internals", () => {
    const stack = [
      "Error",
      "    at CallSites.record (/x/packages/core/dist/index.js:10:5)",
      "    at put (/x/packages/core/src/object-api.ts:38:19)",
      "    at node:internal/process/task_queues:95:5",
      "    at main (file:///home/me/app/train.ts:12:3)",
    ].join("\n");
    assert.equal(callerSite(stack, ["/x/packages/core/dist/", "/x/packages/core/src/"]), "main (/home/me/app/train.ts:12:3)");
    assert.equal(callerSite("Error\n    at f (/x/node_modules/@lux/core/dist/index.js:1:1)", []), "(unknown)");
  });
});
